/**
 * @module
 * Running other programs (keychain tools, the browser opener) with `node:child_process`,
 * the one subprocess API that behaves the same in Bun, Deno and compiled binaries.
 */
import { spawn } from "node:child_process";

/** What a finished program left behind. */
export interface SpawnResult {
  /** Exit code; null when killed by a signal (including our timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** True when the program was killed because it ran past `timeoutMs`. */
  timedOut: boolean;
}

/** How to run a program. */
export interface SpawnOptions {
  /** Text written to the program's stdin, which is then closed. Omitted: stdin is empty. */
  stdin?: string;
  /** Kill the program after this many milliseconds. */
  timeoutMs: number;
  /** Extra environment variables (merged over the current environment). */
  env?: Record<string, string>;
  /** Do not wait for the program: start it detached and resolve once it has started. */
  detached?: boolean;
}

/** Runs a program; rejects with an error whose `code` is `ENOENT` when it does not exist. */
export type Spawner = (
  command: string,
  args: string[],
  options: SpawnOptions,
) => Promise<SpawnResult>;

/**
 * The real {@link Spawner}.
 *
 * @example
 * const r = await spawnProgram("secret-tool", ["lookup", "service", "pup"], { timeoutMs: 5000 });
 */
export const spawnProgram: Spawner = (command, args, options) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: options.detached ? "ignore" : ["pipe", "pipe", "pipe"],
      env: options.env ? { ...process.env, ...options.env } : process.env,
      detached: options.detached ?? false,
      windowsHide: true,
    });
    if (options.detached) {
      child.once("error", reject);
      child.once("spawn", () => {
        child.unref();
        resolve({ code: 0, stdout: "", stderr: "", timedOut: false });
      });
      return;
    }
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs);
    child.stdout!.on("data", (c: Uint8Array) => out.push(c));
    child.stderr!.on("data", (c: Uint8Array) => err.push(c));
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      const decoder = new TextDecoder();
      resolve({
        code,
        stdout: decoder.decode(Buffer.concat(out)),
        stderr: decoder.decode(Buffer.concat(err)),
        timedOut,
      });
    });
    child.stdin!.on("error", () => {}); // a program that exits without reading stdin: EPIPE
    child.stdin!.end(options.stdin ?? "");
  });

/** Starts a program without waiting for it; `exited` settles when it ends. */
export type Launcher = (
  command: string,
  args: string[],
) => Promise<{ exited: Promise<number | null> }>;

/** The real {@link Launcher}: stdio ignored, the child does not keep pup alive. */
export const launchProgram: Launcher = (command, args) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: "ignore", windowsHide: true });
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    child.once("error", reject);
    child.once("spawn", () => {
      child.unref();
      resolve({ exited });
    });
  });
