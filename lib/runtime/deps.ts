/**
 * @module
 * The real {@link Deps}: the process, Web Crypto, a proxy-aware fetch, the native server, spawn.
 */
import { cryptoRandomBytes, type Deps, systemClock } from "../deps.ts";
import { VERSION } from "../version.ts";
import {
  archName,
  environment,
  homeDirectory,
  onInterrupt,
  osName,
  pathExists,
  pid,
  processExists,
  readStdinAll,
  readStdinLine,
  runtimeName,
  runtimeVersion,
  tty,
  uid,
  writeStderr,
  writeStdout,
} from "./process.ts";

// The network, the server and subprocesses are loaded on first use: `auth status` and
// `--version` need none of them, and node:child_process alone costs ~1.5 ms of start-up in the
// compiled binary (scripts/bench.ts).
const spawnModule = () => import("./spawn.ts");

/** Builds the dependencies of a real run. */
export function realDeps(): Deps {
  const env = environment();
  let fetchVia: typeof fetch | undefined;
  return {
    env,
    io: {
      out: writeStdout,
      err: writeStderr,
      readLine: readStdinLine,
      readAll: readStdinAll,
      // Getters: asked only by the commands that care (see `tty`).
      get stdinIsTTY() {
        return tty.stdin;
      },
      get stdoutIsTTY() {
        return tty.stdout;
      },
      get stderrIsTTY() {
        return tty.stderr;
      },
    },
    clock: systemClock,
    randomBytes: cryptoRandomBytes,
    // HTTPS_PROXY / HTTP_PROXY / NO_PROXY apply to every request, OAuth and API alike.
    fetch: async (input, init) => {
      fetchVia ??= (await import("./proxy_fetch.ts")).proxyAwareFetch(env);
      return await fetchVia(input, init);
    },
    serve: async (handler, options) => (await import("./serve.ts")).serveHttp(handler, options),
    spawn: async (command, args, options) =>
      (await spawnModule()).spawnProgram(command, args, options),
    launch: async (command, args) => (await spawnModule()).launchProgram(command, args),
    host: {
      runtime: runtimeName,
      runtimeVersion,
      os: osName,
      arch: archName,
      homeDir: homeDirectory(),
      pid,
      processExists,
      exists: pathExists,
      onInterrupt,
      uid,
    },
    version: VERSION,
  };
}
