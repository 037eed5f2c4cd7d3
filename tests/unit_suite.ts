/**
 * @module
 * The unit suite as one test module, for Deno. Deno runs each test module in an isolate of its
 * own, which costs ~0.15 s a module before its first test (51 modules: ~7 s of a 22 s run);
 * imported from here they share one, as under Bun. `deno test` runs this module and the
 * end-to-end tests (`deno.json`'s `test.include`); a file given by name still runs alone.
 *
 * Every `*.test.ts` under `tests/` but `tests/e2e/` is found when this module loads
 * (`unit_files.ts`), so a new test file needs no entry here.
 */
import { TESTS_DIR, unitTestFiles } from "./unit_files.ts";

for (const file of unitTestFiles()) await import(new URL(file, TESTS_DIR).href);
