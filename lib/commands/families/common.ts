/**
 * @module
 * Flags several families share, as data.
 */
import type { FlagDef } from "./types.ts";

/** A start time (default `dflt`) sent as `as`. */
export function fromFlag(
  as: FlagDef["as"],
  dflt: string,
  param: { query?: string; body?: string },
): FlagDef {
  return {
    description:
      `start: 30s, 15m, 2h, 7d, 1w (ago), now, epoch seconds or an ISO 8601 date (default ${dflt})`,
    valueName: "time",
    as,
    default: dflt,
    ...param,
  };
}

/** An end time (default now) sent as `as`. */
export function toFlag(
  as: FlagDef["as"],
  param: { query?: string; body?: string },
  dflt = "now",
): FlagDef {
  return {
    description: "end: now, a relative time, epoch seconds or an ISO 8601 date (default now)",
    valueName: "time",
    as,
    ...(dflt ? { default: dflt } : {}),
    ...param,
  };
}
