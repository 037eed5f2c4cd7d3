/**
 * @module
 * One small adapter per runtime pup ships on (Bun: `bun.ts`, Deno: `deno.ts`), in Hono's
 * `adapter/<runtime>/` spirit: each answers only what its runtime does differently, and
 * `process.ts` picks the one that runs. There is no Node adapter: pup ships as a Bun binary
 * and is tested on Bun and Deno.
 */
import type { Handler, Server } from "./server.ts";

/** What differs between runtimes, as far as pup needs to know. */
export interface RuntimeAdapter {
  name: "bun" | "deno";
  /** e.g. `1.4.5` */
  version: string;
  /** Serves `handler` on `hostname:port` with the native server; throws when the port is taken. */
  serve(handler: Handler, hostname: string, port: number): Server;
}
