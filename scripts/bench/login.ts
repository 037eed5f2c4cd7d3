/**
 * @module
 * The login benchmark. pup's `$BROWSER` is a one-line curl that hands the URL to a hook in the
 * bench process, which plays the browser with `fetch`: it GETs the authorize page, notes the
 * moment it holds the redirect, then GETs the callback. So "redirect → exit" has no browser
 * start-up in it. The baseline is the same flow with no pup: the bench binds a callback on the
 * same ports, launches the same browser, and exchanges the code with a bare `fetch`; that
 * exchange is the server's own time inside pup's "redirect → exit".
 */
import { spawn } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ClientCredentials } from "../../lib/auth/types.ts";
import { AddressInUseError, serveHttp, type Server } from "../../lib/runtime/serve.ts";
import { siteKey } from "../../lib/store/state_store.ts";
import { DEFAULT_SCOPES, s256 } from "../../tests/fakes/datadog.ts";
import { type Cmd, epochMs, MeasureError, run } from "./measure.ts";

const CALLBACK_PORTS = [8000, 8080, 8888, 9000];

/** One visit of the hook browser. */
interface Visit {
  /** Epoch ms at which the authorize page's redirect was in hand. */
  redirectAt: number;
  error?: string;
}

/** The in-process browser and the `$BROWSER` program that calls it. */
export interface BrowserHook {
  /** The `$BROWSER` program. */
  program: string;
  /** The environment the program needs. */
  env: Record<string, string>;
  /** The most recent visit (after the flow it belongs to has ended). */
  lastVisit(): Promise<Visit>;
  close(): Promise<void>;
}

/** Starts the hook on 127.0.0.1 and writes its `$BROWSER` program into `dir`. */
export async function startBrowserHook(dir: string): Promise<BrowserHook> {
  let last: Promise<Visit> = Promise.reject(new Error("the browser was never opened"));
  last.catch(() => {});
  const visit = async (url: string): Promise<Visit> => {
    try {
      const first = await fetch(url, { redirect: "manual" });
      await first.body?.cancel();
      const location = first.headers.get("location");
      const redirectAt = epochMs();
      if (!location) return { redirectAt, error: `authorize answered ${first.status}` };
      const second = await fetch(location);
      await second.text();
      return { redirectAt };
    } catch (err) {
      return { redirectAt: epochMs(), error: String(err) };
    }
  };
  const server: Server = await serveHttp(async (req) => {
    const url = (await req.text()).trim();
    last = visit(url);
    return new Response(null, { status: 202 });
  }, { hostname: "127.0.0.1", port: 0 });
  const program = join(dir, "browser");
  writeFileSync(
    program,
    '#!/bin/sh\nfor last; do :; done\nexec curl -s -o /dev/null --data-binary "$last" ' +
      '"$PUP_BENCH_BROWSER_HOOK"\n',
  );
  chmodSync(program, 0o755);
  return {
    program,
    env: { PUP_BENCH_BROWSER_HOOK: `http://127.0.0.1:${server.port}/open` },
    lastVisit: () => last,
    close: () => server.close(),
  };
}

/** One login: its whole time and the span from the redirect to the end. */
export interface LoginSample {
  /** Epoch ms at the start (pup spawned, or the bare flow begun). */
  startedAt: number;
  total: number;
  redirectToEnd: number;
  /** Baseline only: the bare token exchange. */
  exchange?: number;
}

/** Runs `pup auth login` once (DCR already done); times it. */
export async function pupLogin(c: Cmd, hook: BrowserHook): Promise<LoginSample> {
  const r = await run(c);
  if (r.code !== 0) {
    throw new MeasureError(`'pup auth login' exited ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
  }
  const v = await hook.lastVisit();
  if (v.error) throw new MeasureError(`the browser failed: ${v.error}`);
  return { startedAt: r.startedAt, total: r.ms, redirectToEnd: r.exitedAt - v.redirectAt };
}

async function bindFirstFree(
  handler: (req: Request) => Response | Promise<Response>,
): Promise<Server> {
  for (const port of CALLBACK_PORTS) {
    try {
      return await serveHttp(handler, { hostname: "127.0.0.1", port });
    } catch (err) {
      if (!(err instanceof AddressInUseError)) throw err;
    }
  }
  throw new MeasureError("every callback port (8000, 8080, 8888, 9000) is in use");
}

function randomString(n: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
  return [...bytes].map((b) => abc[b % abc.length]).join("");
}

/**
 * The same flow without pup, in this process: bind a callback, launch the same browser, take
 * the code, exchange it with a bare `fetch`.
 */
export async function bareLogin(
  fakeUrl: string,
  client: ClientCredentials,
  hook: BrowserHook,
): Promise<LoginSample> {
  const startedAt = epochMs();
  const t0 = performance.now();
  const verifier = randomString(128);
  const state = randomString(32);
  let gotCode!: (code: string) => void;
  const code = new Promise<string>((r) => (gotCode = r));
  const server = await bindFirstFree((req) => {
    const q = new URL(req.url).searchParams;
    if (q.get("state") === state && q.get("code")) gotCode(q.get("code")!);
    return new Response("<p>Logged in. You may close this window.</p>", {
      headers: { "content-type": "text/html" },
    });
  });
  const redirect = `http://127.0.0.1:${server.port}/callback`;
  try {
    const url = new URL(`${fakeUrl}/oauth2/v1/authorize`);
    const q = url.searchParams;
    q.set("response_type", "code");
    q.set("client_id", client.client_id);
    q.set("redirect_uri", redirect);
    q.set("state", state);
    q.set("scope", DEFAULT_SCOPES.join(" "));
    q.set("code_challenge", await s256(verifier));
    q.set("code_challenge_method", "S256");
    const browser = spawn(hook.program, [url.href], {
      env: { ...process.env, ...hook.env },
      stdio: "ignore",
    });
    browser.unref();
    const theCode = await code;
    const e0 = performance.now();
    const res = await fetch(`${fakeUrl}/oauth2/v1/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: theCode,
        redirect_uri: redirect,
        client_id: client.client_id,
        client_secret: client.client_secret ?? "",
        code_verifier: verifier,
      }).toString(),
    });
    const body = await res.json();
    const exchange = performance.now() - e0;
    if (!res.ok || !body.access_token) {
      throw new MeasureError(`bare token exchange answered ${res.status}`);
    }
    await server.close();
    const v = await hook.lastVisit();
    if (v.error) throw new MeasureError(`the browser failed: ${v.error}`);
    return {
      startedAt,
      total: performance.now() - t0,
      redirectToEnd: epochMs() - v.redirectAt,
      exchange,
    };
  } finally {
    await server.close().catch(() => {});
  }
}

/** The DCR client pup stored in `dir` for `site`. */
export function storedClient(dir: string, site: string): ClientCredentials {
  return JSON.parse(readFileSync(join(dir, `client_${siteKey(site)}.json`), "utf8"));
}
