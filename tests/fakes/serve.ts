/**
 * @module
 * A fake {@link Serve}: "binding" a port records the handler, and the test plays the browser by
 * calling it — no socket, no port, no sleep. It also plays a slow client: a response is
 * "delivered" only once the test has read its whole body, and `close()` counts the responses
 * the server was closed on before they were delivered (issue 9, defect 5).
 *
 * @example
 * const net = new FakeServe();
 * const deps = testDeps(env, { serve: net.serve, launch: net.browser(fake.app) });
 */
import type { Serve, Server } from "../../lib/runtime/serve.ts";
import { AddressInUseError } from "../../lib/runtime/serve.ts";
import type { Launcher } from "../../lib/runtime/spawn.ts";

type Handler = (request: Request) => Response | Promise<Response>;

/** Something that answers requests like a Hono app's `request()`. */
export interface RequestApp {
  request(input: string | Request, init?: RequestInit): Response | Promise<Response>;
}

/** One "bound" server. */
interface Bound {
  handler: Handler;
  closed: boolean;
}

/** What a fake browser saw at the callback. */
export interface Visit {
  url: string;
  status: number;
  body: string;
}

export class FakeServe {
  /** Ports that are "in use" by someone else. */
  readonly busy = new Set<number>();
  /** Handlers by port, while bound. */
  readonly bound = new Map<number, Bound>();
  /** Every port bound, in order. */
  readonly ports: number[] = [];
  /** Responses the server was closed on before the client had read them whole. */
  cutOff = 0;
  /** Every program the fake browser was launched as, with its arguments. */
  readonly launched: string[][] = [];
  /** Every callback the fake browser delivered. */
  readonly visits: Visit[] = [];
  #pending = new Set<{ delivered: boolean }>();

  /** The {@link Serve} to put in deps. */
  readonly serve: Serve = (handler, { port }) => {
    if (this.busy.has(port) || this.bound.has(port)) {
      return Promise.reject(new AddressInUseError(port));
    }
    const entry: Bound = { handler, closed: false };
    this.bound.set(port, entry);
    this.ports.push(port);
    const server: Server = {
      port,
      close: () => {
        entry.closed = true;
        this.bound.delete(port);
        for (const p of this.#pending) if (!p.delivered) this.cutOff++;
        this.#pending.clear();
        return Promise.resolve();
      },
    };
    return Promise.resolve(server);
  };

  /** Whether a server is bound on `port`. */
  listening(port: number): boolean {
    return this.bound.has(port);
  }

  /**
   * Sends a request to the server bound on the URL's port, with the URL's Host header unless
   * `init` gives one. The body is handed over unread: the response counts as delivered once
   * the test has read it to the end.
   */
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const u = new URL(url);
    const entry = this.bound.get(Number(u.port));
    if (!entry) throw new TypeError(`fetch failed: connection refused on ${u.host}`);
    const headers = new Headers(init.headers);
    if (!headers.has("host")) headers.set("host", u.host);
    const res = await entry.handler(new Request(url, { ...init, headers }));
    const track = { delivered: false };
    if (!res.body) return res;
    this.#pending.add(track);
    const reader = res.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) {
          track.delivered = true;
          controller.close();
        } else controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
    return new Response(body, { status: res.status, headers: res.headers });
  }

  /**
   * A fake browser: GETs the authorize URL from `app` (the fake Datadog, which approves at once
   * and redirects), then delivers the redirect to the callback server and reads the page.
   * `rewrite` changes the callback URL first (a test-local knob, e.g. `error=invalid_scope`).
   */
  browser(app: RequestApp, rewrite?: (callback: URL) => URL): Launcher {
    return (command, args) => {
      this.launched.push([command, ...args]);
      const url = args[args.length - 1];
      const exited = (async () => {
        const res = await app.request(url);
        const location = res.headers.get("location");
        if (!location) return 1;
        const target = rewrite ? rewrite(new URL(location)).toString() : location;
        const page = await this.request(target);
        this.visits.push({ url: target, status: page.status, body: await page.text() });
        return 0;
      })().catch(() => 1);
      return Promise.resolve({ exited });
    };
  }
}

/** A `fetch` that answers from `app` (the fake Datadog without a socket). */
export function fetchVia(app: RequestApp): typeof fetch {
  return (input, init) =>
    Promise.resolve(app.request(input instanceof Request ? input : String(input), init));
}
