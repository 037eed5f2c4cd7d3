/**
 * @module
 * Which files are the unit suite: every `*.test.ts` under `tests/` but `tests/e2e/`. Deno runs
 * them as one module (`unit_suite.ts`) and `unit_rules.test.ts` checks what they may do, so both
 * read this one list.
 */
import { readdirSync } from "node:fs";

/** `tests/`, which the returned paths are relative to. */
export const TESTS_DIR = new URL("./", import.meta.url);

/** The unit test files under `dir` (relative to `tests/`), sorted; `e2e/` is skipped. */
export function unitTestFiles(dir: URL = TESTS_DIR, prefix = ""): string[] {
  const found: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory() && !(prefix === "" && e.name === "e2e")) {
      found.push(...unitTestFiles(new URL(`${e.name}/`, dir), `${prefix}${e.name}/`));
    } else if (e.isFile() && e.name.endsWith(".test.ts")) found.push(`${prefix}${e.name}`);
  }
  return found.sort();
}
