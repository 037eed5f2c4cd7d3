/**
 * @module
 * Everything pup takes from the outside world, in one object made by `main.ts` (and by each
 * test, with fakes). Code under `lib/` reads the clock, randomness, environment, console,
 * network and programs only through it. A shared leaf: it imports nothing but the types of
 * the runtime services it bundles (`lib/runtime/server.ts`, `spawn.ts`).
 */
import type { Serve } from "./runtime/server.ts";
import type { Launcher, Spawner } from "./runtime/spawn.ts";

/** Standard streams. */
export interface IO {
  out(text: string): void;
  err(text: string): void;
  /** Reads one line of stdin; null at end of input. */
  readLine(): Promise<string | null>;
  /** Reads all of stdin. */
  readAll(): Promise<string>;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
}

/**
 * Wall clock and timers. Every timer in `lib/` comes from here (never `setTimeout` or
 * `AbortSignal.timeout` directly), so tests run on a fake clock (`tests/fakes/clock.ts`).
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Resolves after `ms`, or rejects when `signal` aborts. Delays are clamped to
   * {@link MAX_TIMER_MS}: a longer one would overflow the runtime's 32-bit timer and fire at once.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** A signal that aborts (with a `TimeoutError`) after `ms`, clamped like `sleep`. */
  timeout(ms: number): AbortSignal;
}

/** The longest delay a timer takes (2^31 − 1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `ms` made a valid timer delay: at least 0, at most {@link MAX_TIMER_MS}, NaN → 0. */
export function clampDelay(ms: number): number {
  return Number.isNaN(ms) ? 0 : Math.min(Math.max(ms, 0), MAX_TIMER_MS);
}

/** A signal that interrupts pup: Ctrl-C, `kill`, the terminal closing. */
export type InterruptSignal = "SIGINT" | "SIGTERM" | "SIGHUP";

/** The exit code of a process ended by each signal (128 + its number), as shells report it. */
export const SIGNAL_EXIT_CODE: Readonly<Record<InterruptSignal, number>> = {
  SIGHUP: 129,
  SIGINT: 130,
  SIGTERM: 143,
};

/** Facts about the host and the process. */
export interface Host {
  runtime: string;
  runtimeVersion: string;
  os: string;
  arch: string;
  homeDir: string;
  pid: number;
  /** Whether the process `pid` is alive (for stale-lock recovery). */
  processExists(pid: number): boolean;
  /**
   * Whether anything exists at `path` (the login's container markers, `/.dockerenv`). Absent
   * in a fake host: nothing exists there.
   */
  exists?(path: string): boolean;
  /**
   * Registers a handler for the first SIGINT, SIGTERM or SIGHUP, called with the signal's
   * name (exit with {@link SIGNAL_EXIT_CODE}); returns its remover. The real one always passes
   * the name; it is optional so that handlers and fakes written as `() => void` still fit.
   */
  onInterrupt(handler: (signal?: InterruptSignal) => void): () => void;
  /**
   * The user id on POSIX systems (undefined on Windows), for ownership checks of the config
   * folder, so lib/store need not ask `node:os` itself.
   */
  uid?: number;
}

/** The dependencies of every command. */
export interface Deps {
  env: Readonly<Record<string, string | undefined>>;
  io: IO;
  clock: Clock;
  /** Fills a new array with `n` cryptographically random bytes. */
  randomBytes(n: number): Uint8Array;
  fetch: typeof fetch;
  serve: Serve;
  spawn: Spawner;
  /** Starts a program without waiting (the browser). */
  launch: Launcher;
  host: Host;
  /** pup's version. */
  version: string;
}

/** A {@link Clock} on the real timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const t = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, clampDelay(ms));
      const onAbort = () => {
        clearTimeout(t);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
  timeout: (ms) => AbortSignal.timeout(clampDelay(ms)),
};

/** CSPRNG bytes from Web Crypto. */
export function cryptoRandomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  // getRandomValues takes at most 65,536 bytes a call.
  for (let i = 0; i < n; i += 65536) {
    crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  }
  return out;
}
