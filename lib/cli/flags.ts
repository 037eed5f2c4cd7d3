/**
 * @module
 * Flag values that several commands share, read the same way everywhere: integers (the
 * runner checks `type: "integer"` options with {@link integerFlag}), and `--from`/`--to`
 * times (on `lib/api/time.ts`'s pure arithmetic). Bad values are usage errors (exit 2) that
 * name the flag, the value and what was expected.
 */
import { usageError } from "../errors.ts";
import { safeText } from "../text.ts";
import { readTime, resolveTime, TIME_FORMS, type TimeSpec } from "../api/time.ts";

/**
 * Reads an integer flag: digits only, at least `min` (default 1), at most `max`.
 *
 * @example
 * integerFlag("limit", "20", { max: 1000 }); // 20
 */
export function integerFlag(
  name: string,
  value: string,
  bounds: { min?: number; max?: number } = {},
): number {
  const min = bounds.min ?? 1;
  const s = value.trim();
  const expected = min === 1 ? "a positive integer" : `an integer of at least ${min}`;
  if (!/^[0-9]+$/.test(s) || Number(s) < min) {
    throw usageError(`invalid --${name} "${safeText(value)}": expected ${expected}`);
  }
  const n = Number(s);
  if (bounds.max !== undefined && n > bounds.max) {
    throw usageError(`invalid --${name} "${safeText(value)}": expected at most ${bounds.max}`);
  }
  return n;
}

/**
 * Parses `--limit`: a positive integer, at most `max`; `fallback` when absent.
 *
 * @example
 * parseLimit("20", 100, 1000); // 20
 */
export function parseLimit(value: string | undefined, fallback: number, max: number): number {
  return value === undefined ? fallback : integerFlag("limit", value, { max });
}

/**
 * Reads a time flag (`--from 1h`) into a {@link TimeSpec}, resolved later against the clock.
 *
 * @example
 * timeFlag("15m", "--from"); // { agoMs: 900000 }
 */
export function timeFlag(value: string, flag: string): TimeSpec {
  const spec = readTime(value);
  if (typeof spec !== "string") return spec;
  const why = spec === "no such date" ? " (no such date)" : "";
  throw usageError(`invalid ${flag} "${safeText(value)}"${why}: expected ${TIME_FORMS}`);
}

/** `--from` and `--to` as read, before the clock is asked. */
export interface TimeRangeSpec {
  from: TimeSpec;
  to: TimeSpec;
}

/**
 * A flag the command cannot do without (`--query`), trimmed; a usage error naming the command
 * and an example when it is missing or blank.
 *
 * @example
 * requiredFlag(undefined, "query", "logs query", '"service:web"'); // throws: 'pup logs query' needs --query, e.g. --query "service:web"
 */
export function requiredFlag(
  value: unknown,
  flag: string,
  command: string,
  example: string,
  hint?: string,
): string {
  const text = typeof value === "string" ? value.trim() : "";
  if (!text) throw usageError(`'pup ${command}' needs --${flag}, e.g. --${flag} ${example}`, hint);
  return text;
}

/** The `--from`/`--to` range of a command's parsed values (see {@link timeRangeFlags}). */
export function timeRangeOf(
  values: Readonly<Record<string, unknown>>,
  defaultFrom: string,
): TimeRangeSpec {
  return timeRangeFlags(
    values.from as string | undefined,
    values.to as string | undefined,
    defaultFrom,
  );
}

/**
 * Reads `--from` (default `defaultFrom`) and `--to` (default now).
 *
 * @example
 * timeRangeFlags(undefined, undefined, "1h"); // { from: { agoMs: 3600000 }, to: { agoMs: 0 } }
 */
export function timeRangeFlags(
  from: string | undefined,
  to: string | undefined,
  defaultFrom: string,
): TimeRangeSpec {
  return { from: timeFlag(from ?? defaultFrom, "--from"), to: timeFlag(to ?? "now", "--to") };
}

/**
 * The range's instants at `now`; a usage error unless from is before to.
 *
 * @example
 * resolveRange(timeRangeFlags("2h", "1h", "1h"), Date.now()); // two hours ago to one hour ago
 */
export function resolveRange(range: TimeRangeSpec, now: number): { from: number; to: number } {
  const from = resolveTime(range.from, now);
  const to = resolveTime(range.to, now);
  if (from >= to) {
    throw usageError(
      `--from must be before --to: found from ${new Date(from).toISOString()} and to ${
        new Date(to).toISOString()
      }`,
    );
  }
  return { from, to };
}

/**
 * Parses a time given as `flag`; returns epoch milliseconds at `now`.
 *
 * @example
 * parseTime("15m", "--from", Date.parse("2024-05-01T10:15:00Z")); // 2024-05-01T10:00:00Z in ms
 */
export function parseTime(value: string, flag: string, now: number): number {
  return resolveTime(timeFlag(value, flag), now);
}

/**
 * Parses `--from` and `--to` (with defaults) at `now` and checks that from is before to.
 *
 * @example
 * timeRange(undefined, undefined, "1h", Date.now()); // the last hour
 */
export function timeRange(
  from: string | undefined,
  to: string | undefined,
  defaultFrom: string,
  now: number,
): { from: number; to: number } {
  return resolveRange(timeRangeFlags(from, to, defaultFrom), now);
}
