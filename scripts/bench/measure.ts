/**
 * @module
 * Timing for the benchmark: run a program and time it from spawn to exit, run several programs
 * interleaved (so drift in the machine's speed hits each alike), and summarise the samples.
 */
import { spawn } from "node:child_process";

/** A command line and its environment. */
export interface Cmd {
  cmd: string;
  args: string[];
  env: Record<string, string | undefined>;
  /** Exit codes that count as success (default `[0]`). */
  ok?: number[];
}

/** What a finished run left behind. */
export interface RunResult {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
  /** Epoch milliseconds (sub-ms) at spawn and at exit. */
  startedAt: number;
  exitedAt: number;
}

/** Epoch milliseconds with sub-millisecond resolution. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Runs `c` to its end; never rejects (a failure to start is code null with the error). */
export function run(c: Cmd): Promise<RunResult> {
  return new Promise((resolve) => {
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    const startedAt = epochMs();
    const t0 = performance.now();
    const child = spawn(c.cmd, c.args, { env: c.env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (b: Uint8Array) => out.push(b));
    child.stderr.on("data", (b: Uint8Array) => err.push(b));
    let done = false;
    const finish = (code: number | null, extra = "") => {
      if (done) return;
      done = true;
      const ms = performance.now() - t0;
      resolve({
        ms,
        code,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString() + extra,
        startedAt,
        exitedAt: startedAt + ms,
      });
    };
    child.once("error", (e) => finish(null, String(e)));
    child.once("close", (code) => finish(code));
  });
}

/** Thrown when a measured program fails: the benchmark cannot trust that row. */
export class MeasureError extends Error {}

/** Runs `c` and returns its time; throws {@link MeasureError} on an unexpected exit code. */
export async function timed(c: Cmd): Promise<number> {
  const r = await run(c);
  check(c, r);
  return r.ms;
}

/** Throws {@link MeasureError} unless `r` ended with one of `c`'s expected codes. */
export function check(c: Cmd, r: RunResult): void {
  if (r.code === null || !(c.ok ?? [0]).includes(r.code)) {
    const what = [c.cmd, ...c.args].join(" ");
    throw new MeasureError(`'${what}' exited ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
  }
}

/** The median and spread of a sample, in its unit. */
export interface Summary {
  median: number;
  p10: number;
  p90: number;
  n: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Median and p10–p90 of `samples`. */
export function summarize(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), p10: quantile(s, 0.1), p90: quantile(s, 0.9), n: s.length };
}

/**
 * Runs each named task `warmup` times, then `reps` rounds of every task, rotating the order each
 * round; returns each task's samples.
 */
export async function interleave(
  tasks: Record<string, () => Promise<number>>,
  reps: number,
  warmup: number,
): Promise<Record<string, number[]>> {
  const names = Object.keys(tasks);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < warmup; i++) for (const n of names) await tasks[n]();
  for (let i = 0; i < reps; i++) {
    for (let j = 0; j < names.length; j++) {
      const n = names[(i + j) % names.length];
      samples[n].push(await tasks[n]());
    }
  }
  return samples;
}
