/**
 * @module
 * pup's entry point: build the real dependencies, run the command line, exit with its code.
 */
import { exit, printLine, programArgs } from "./lib/runtime/process.ts";
import { VERSION } from "./lib/version.ts";

const argv = programArgs();
// Scripts probe `pup --version` more than anything: answer it (as run() would) before the
// command line is loaded, so it costs no more than a hello-world binary (scripts/bench.ts).
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  printLine(`pup ${VERSION}`);
  await exit(0);
}
const [{ run }, { realDeps }] = await Promise.all([
  import("./lib/cli/run.ts"),
  import("./lib/runtime/deps.ts"),
]);
await exit(await run(argv, realDeps()));
