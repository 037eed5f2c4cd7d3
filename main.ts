/**
 * @module
 * pup's entry point: build the real dependencies, run the command line, exit with its code.
 */
import { run } from "./lib/cli/run.ts";
import { realDeps } from "./lib/runtime/deps.ts";
import { exit, programArgs } from "./lib/runtime/process.ts";

await exit(await run(programArgs(), realDeps()));
