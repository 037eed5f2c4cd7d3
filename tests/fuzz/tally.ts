/**
 * @module
 * The suite's tally (issue 9: the table `npm test` ends with). A test adds what it did —
 * inputs tried, faults injected, processes killed, leaks found, state lost — by appending one
 * JSON line to the file named by `PUP_SUITE_TALLY` (set by scripts/test.mjs); without it, nothing
 * is written. Format, one object per line, every field optional and a count:
 *
 *     {"suite":"fuzz/config","inputs":400,"faults":0,"killed":0,"leaks":0,"lost":0}
 *
 * The runner sums each field over all lines of both runtimes.
 */
import { appendFileSync } from "node:fs";
import { env } from "node:process";

/** One line of the tally. */
export interface Tally {
  suite: string;
  inputs?: number;
  faults?: number;
  killed?: number;
  leaks?: number;
  lost?: number;
}

/** Appends `t` to the tally file, when the runner asked for one. */
export function tally(t: Tally): void {
  const path = env.PUP_SUITE_TALLY;
  if (!path) return;
  appendFileSync(path, JSON.stringify(t) + "\n");
}
