/**
 * @module
 * Flags several families share, as data.
 */
import type { FlagDef, Paging } from "./types.ts";

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

/**
 * `--from` / `--to` of the v2 searches (logs, events, security signals): ISO 8601 times in
 * `filter.from` / `filter.to` of the body, the last 15 minutes by default.
 */
export const SEARCH_TIME_FLAGS: Readonly<Record<"from" | "to", FlagDef>> = {
  from: fromFlag("time-iso", "15m", { body: "filter.from" }),
  to: toFlag("time-iso", { body: "filter.to" }),
};

/**
 * The cursor paging of the v2 searches (`page.cursor` and `page.limit` in the body, the next
 * cursor in `meta.page.after`), which gives their `--limit` and `--all`.
 */
export const SEARCH_CURSOR_PAGING: Readonly<Paging & { kind: "cursor" }> = {
  kind: "cursor",
  in: "body",
  cursor: "page.cursor",
  size: "page.limit",
  max: 1000,
  next: "meta.page.after",
};

/**
 * `--page-number` / `--page-size` of a list the API serves in numbered pages of at most 100
 * `noun` (cases, users, detection rules, Synthetic tests); used with {@link pageNumberPaging}.
 *
 * @example
 * pageNumberFlags("users")["page-size"].description; // "users per page (at most 100)"
 */
export function pageNumberFlags(noun: string): Record<"page-number" | "page-size", FlagDef> {
  return {
    "page-number": { description: "start at this page (0-based)", valueName: "n", as: "int" },
    "page-size": { description: `${noun} per page (at most 100)`, valueName: "n", as: "int" },
  };
}

/**
 * The paging of {@link pageNumberFlags}, with the API's names for the page number and size:
 * `page[number]` / `page[size]` in the v2 APIs, which gives their `--limit` and `--all`.
 */
export function pageNumberPaging(
  page = "page[number]",
  size = "page[size]",
): Paging & { kind: "page-number" } {
  return {
    kind: "page-number",
    page,
    size,
    max: 100,
    startFlag: "page-number",
    sizeFlag: "page-size",
  };
}
