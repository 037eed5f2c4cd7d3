/**
 * @module
 * The Deno adapter: what only Deno answers. Everything both runtimes share (node:fs, node:os,
 * node:child_process, `process`) stays in the common modules of `lib/runtime/`.
 */
import type { RuntimeAdapter } from "./adapter.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** Deno, when pup runs on it. */
export function denoAdapter(): RuntimeAdapter | undefined {
  if (!g.Deno) return undefined;
  return { name: "deno", version: String(g.Deno.version.deno) };
}
