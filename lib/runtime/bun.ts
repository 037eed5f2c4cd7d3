/**
 * @module
 * The Bun adapter: what only Bun answers. Everything both runtimes share (node:fs, node:os,
 * node:child_process, `process`) stays in the common modules of `lib/runtime/`.
 */
import type { RuntimeAdapter } from "./adapter.ts";
import { aborted, type Handler, type Server } from "./server.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** Bun, when pup runs on it. */
export function bunAdapter(): RuntimeAdapter | undefined {
  if (!g.Bun) return undefined;
  return { name: "bun", version: String(g.Bun.version), serve: serveBun };
}

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
