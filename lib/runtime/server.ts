/**
 * @module
 * The loopback server's shape, shared by `serve.ts` (which callers use) and the per-runtime
 * adapters (`bun.ts`, `deno.ts`, which build it on `Bun.serve` / `Deno.serve`).
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

/** A fetch handler. */
export type Handler = (request: Request) => Response | Promise<Response>;

/** Serves `handler` on `hostname:port` (the real one: `serveHttp` in `serve.ts`). */
export type Serve = (
  handler: Handler,
  options: { hostname: string; port: number },
) => Promise<Server>;

/**
 * Resolves when `signal` aborts (never when absent).
 *
 * @example
 * await Promise.race([server.stop(false), aborted(options.grace)]);
 */
export function aborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
