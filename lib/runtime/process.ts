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
  await Promise.all([drain(process.stdout), drain(process.stderr)]);
  process.exit(code);
}

function drain(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (!stream.writableNeedDrain) return resolve();
    stream.once("drain", () => resolve());
  });
}

/** Writes text to stdout. */
export function writeStdout(text: string): void {
  process.stdout.write(text);
}

/** Writes text to stderr. */
export function writeStderr(text: string): void {
  process.stderr.write(text);
}

/** Whether each standard stream is a terminal. */
export const tty = {
  stdin: Boolean(process.stdin.isTTY),
  stdout: Boolean(process.stdout.isTTY),
  stderr: Boolean(process.stderr.isTTY),
};

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

/** Runs `handler` once on SIGINT/SIGTERM; returns a function that removes it. */
export function onInterrupt(handler: () => void): () => void {
  process.once("SIGINT", handler);
  process.once("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}
