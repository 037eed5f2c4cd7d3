/**
 * @module
 * Times on the command line (`--from`, `--to`): `now`, a duration meaning "that long ago"
 * (`30s`, `15m`, `2h`, `7d`, `1w`, also written `now-15m`), epoch seconds, or an ISO 8601 date
 * (`2024-05-01`, `2024-05-01T10:00:00Z`, `2024-05-01T12:00:00+02:00`; no offset means UTC).
 * Pure: the caller passes `now`.
 */
import { usageError } from "../errors.ts";

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** What the accepted forms are, for error messages. */
export const TIME_FORMS =
  "now, a duration ago such as 30s, 15m, 2h, 7d or 1w, epoch seconds, or an ISO 8601 date such as 2024-05-01T10:00:00Z";

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Parses a time given as `flag`; returns epoch milliseconds. Throws a usage error (exit 2) that
 * names the flag, the value and the accepted forms.
 *
 * @example
 * parseTime("15m", "--from", Date.parse("2024-05-01T10:15:00Z")); // 2024-05-01T10:00:00Z in ms
 * parseTime("1714557600", "--to", Date.now()); // 1714557600000
 */
export function parseTime(value: string, flag: string, now: number): number {
  const s = value.trim().toLowerCase();
  const fail = (why = "") => usageError(`invalid ${flag} "${value}"${why}: expected ${TIME_FORMS}`);
  if (s === "now") return now;
  const rel = /^(?:now\s*-\s*)?(\d{1,9})\s*([smhdw])$/.exec(s);
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2]];
  if (/^\d{1,13}$/.test(s)) {
    const n = Number(s);
    // Twelve digits and more can only be milliseconds (seconds would be past the year 5000).
    return n >= 1e11 ? n : n * 1000;
  }
  const m = ISO_RE.exec(value.trim());
  if (m) {
    const [, y, mo, d, h = "00", mi = "00", sec = "00", frac = "", zone] = m;
    const offset = !zone || zone.toUpperCase() === "Z"
      ? "Z"
      : zone.length === 5
      ? `${zone.slice(0, 3)}:${zone.slice(3)}`
      : zone;
    const text = `${y}-${mo}-${d}T${h}:${mi}:${sec}${frac.slice(0, 4)}${offset}`;
    const t = Date.parse(text);
    // Date.parse rolls 2024-02-31 over to March; a round trip catches impossible dates.
    if (Number.isNaN(t) || !sameCalendarDate(t, offset, y, mo, d)) {
      throw fail(" (no such date)");
    }
    return t;
  }
  throw fail();
}

function sameCalendarDate(t: number, offset: string, y: string, mo: string, d: string): boolean {
  const sign = offset === "Z" ? 0 : offset[0] === "-" ? -1 : 1;
  const minutes = offset === "Z" ? 0 : Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4));
  const local = new Date(t + sign * minutes * 60_000);
  return local.getUTCFullYear() === Number(y) && local.getUTCMonth() + 1 === Number(mo) &&
    local.getUTCDate() === Number(d);
}

/**
 * Parses `--from` and `--to` (with defaults) and checks that from is before to.
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
  const f = parseTime(from ?? defaultFrom, "--from", now);
  const t = parseTime(to ?? "now", "--to", now);
  if (f >= t) {
    throw usageError(
      `--from must be before --to: found from ${new Date(f).toISOString()} and to ${
        new Date(t).toISOString()
      }`,
    );
  }
  return { from: f, to: t };
}

/**
 * Parses `--limit`: a positive integer, at most `max`.
 *
 * @example
 * parseLimit("20", 100, 1000); // 20
 */
export function parseLimit(value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const s = value.trim();
  if (!/^[0-9]+$/.test(s) || Number(s) < 1) {
    throw usageError(`invalid --limit "${value}": expected a positive integer`);
  }
  const n = Number(s);
  if (n > max) throw usageError(`invalid --limit "${value}": expected at most ${max}`);
  return n;
}
