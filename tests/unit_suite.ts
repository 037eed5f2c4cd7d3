/**
 * @module
 * The unit suite as one test module, for Deno. Deno runs each test module in an isolate of its
 * own, which costs ~0.15 s a module before its first test (51 modules: ~7 s of a 22 s run);
 * imported from here they share one, as under Bun. `deno test` runs this module and the
 * end-to-end tests (`deno.json`'s `test.include`); a file given by name still runs alone.
 *
 * Every `*.test.ts` under `tests/` but `tests/e2e/` is found when this module loads, so a new
 * test file needs no entry here.
 */
import { readdirSync } from "node:fs";

/** The unit test files under `dir` (relative to `tests/`), sorted; `e2e/` is skipped. */
function unitTests(dir: URL, prefix = ""): string[] {
  const found: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory() && !(prefix === "" && e.name === "e2e")) {
      found.push(...unitTests(new URL(`${e.name}/`, dir), `${prefix}${e.name}/`));
    } else if (e.isFile() && e.name.endsWith(".test.ts")) found.push(`${prefix}${e.name}`);
  }
  return found.sort();
}

const here = new URL("./", import.meta.url);
for (const file of unitTests(here)) await import(new URL(file, here).href);
