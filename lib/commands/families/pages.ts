/**
 * @module
 * Reading a list through the API's own paging — page numbers (with the total page count when
 * the API gives one), offsets or cursors — for `--limit` and `--all` (bounded at
 * {@link MAX_PAGES}, with a progress line on a terminal), and joining the pages into one body of
 * the API's shape.
 */
import type { Context } from "../../cli/context.ts";
import { PupError } from "../../errors.ts";
import { CARRIAGE_RETURN, writeErr } from "../../text.ts";
import type { ApiClient } from "../../api/client.ts";
import { getPath, setPath } from "./paths.ts";
import type { RunOptions } from "./request.ts";
import { call, type Caller } from "./scope_check.ts";
import type { ApiCommandDef, Paging } from "./types.ts";

/** `--all` reads at most this many pages. */
export const MAX_PAGES = 1000;

/** Where a paging value goes: the query or the body. */
function put(
  req: { query: Record<string, unknown>; body?: Record<string, unknown> },
  where: "query" | "body" | undefined,
  name: string,
  value: unknown,
) {
  if (where === "body") setPath(req.body ??= {}, name, value);
  else req.query[name] = value as string;
}

/** Reads a list, page after page, until `limit` items or the API says there is no more. */
export async function readList(
  client: ApiClient,
  opts: RunOptions,
  c: Caller,
  base: { path: string; query: Record<string, string | number | undefined>; body?: unknown },
  ctx: Context,
): Promise<{ items: unknown[]; body: unknown; pages: number; cut: boolean }> {
  const { def, limit } = opts;
  const paging: Paging = def.paging ?? { kind: "none" };
  const items: unknown[] = [];
  let body: unknown;
  let pages = 0;
  const state = startOf(paging, opts);
  const progress = opts.all && ctx.deps.io.stderrIsTTY;
  for (;;) {
    const req = {
      query: { ...base.query },
      body: base.body === undefined ? undefined : structuredClone(base.body) as Record<
        string,
        unknown
      >,
    };
    const size = pageSize(paging, opts, items.length);
    applyPage(paging, req, state, size);
    body = await call(client, opts, c, {
      method: def.method,
      path: base.path,
      query: req.query,
      json: req.body,
    });
    pages++;
    const batch = getPath(body, def.items ?? "");
    if (!Array.isArray(batch)) {
      throw new PupError(
        "api",
        `request ${def.method} ${base.path} returned an unexpected answer: expected a list at ${
          def.items || "the top level"
        }, found ${batch === null ? "null" : typeof batch}`,
      );
    }
    items.push(...batch);
    if (items.length >= limit || !advance(paging, state, body, batch.length, size)) break;
    if (pages >= MAX_PAGES) {
      ctx.info(`stopped after ${MAX_PAGES} pages (${items.length} items); narrow the query`);
      break;
    }
    if (progress) {
      // The carriage return is pup's own control sequence (lib/text.ts), which the output
      // guard (lib/cli/output.ts guardOutput) writes raw; the text is neutralised as any.
      writeErr(ctx.deps.io, [
        CARRIAGE_RETURN,
        `read ${pages} page${pages === 1 ? "" : "s"}, ${items.length} items…`,
      ]);
    }
  }
  if (progress && pages > 1) ctx.deps.io.err("\n");
  const cut = items.length > limit;
  items.splice(limit);
  return { items, body, pages, cut };
}

interface PageState {
  page: number;
  offset: number;
  cursor?: string;
  pageCount?: number;
}

function startOf(p: Paging, opts: RunOptions): PageState {
  const start = "startFlag" in p && p.startFlag ? opts.values[p.startFlag] : undefined;
  if (p.kind === "page-number") {
    return { page: start === undefined ? p.first ?? 0 : Number(start), offset: 0 };
  }
  if (p.kind === "offset") return { page: 0, offset: start === undefined ? 0 : Number(start) };
  return { page: 0, offset: 0, cursor: typeof start === "string" ? start : undefined };
}

function pageSize(p: Paging, opts: RunOptions, have: number): number {
  if (p.kind === "none") return 0;
  const flag = "sizeFlag" in p && p.sizeFlag ? opts.values[p.sizeFlag] : undefined;
  if (flag !== undefined) return Number(flag);
  // Page numbers need one size on every page; cursors may ask for just what is left.
  const want = p.kind === "cursor" ? opts.limit - have : opts.limit;
  return Math.max(1, Math.min(want, p.max));
}

function applyPage(
  p: Paging,
  req: { query: Record<string, unknown>; body?: Record<string, unknown> },
  s: PageState,
  size: number,
) {
  if (p.kind === "none") return;
  if (p.kind === "page-number") {
    put(req, p.in, p.page, s.page);
    if (p.size) put(req, p.in, p.size, size);
  } else if (p.kind === "offset") {
    put(req, p.in, p.offset, s.offset);
    put(req, p.in, p.size, size);
  } else {
    put(req, p.in, p.size, size);
    if (s.cursor !== undefined) put(req, p.in, p.cursor, s.cursor);
  }
}

/** Moves to the next page; false when the API says there is no more. */
function advance(p: Paging, s: PageState, body: unknown, got: number, size: number): boolean {
  if (p.kind === "none" || got === 0) return false;
  if (p.kind === "cursor") {
    const next = getPath(body, p.next);
    if (typeof next !== "string" || next === "" || next === s.cursor) return false;
    s.cursor = next;
    return true;
  }
  if (got < size) return false;
  if (p.kind === "offset") {
    s.offset += got;
    return true;
  }
  if (p.pageCount) {
    const count = Number(getPath(body, p.pageCount));
    if (Number.isFinite(count) && s.page + 1 - (p.first ?? 0) >= count) return false;
  }
  s.page++;
  return true;
}

/** One body of the API's own shape holding every page's items. */
export function joined(def: ApiCommandDef, body: unknown, items: unknown[]): unknown {
  if (!def.items) return items;
  const out = structuredClone(body) as Record<string, unknown>;
  setPath(out, def.items, items);
  return out;
}
