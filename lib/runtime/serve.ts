/**
 * @module
 * Serving a fetch handler on a loopback address with the runtime's native server
 * (`Bun.serve` / `Deno.serve`): binding and the first request cost a few milliseconds.
 */

/** How to stop a {@link Server}. */
export interface CloseOptions {
  /**
   * Graceful: stop accepting, let the responses already under way finish, and force the rest
   * closed when this signal aborts. Absent: close at once, open connections included.
   */
  grace?: AbortSignal;
}

/** A running server. */
export interface Server {
  /** The port actually bound (useful with port 0). */
  port: number;
  /** Stops listening and closes connections (see {@link CloseOptions}). */
  close(options?: CloseOptions): Promise<void>;
}

/** Serves `handler` on `hostname:port`. */
export type Serve = (
  handler: (request: Request) => Response | Promise<Response>,
  options: { hostname: string; port: number },
) => Promise<Server>;

/** Thrown by {@link serveHttp} when the port is taken. */
export class AddressInUseError extends Error {
  constructor(readonly port: number) {
    super(`address in use: port ${port}`);
    this.name = "AddressInUseError";
  }
}

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

function isAddrInUse(err: unknown): boolean {
  const e = err as { code?: string; name?: string; message?: string } | undefined;
  return e?.code === "EADDRINUSE" || e?.name === "AddrInUse" ||
    /address (already )?in use|EADDRINUSE/i.test(e?.message ?? "");
}

/** Resolves when `signal` aborts (never when absent). */
function aborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** The real {@link Serve}: `Bun.serve` or `Deno.serve` (pup ships on nothing else). */
export const serveHttp: Serve = (handler, { hostname, port }) => {
  try {
    return Promise.resolve(
      g.Bun ? serveBun(handler, hostname, port) : serveDeno(handler, hostname, port),
    );
  } catch (err) {
    if (isAddrInUse(err)) return Promise.reject(new AddressInUseError(port));
    return Promise.reject(err);
  }
};

type Handler = (request: Request) => Response | Promise<Response>;

function serveBun(handler: Handler, hostname: string, port: number): Server {
  const server = g.Bun.serve({ hostname, port, fetch: handler, reusePort: false });
  return {
    port: server.port as number,
    close: async (options) => {
      if (options?.grace) {
        // stop(false) resolves once the responses under way are written.
        await Promise.race([server.stop(false), aborted(options.grace)]);
      }
      await server.stop(true);
    },
  };
}

function serveDeno(handler: Handler, hostname: string, port: number): Server {
  const ac = new AbortController();
  const server = g.Deno.serve({ hostname, port, signal: ac.signal, onListen() {} }, handler);
  return {
    port: server.addr.port as number,
    close: async (options) => {
      // Deno's shutdown is graceful: pending responses finish, idle connections close.
      ac.abort();
      await (options?.grace
        ? Promise.race([server.finished, aborted(options.grace)])
        : server.finished);
    },
  };
}
