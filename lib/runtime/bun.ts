/**
 * @module
 * The Bun adapter: what only Bun answers. Everything both runtimes share (node:fs, node:os,
 * node:child_process, `process`) stays in the common modules of `lib/runtime/`.
 */
import type { RuntimeAdapter } from "./adapter.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** Bun, when pup runs on it. */
export function bunAdapter(): RuntimeAdapter | undefined {
  if (!g.Bun) return undefined;
  return { name: "bun", version: String(g.Bun.version) };
}
