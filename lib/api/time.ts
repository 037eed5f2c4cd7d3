/**
 * @module
 * Times as Datadog's time ranges take them: `now`, a duration meaning "that long ago" (`30s`,
 * `15m`, `2h`, `7d`, `1w`, also written `now-15m`), epoch seconds (or milliseconds), or an ISO
 * 8601 date (`2024-05-01`, `2024-05-01T10:00:00Z`, `2024-05-01T12:00:00+02:00`; no offset means
 * UTC). Pure time arithmetic: a time is read into a {@link TimeSpec} with no clock, and
 * resolved against the `now` its caller passes. It knows nothing of flags or messages (the
 * command line's side is `lib/cli/flags.ts`).
 */

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** What the accepted forms are, for messages. */
export const TIME_FORMS =
  "now, a duration ago such as 30s, 15m, 2h, 7d or 1w, epoch seconds, or an ISO 8601 date such as 2024-05-01T10:00:00Z";

/** A time as written: so long before now, or an instant. */
export type TimeSpec = { agoMs: number } | { atMs: number };

/** Why a text is not a time. */
export type TimeProblem = "unknown form" | "no such date";

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Reads a time; a {@link TimeProblem} when it is none of the accepted forms.
 *
 * @example
 * readTime("15m"); // { agoMs: 900000 }
 * readTime("1714557600"); // { atMs: 1714557600000 }
 * readTime("2024-02-31"); // "no such date"
 */
export function readTime(value: string): TimeSpec | TimeProblem {
  const s = value.trim().toLowerCase();
  if (s === "now") return { agoMs: 0 };
  const rel = /^(?:now\s*-\s*)?(\d{1,9})\s*([smhdw])$/.exec(s);
  if (rel) return { agoMs: Number(rel[1]) * UNIT_MS[rel[2]] };
  if (/^\d{1,13}$/.test(s)) {
    const n = Number(s);
    // Twelve digits and more can only be milliseconds (seconds would be past the year 5000).
    return { atMs: n >= 1e11 ? n : n * 1000 };
  }
  const m = ISO_RE.exec(value.trim());
  if (!m) return "unknown form";
  const [, y, mo, d, h = "00", mi = "00", sec = "00", frac = "", zone] = m;
  const offset = !zone || zone.toUpperCase() === "Z"
    ? "Z"
    : zone.length === 5
    ? `${zone.slice(0, 3)}:${zone.slice(3)}`
    : zone;
  const t = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${sec}${frac.slice(0, 4)}${offset}`);
  // Date.parse rolls 2024-02-31 over to March; a round trip catches impossible dates.
  if (Number.isNaN(t) || !sameCalendarDate(t, offset, y, mo, d)) return "no such date";
  return { atMs: t };
}

/**
 * The instant a {@link TimeSpec} names at `now` (epoch milliseconds).
 *
 * @example
 * resolveTime({ agoMs: 60_000 }, Date.parse("2024-05-01T10:01:00Z")); // 2024-05-01T10:00:00Z
 */
export function resolveTime(spec: TimeSpec, now: number): number {
  return "agoMs" in spec ? now - spec.agoMs : spec.atMs;
}

function sameCalendarDate(t: number, offset: string, y: string, mo: string, d: string): boolean {
  const sign = offset === "Z" ? 0 : offset[0] === "-" ? -1 : 1;
  const minutes = offset === "Z" ? 0 : Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4));
  const local = new Date(t + sign * minutes * 60_000);
  return local.getUTCFullYear() === Number(y) && local.getUTCMonth() + 1 === Number(mo) &&
    local.getUTCDate() === Number(d);
}
