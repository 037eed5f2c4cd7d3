/**
 * @module
 * The Deno adapter: what only Deno answers. Everything both runtimes share (node:fs, node:os,
 * node:child_process, `process`) stays in the common modules of `lib/runtime/`.
 */
import type { RuntimeAdapter } from "./adapter.ts";
import { aborted, type Handler, type Server } from "./server.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** Deno, when pup runs on it. */
export function denoAdapter(): RuntimeAdapter | undefined {
  if (!g.Deno) return undefined;
  return { name: "deno", version: String(g.Deno.version.deno), serve: serveDeno };
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
