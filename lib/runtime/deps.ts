/**
 * @module
 * The real {@link Deps}: the process, Web Crypto, global fetch, the native server, spawn.
 */
import { cryptoRandomBytes, type Deps, systemClock } from "../deps.ts";
import { VERSION } from "../version.ts";
import {
  archName,
  environment,
  homeDirectory,
  onInterrupt,
  osName,
  pid,
  processExists,
  readStdinAll,
  readStdinLine,
  runtimeName,
  runtimeVersion,
  tty,
  writeStderr,
  writeStdout,
} from "./process.ts";
import { serveHttp } from "./serve.ts";
import { launchProgram, spawnProgram } from "./spawn.ts";

/** Builds the dependencies of a real run. */
export function realDeps(): Deps {
  return {
    env: environment(),
    io: {
      out: writeStdout,
      err: writeStderr,
      readLine: readStdinLine,
      readAll: readStdinAll,
      stdinIsTTY: tty.stdin,
      stdoutIsTTY: tty.stdout,
      stderrIsTTY: tty.stderr,
    },
    clock: systemClock,
    randomBytes: cryptoRandomBytes,
    fetch: (input, init) => fetch(input, init),
    serve: serveHttp,
    spawn: spawnProgram,
    launch: launchProgram,
    host: {
      runtime: runtimeName,
      runtimeVersion,
      os: osName,
      arch: archName,
      homeDir: homeDirectory(),
      pid,
      processExists,
      onInterrupt,
    },
    version: VERSION,
  };
}
