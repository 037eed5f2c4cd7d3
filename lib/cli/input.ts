/**
 * @module
 * Reading a command's input text from a file or stdin (`pup api --data @file` / `-`, a write
 * command's `--file F` / `-`): one place that reads, and one usage error (exit 2) for a file
 * that cannot be read, naming the flag and why. What the text must be is each command's rule.
 */
import { readFile } from "node:fs/promises";
import type { Context } from "./context.ts";
import { usageError } from "../errors.ts";

/** Where a command's input comes from: a file, or stdin. */
export type InputSource = { file: string } | { stdin: true };

/**
 * Reads all of `source`; `where` names it in the error (e.g. `--file monitor.json`).
 *
 * @example
 * await readInput(ctx, { file: "body.json" }, "--data file body.json"); // '{"a":1}'
 * await readInput(ctx, { file: "missing" }, "--file missing"); // usage error "cannot read --file missing: ENOENT"
 */
export async function readInput(ctx: Context, source: InputSource, where: string): Promise<string> {
  if ("stdin" in source) return await ctx.deps.io.readAll();
  try {
    return await readFile(source.file, "utf8");
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err as Error).message;
    throw usageError(`cannot read ${where}: ${code}`);
  }
}
