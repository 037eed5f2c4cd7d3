/**
 * @module
 * The one place that reads the host process: environment, argv, platform, streams and exit.
 * Everything else in pup receives these values through {@link Deps}.
 */
import { homedir } from "node:os";
import type { InterruptSignal } from "../deps.ts";
import type { RuntimeAdapter } from "./adapter.ts";
import { bunAdapter } from "./bun.ts";
import { denoAdapter } from "./deno.ts";

/**
 * The adapter of the runtime executing pup.
 *
 * @example
 * currentRuntime().name; // "bun" in the compiled binary
 */
export function currentRuntime(): RuntimeAdapter {
  const adapter = bunAdapter() ?? denoAdapter();
  if (!adapter) throw new Error("pup runs on Bun or Deno; this runtime is neither");
  return adapter;
}

const runtime = currentRuntime();

/** Which JavaScript runtime is executing pup. */
export const runtimeName: "bun" | "deno" = runtime.name;

/** The runtime's version string, e.g. `1.4.5`. */
export const runtimeVersion: string = runtime.version;

/** `darwin`, `linux`, `windows`, … (Node's `process.platform`, with `win32` → `windows`). */
export const osName: string = process.platform === "win32" ? "windows" : process.platform;

/** `x64`, `arm64`, … */
export const archName: string = process.arch;

/** The command-line arguments after the program (and script) name. */
export function programArgs(): string[] {
  return process.argv.slice(2);
}

/** A snapshot of the environment. */
export function environment(): Record<string, string | undefined> {
  return { ...process.env };
}

/** The user's home directory. */
export function homeDirectory(): string {
  return homedir();
}

/** The user id on POSIX systems; undefined on Windows. */
export const uid: number | undefined = process.getuid?.();

/** The current process id. */
export const pid: number = process.pid;

/** Whether a process with this id exists (signal 0 probe). */
export function processExists(id: number): boolean {
  try {
    process.kill(id, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === "EPERM";
  }
}

/** Whether anything exists at `path` (a file probe: the container markers of a login). */
export function pathExists(path: string): boolean {
  return nodeFs().existsSync(path);
}

/**
 * Ends the process with `code`. Output went out with blocking `writeSync` calls (below), so
 * nothing is left to drain.
 */
export function exit(code: number): Promise<never> {
  process.exit(code);
}

// Start-up cost: the first touch of `process.stdout`, `process.stderr` or `process.stdin`
// builds the runtime's stream stack, ~18 ms in a compiled Bun binary — more than the whole of
// `pup auth status` otherwise (scripts/bench.ts). So output goes out with `writeSync` on the
// file descriptor. node:fs itself is fetched on first use (`getBuiltinModule`, which Bun and
// Deno both have): loading it costs ~1 ms, which `pup --version` skips.
let stdoutGone = false;

type Fs = typeof import("node:fs");
let fsModule: Fs | undefined;

function nodeFs(): Fs {
  return fsModule ??= process.getBuiltinModule("node:fs") as Fs;
}

function writeTo(name: "stdout" | "stderr", fd: number, text: string): void {
  const fs = nodeFs();
  const bytes = new TextEncoder().encode(text);
  for (let done = 0; done < bytes.length;) {
    try {
      done += fs.writeSync(fd, bytes, done, bytes.length - done);
    } catch (err) {
      const code = (err as { code?: string }).code;
      // The reader went away (`pup … | head -1`): drop the rest quietly, as the stream did.
      if (code === "EPIPE") {
        if (name === "stdout") stdoutGone = true;
        return;
      }
      // A descriptor a parent made non-blocking, and full: wait for the reader, as a blocking
      // write would (the stream lost such output at exit).
      if (code !== "EAGAIN") throw err;
      Atomics.wait(pauseCell, 0, 0, 1);
    }
  }
}

const pauseCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Prints one line on stdout with the runtime's console, which costs nothing to load: for
 * `pup --version`, answered before the rest of pup is loaded. Nothing else may use it (its
 * output is not ordered with {@link writeStdout}'s).
 */
export function printLine(text: string): void {
  console.log(text);
}

/** Writes text to stdout. */
export function writeStdout(text: string): void {
  if (!stdoutGone) writeTo("stdout", 1, text);
}

/** Writes text to stderr. */
export function writeStderr(text: string): void {
  writeTo("stderr", 2, text);
}

let devNull: number | undefined;

/**
 * Whether file descriptor `fd` is a terminal. A terminal is a character device, so a pipe, a
 * file — and /dev/null — are ruled out with one `fstat`; only a character device is asked
 * with `isatty`, whose module (node:tty) costs ~5 ms to load in a compiled binary.
 */
function isTerminal(fd: number): boolean {
  if (process.platform !== "win32") {
    const fs = nodeFs();
    try {
      const s = fs.fstatSync(fd);
      if (!s.isCharacterDevice()) return false;
      devNull ??= fs.statSync("/dev/null").rdev;
      if (s.rdev === devNull) return false;
    } catch {
      return false; // a closed descriptor is no terminal
    }
  }
  return (process.getBuiltinModule("node:tty") as typeof import("node:tty")).isatty(fd);
}

/** Whether each standard stream is a terminal (each asked once, when first read). */
export const tty = {
  get stdin(): boolean {
    return cached("stdin", 0);
  },
  get stdout(): boolean {
    return cached("stdout", 1);
  },
  get stderr(): boolean {
    return cached("stderr", 2);
  },
};

const ttyCache: Partial<Record<"stdin" | "stdout" | "stderr", boolean>> = {};

function cached(stream: "stdin" | "stdout" | "stderr", fd: number): boolean {
  return ttyCache[stream] ??= isTerminal(fd);
}

let stdinLines: AsyncIterator<string> | undefined;

/** Reads one line from stdin (without its newline); null at end of input. */
export async function readStdinLine(): Promise<string | null> {
  if (!stdinLines) {
    const { createInterface } = await import("node:readline");
    const rl = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
    stdinLines = rl[Symbol.asyncIterator]();
  }
  const next = await stdinLines.next();
  return next.done ? null : next.value;
}

/** Reads all of stdin as text. */
export async function readStdinAll(): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Uint8Array);
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/** The signals that interrupt pup: Ctrl-C, `kill`, a closed terminal. */
const INTERRUPTS: readonly InterruptSignal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * Runs `handler` once, with the signal's name, on the first SIGINT, SIGTERM or SIGHUP; returns
 * a function that removes it. After that first signal pup no longer listens, so a second one
 * ends the process the runtime's default way. A signal the runtime cannot watch on this OS
 * (SIGHUP under Deno on Windows) is skipped.
 */
export function onInterrupt(handler: (signal?: InterruptSignal) => void): () => void {
  const listeners = new Map<InterruptSignal, () => void>();
  const remove = () => {
    for (const [signal, listener] of listeners) process.off(signal, listener);
    listeners.clear();
  };
  for (const signal of INTERRUPTS) {
    const listener = () => {
      remove();
      handler(signal);
    };
    try {
      process.on(signal, listener);
      listeners.set(signal, listener);
    } catch {
      // not watchable here
    }
  }
  return remove;
}
