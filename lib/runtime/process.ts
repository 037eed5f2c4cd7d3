/**
 * @module
 * The one place that reads the host process: environment, argv, platform, streams and exit.
 * Everything else in pup receives these values through {@link Deps}.
 */
import { homedir } from "node:os";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** Which JavaScript runtime is executing pup. */
export const runtimeName: "bun" | "deno" | "node" = g.Bun ? "bun" : g.Deno ? "deno" : "node";

/** The runtime's version string, e.g. `1.4.5`. */
export const runtimeVersion: string = g.Bun
  ? g.Bun.version
  : g.Deno
  ? g.Deno.version.deno
  : process.versions.node;

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

/** Ends the process with `code` once stdout and stderr have drained. */
export async function exit(code: number): Promise<never> {
  // Only a stream pup wrote through can hold unwritten output; touching the others would
  // build them (see below) just to find them empty.
  await Promise.all([
    streamUsed.stdout ? drain(process.stdout) : undefined,
    streamUsed.stderr ? drain(process.stderr) : undefined,
  ]);
  process.exit(code);
}

function drain(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (!stream.writableNeedDrain) return resolve();
    stream.once("drain", () => resolve());
  });
}

// Start-up cost: the first touch of `process.stdout`, `process.stderr` or `process.stdin`
// builds Node's stream stack, ~18 ms in a compiled Bun binary — more than the whole of
// `pup auth status` otherwise (scripts/bench.ts). So output goes out with `writeSync` on the
// file descriptor. node:fs itself is fetched on first use (`getBuiltinModule`: Bun, Deno,
// Node ≥ 22.3; without it, the streams): loading it costs ~1 ms, which `pup --version` skips.
const streamUsed = { stdout: false, stderr: false };
let stdoutGone = false;

type Fs = typeof import("node:fs");
let fsModule: Fs | null | undefined;

function nodeFs(): Fs | null {
  return fsModule ??= (process.getBuiltinModule?.("node:fs") as Fs | undefined) ?? null;
}

function writeTo(name: "stdout" | "stderr", fd: number, text: string): void {
  const fs = nodeFs();
  if (!fs) {
    streamUsed[name] = true;
    process[name].write(text);
    return;
  }
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
function isTerminal(fd: number, stream: "stdin" | "stdout" | "stderr"): boolean {
  const fs = nodeFs();
  if (fs && process.platform !== "win32") {
    try {
      const s = fs.fstatSync(fd);
      if (!s.isCharacterDevice()) return false;
      devNull ??= fs.statSync("/dev/null").rdev;
      if (s.rdev === devNull) return false;
    } catch {
      return false; // a closed descriptor is no terminal
    }
  }
  const tty = process.getBuiltinModule?.("node:tty") as typeof import("node:tty") | undefined;
  return tty ? tty.isatty(fd) : Boolean(process[stream].isTTY);
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
  return ttyCache[stream] ??= isTerminal(fd, stream);
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

/**
 * Runs `handler` once on SIGINT, SIGTERM or SIGHUP (given the signal's name); returns a
 * function that removes it. A signal the runtime cannot watch on this OS is skipped.
 */
export function onInterrupt(handler: (signal?: string) => void): () => void {
  const watched = (["SIGINT", "SIGTERM", "SIGHUP"] as const).filter((signal) => {
    try {
      process.once(signal, handler);
      return true;
    } catch {
      return false; // e.g. SIGHUP under Deno on Windows
    }
  });
  return () => {
    for (const signal of watched) process.off(signal, handler);
  };
}
