/**
 * @module
 * Paging and small answer helpers the fake's API families share: page numbers, offsets and
 * cursors checked the way Datadog checks them, and Datadog's error body.
 */
import type { C } from "./types.ts";

/** Datadog's error answer: `{"errors": ["…"]}`. */
export function apiError(c: C, status: 400 | 403 | 404, message: string): Response {
  return c.json({ errors: [message] }, status);
}

/** An integer query parameter within [min, max], its default when absent, or null when bad. */
export function intParam(
  raw: string | undefined,
  dflt: number,
  min: number,
  max: number,
): number | null {
  if (raw === undefined) return dflt;
  const n = Number(raw);
  return Number.isInteger(n) && n >= min && n <= max ? n : null;
}

/** A list, where its page starts, the page size asked for, its default and maximum, and the
 * two parameters' names (for the message when one is bad). */
type PageArgs<T> = [
  items: T[],
  start: string | undefined,
  size: string | undefined,
  dfltSize: number,
  maxSize: number,
  names: [string, string],
];

/** One page by number (0-based) and size; a string says what is wrong. */
export const byPage = <T>(...args: PageArgs<T>): T[] | string => sliceOf("page", ...args);

/** One page by offset and size; a string says what is wrong. */
export const byOffset = <T>(...args: PageArgs<T>): T[] | string => sliceOf("offset", ...args);

/** The size is checked first, then where the page starts: a page number or an offset. */
function sliceOf<T>(by: "page" | "offset", ...args: PageArgs<T>): T[] | string {
  const [items, start, size, dfltSize, maxSize, names] = args;
  const s = intParam(size, dfltSize, 1, maxSize);
  if (s === null) return `${names[1]} must be an integer between 1 and ${maxSize}`;
  const n = intParam(start, 0, 0, 1e9);
  if (n === null) return `${names[0]} must be a non-negative integer`;
  const from = by === "page" ? n * s : n;
  return items.slice(from, from + s);
}

/** An opaque cursor for the item at `offset`. */
export function cursorFor(offset: number): string {
  return btoa(`fake-cursor-${offset}`);
}

/** The offset a cursor stands for, or null when it is not one of ours. */
export function offsetOf(cursor: unknown): number | null {
  if (typeof cursor !== "string") return null;
  let text = "";
  try {
    text = atob(cursor);
  } catch {
    return null;
  }
  const m = /^fake-cursor-(\d+)$/.exec(text);
  return m ? Number(m[1]) : null;
}

/** A JSON object body, `{}` when empty, or null when it is not an object. */
export function objectBody(text: string): Record<string, unknown> | null {
  if (text.trim() === "") return {};
  try {
    const v = JSON.parse(text);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

/** A cursor-paged search: `page.limit` and `page.cursor` of a body, Datadog's answer shape. */
export function cursorPage<T>(
  items: T[],
  page: Record<string, unknown>,
  dflt: number,
  max: number,
): { slice: T[]; after?: string } | string {
  const limit = page.limit === undefined ? dflt : Number(page.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    return `page.limit must be an integer between 1 and ${max}`;
  }
  let offset = 0;
  if (page.cursor !== undefined) {
    const o = offsetOf(page.cursor);
    if (o === null) return "Invalid page.cursor";
    offset = o;
  }
  const slice = items.slice(offset, offset + limit);
  const more = offset + limit < items.length;
  return { slice, ...(more ? { after: cursorFor(offset + limit) } : {}) };
}

/** A search's JSON body, its `filter`, and the filter's time window in epoch milliseconds. */
export interface SearchRequest {
  body: Record<string, unknown>;
  filter: Record<string, unknown>;
  from: number;
  to: number;
}

/**
 * Reads a search body (`filter.from` default `now-15m`, `filter.to` default `now`), or
 * answers Datadog's 400 when it is not an object or a time does not parse.
 */
export function searchRequest(c: C, nowMs: number): SearchRequest | Response {
  const body = objectBody(c.var.body);
  if (!body) return apiError(c, 400, "Invalid JSON body: expected an object");
  const filter = (body.filter ?? {}) as Record<string, unknown>;
  const from = parseApiTime(filter.from ?? "now-15m", nowMs);
  const to = parseApiTime(filter.to ?? "now", nowMs);
  if (from === null || to === null) return apiError(c, 400, "Invalid filter.from or filter.to");
  return { body, filter, from, to };
}

/** Parses `now`, `now-15m`, an ISO date, or epoch milliseconds (number or digits). */
export function parseApiTime(v: unknown, nowMs: number): number | null {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v !== "string" || v.trim() === "") return null;
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const rel = /^now(?:\s*-\s*(\d+)\s*([smhdw]))?$/.exec(s);
  if (rel) {
    if (!rel[1]) return nowMs;
    const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 }[rel[2] as "s"];
    return nowMs - Number(rel[1]) * unit;
  }
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

/** A deterministic UUID-like id: `prefix` then `n` zero-padded. */
export function fakeId(prefix: string, n: number): string {
  return `${prefix}-0000-0000-0000-${String(n).padStart(12, "0")}`;
}
