/**
 * @module
 * One small adapter per runtime pup ships on (Bun: `bun.ts`, Deno: `deno.ts`), in Hono's
 * `adapter/<runtime>/` spirit: each answers only what its runtime does differently, and
 * {@link currentRuntime} picks the one that runs. There is no Node adapter: pup ships as a Bun
 * binary and is tested on Bun and Deno.
 */
import { bunAdapter } from "./bun.ts";
import { denoAdapter } from "./deno.ts";

/** What differs between runtimes, as far as pup needs to know. */
export interface RuntimeAdapter {
  name: "bun" | "deno";
  /** e.g. `1.4.5` */
  version: string;
}

/**
 * The adapter of the runtime executing pup.
 *
 * @example
 * currentRuntime().name; // "bun" in the compiled binary
 */
export function currentRuntime(): RuntimeAdapter {
  const adapter = bunAdapter() ?? denoAdapter();
  if (!adapter) throw new Error("pup runs on Bun or Deno; this runtime is neither");
  return adapter;
}
