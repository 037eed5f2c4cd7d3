/**
 * @module
 * Serving a fetch handler on a loopback address with the runtime's native server (the
 * adapter's `serve`: `Bun.serve` / `Deno.serve`): binding and the first request cost a few
 * milliseconds.
 */
import { currentRuntime } from "./process.ts";
import type { Serve } from "./server.ts";

export type { CloseOptions, Serve, Server } from "./server.ts";

/** Thrown by {@link serveHttp} when the port is taken. */
export class AddressInUseError extends Error {
  constructor(readonly port: number) {
    super(`address in use: port ${port}`);
    this.name = "AddressInUseError";
  }
}

function isAddrInUse(err: unknown): boolean {
  const e = err as { code?: string; name?: string; message?: string } | undefined;
  return e?.code === "EADDRINUSE" || e?.name === "AddrInUse" ||
    /address (already )?in use|EADDRINUSE/i.test(e?.message ?? "");
}

/** The real {@link Serve}: the running runtime's native server. */
export const serveHttp: Serve = (handler, { hostname, port }) => {
  try {
    return Promise.resolve(currentRuntime().serve(handler, hostname, port));
  } catch (err) {
    if (isAddrInUse(err)) return Promise.reject(new AddressInUseError(port));
    return Promise.reject(err);
  }
};
