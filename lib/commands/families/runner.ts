/**
 * @module
 * The one runner of every API command declared as data ({@link ApiCommandDef}): reads the
 * flags into the request (times through lib/api/time.ts), reads `--file` for writes, asks
 * before a delete, warns when the session lacks the command's scope, follows the API's paging
 * (page numbers, offsets, cursors) for `--limit` and `--all`, and prints the answer: `-o json`
 * and `-o yaml` as the API sent it (pages joined into one body of the API's shape), else a
 * table of the command's columns, fitted to the terminal, with server text neutralised.
 */
import type { Context } from "../../cli/context.ts";
import { outputFormat, printData, table } from "../../cli/output.ts";
import type { CommandInput, CommandModule } from "../../cli/spec.ts";
import { ExitCode, PupError, usageError } from "../../errors.ts";
import { safeText } from "../../text.ts";
import { ApiClient, type ApiRequest } from "../../api/client.ts";
import { serverLine } from "../../api/errors.ts";
import { parseLimit, parseTime } from "../../api/time.ts";
import { orgKey, resolveTarget } from "../../session/resolve.ts";
import { readBodyFile } from "./body_file.ts";
import { getPath, setPath } from "./paths.ts";
import type { ApiCommandDef, FlagDef, Paging } from "./types.ts";

/** `--all` reads at most this many pages. */
export const MAX_PAGES = 1000;
/** A list's `--limit` is at most this. */
export const MAX_LIMIT = 100_000;

/** What a command was asked for (made by {@link parseCommand}, pure). */
export interface RunOptions {
  def: ApiCommandDef;
  /** Positional values by name. */
  args: Record<string, string>;
  /** Flag values as given (absent flags are not here). */
  values: Record<string, string | boolean>;
  /** Items to read (a list); Infinity with `--all`. */
  limit: number;
  all: boolean;
  yes: boolean;
}

/** Whether a command lists items (and so takes `--limit` and `--all`). */
export function isList(def: ApiCommandDef): boolean {
  return def.items !== undefined;
}

function flagKind(f: FlagDef) {
  return f.as ?? "text";
}

/**
 * Reads a command line into {@link RunOptions} (pure). Positional counts were checked by the
 * command runner; here each value is checked.
 *
 * @example
 * parseCommand(def, { values: { limit: "5" }, positionals: [] });
 */
export function parseCommand(def: ApiCommandDef, input: CommandInput): RunOptions {
  const name = def.path.join(" ");
  const args: Record<string, string> = {};
  (def.positionals ?? []).forEach((p, i) => {
    const v = (input.positionals[i] ?? "").trim();
    if (v === "") throw usageError(`'pup ${name}' needs a non-empty <${p}>`);
    args[p] = v;
  });
  const values: Record<string, string | boolean> = {};
  for (const [flag, f] of Object.entries(def.flags ?? {})) {
    const raw = input.values[flag];
    if (raw === undefined || raw === false) {
      if (f.required) {
        throw usageError(
          `'pup ${name}' needs --${flag}, e.g. --${flag} ${f.required}`,
          `run 'pup ${name} --help' for the flags it takes`,
        );
      }
      continue;
    }
    const text = typeof raw === "string" ? raw.trim() : raw;
    if (flagKind(f) === "int" && !/^[0-9]+$/.test(String(text))) {
      throw usageError(`invalid --${flag} "${safeText(String(raw))}": expected an integer`);
    }
    values[flag] = text as string | boolean;
  }
  if (def.file && (typeof input.values.file !== "string" || input.values.file === "")) {
    throw usageError(
      `'pup ${name}' needs --file, e.g. --file body.json (JSON or YAML; - reads stdin)`,
    );
  }
  if (def.file) values.file = input.values.file as string;
  const all = input.values.all === true;
  let limit = 1;
  if (isList(def)) {
    const sizeFlag = def.paging && "sizeFlag" in def.paging ? def.paging.sizeFlag : undefined;
    const size = sizeFlag ? values[sizeFlag] : undefined;
    const fallback = typeof size === "string" ? Math.max(1, Number(size)) : def.limit ?? 100;
    limit = parseLimit(input.values.limit as string | undefined, fallback, MAX_LIMIT);
    if (all) limit = Number.POSITIVE_INFINITY;
  }
  return { def, args, values, limit, all, yes: input.values.yes === true };
}

/** The flag values as request values: times parsed against `now`, lists split. */
function requestValues(opts: RunOptions, now: number): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const times: Record<string, number> = {};
  for (const [flag, f] of Object.entries(opts.def.flags ?? {})) {
    const given = opts.values[flag];
    const raw = given ?? f.default;
    if (raw === undefined) continue;
    const kind = flagKind(f);
    if (kind.startsWith("time") || kind === "month") {
      const text = kind === "month" && /^\d{4}-\d{2}$/.test(String(raw))
        ? `${raw}-01`
        : String(raw);
      const ms = parseTime(text, `--${flag}`, now);
      times[flag] = ms;
      out.set(flag, timeValue(kind, ms));
    } else if (kind === "int") out.set(flag, Number(raw));
    else if (kind === "bool") out.set(flag, true);
    else if (kind === "csv" || kind === "list") {
      const items = String(raw).split(",").map((s) => s.trim()).filter(Boolean);
      out.set(flag, kind === "csv" ? items.join(",") : items);
    } else out.set(flag, String(raw));
    if (f.transform && out.has(flag)) out.set(flag, f.transform(out.get(flag)));
  }
  if (times.from !== undefined && times.to !== undefined && times.from >= times.to) {
    throw usageError(
      `--from must be before --to: found from ${new Date(times.from).toISOString()} and to ${
        new Date(times.to).toISOString()
      }`,
    );
  }
  return out;
}

function timeValue(kind: string, ms: number): string | number {
  if (kind === "time-s") return Math.floor(ms / 1000);
  if (kind === "time-ms") return ms;
  if (kind === "month") return new Date(ms).toISOString().slice(0, 7);
  return new Date(ms).toISOString();
}

/** The request of a command before paging: path, query and body. */
function baseRequest(opts: RunOptions, now: number) {
  const { def } = opts;
  const path = def.endpoint.replace(
    /\{([a-z_]+)\}/g,
    (_, name: string) => encodeURIComponent(opts.args[name] ?? ""),
  );
  const query: Record<string, string | number | undefined> = { ...def.query };
  const body: Record<string, unknown> | undefined = def.body
    ? structuredClone(def.body)
    : undefined;
  for (const [flag, value] of requestValues(opts, now)) {
    const f = def.flags![flag];
    if (f.query) query[f.query] = Array.isArray(value) ? value.join(",") : value as string;
    if (f.body && body) setPath(body, f.body, value);
  }
  return { path, query, body };
}

/** Fills `{name}` in a text with the positionals. */
function fill(text: string, args: Record<string, string>): string {
  return text.replace(/\{([a-z_]+)\}/g, (_, n: string) => safeText(args[n] ?? ""));
}

/** Asks on a terminal; without one refuses unless `--yes` (exit 2). Nothing is sent before. */
async function confirmed(opts: RunOptions, ctx: Context): Promise<boolean> {
  const c = opts.def.confirm;
  if (!c || opts.yes) return true;
  const io = ctx.deps.io;
  const question = fill(c.question, opts.args);
  if (!io.stdinIsTTY) {
    throw usageError(
      `refusing to ${question.replace(/\?$/, "").replace(/^./, (x) => x.toLowerCase())}: ` +
        "no terminal to confirm on",
      "pass --yes to confirm",
    );
  }
  io.err(`${question} [y/N] `);
  const answer = (await io.readLine())?.trim().toLowerCase();
  return answer === "y" || answer === "yes";
}

/** Who is calling and with which granted scopes (a session's), for scope hints. */
interface Caller {
  source: "access_token_env" | "session" | "api_keys";
  org: string | undefined;
  scopes?: string[];
}

async function caller(ctx: Context): Promise<Caller> {
  const { site, org } = await resolveTarget(ctx);
  if (ctx.deps.env.DD_ACCESS_TOKEN?.trim()) return { source: "access_token_env", org };
  const token = (await (await ctx.store()).read(site, { reuse: true })).tokens[orgKey(org)];
  if (!token) return { source: "api_keys", org };
  return { source: "session", org, scopes: String(token.scope ?? "").split(/\s+/) };
}

function loginHint(c: Caller, scopes: string[]): string {
  return `pup auth login${c.org ? ` --org ${c.org}` : ""} --extra-scopes ${scopes.join(",")}`;
}

/** The one-line warning before a call whose session lacks a scope the command needs. */
function warnScopes(ctx: Context, def: ApiCommandDef, c: Caller): void {
  if (!c.scopes) return;
  const missing = def.scopes.filter((s) => !c.scopes!.includes(s));
  if (missing.length === 0) return;
  ctx.info(
    `warning: your session lacks the scope ${missing.join(", ")} that 'pup ${
      def.path.join(" ")
    }' needs; add it with '${loginHint(c, missing)}'`,
  );
}

/** Sends one request; a 403 names the command's scopes and the login that adds them. */
async function call(
  client: ApiClient,
  opts: RunOptions,
  c: Caller,
  req: ApiRequest,
): Promise<unknown> {
  const res = await client.send(req);
  try {
    await client.check(res);
  } catch (err) {
    if (res.status !== 403 || !(err instanceof PupError) || c.source === "api_keys") throw err;
    const name = opts.def.path.join(" ");
    throw new PupError("api", err.message, {
      hint:
        `'pup ${name}' needs the scope ${opts.def.scopes.join(", ")}: log in again with it: ${
          loginHint(c, opts.def.scopes)
        }` + (c.source === "access_token_env" ? " (and unset DD_ACCESS_TOKEN)" : ""),
    });
  }
  if (res.text.trim() === "") return undefined;
  try {
    return JSON.parse(res.text);
  } catch {
    throw new PupError(
      "api",
      `request ${res.method} ${safeText(res.path)} returned malformed JSON: expected a JSON ` +
        `document, found "${serverLine(res.text, 120)}"`,
    );
  }
}

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
async function readList(
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
      ctx.deps.io.err(`\rread ${pages} page${pages === 1 ? "" : "s"}, ${items.length} items…`);
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
function joined(def: ApiCommandDef, body: unknown, items: unknown[]): unknown {
  if (!def.items) return items;
  const out = structuredClone(body) as Record<string, unknown>;
  setPath(out, def.items, items);
  return out;
}

/**
 * Runs one API command.
 *
 * @example
 * await runCommand(parseCommand(def, input), ctx);
 */
export async function runCommand(opts: RunOptions, ctx: Context): Promise<number> {
  const { def } = opts;
  const format = outputFormat(ctx, "table");
  const base = baseRequest(opts, ctx.deps.clock.now());
  let bodyText: string | undefined;
  if (def.file) bodyText = await readBodyFile(ctx, String(opts.values.file));
  if (!(await confirmed(opts, ctx))) {
    ctx.info("Nothing was sent.");
    return ExitCode.failure;
  }
  const client = new ApiClient(ctx);
  const who = await caller(ctx);
  warnScopes(ctx, def, who);
  if (isList(def)) {
    const list = await readList(client, opts, who, base, ctx);
    const body = list.pages === 1 && !list.cut ? list.body : joined(def, list.body, list.items);
    if (await printData(ctx, body, format)) return ExitCode.ok;
    if (def.render) return printTable(ctx, def.render(body));
    if (list.items.length === 0) {
      ctx.info(def.empty ?? "Nothing found.");
      return ExitCode.ok;
    }
    return printTable(ctx, rowsOf(def, list.items));
  }
  const body = await call(client, opts, who, {
    method: def.method,
    path: base.path,
    query: base.query,
    json: bodyText === undefined ? base.body : undefined,
    body: bodyText,
    headers: bodyText === undefined ? undefined : [["Content-Type", "application/json"]],
  });
  const problem = def.answerError?.(body);
  if (problem) throw new PupError("api", serverLine(problem));
  if (format !== "table") {
    // An empty answer (a 204) prints nothing: there is no body to show.
    if (body !== undefined) await printData(ctx, body, format);
    return ExitCode.ok;
  }
  if (def.confirm) ctx.print(fill(def.confirm.done, opts.args));
  else if (def.render) printTable(ctx, def.render(body));
  else if (body !== undefined) printTable(ctx, rowsOf(def, [getPath(body, def.item ?? "")]));
  return ExitCode.ok;
}

/** The table rows of items by the command's columns. */
function rowsOf(def: ApiCommandDef, items: unknown[]) {
  const columns = def.columns ?? [{ header: "VALUE", path: "" }];
  return {
    headers: columns.map((c) => c.header),
    rows: items.map((item) => columns.map((c) => cell(getPath(item, c.path), c.as))),
  };
}

function cell(v: unknown, as?: "time-s" | "time-ms"): string {
  if (v === undefined || v === null) return "";
  if (as && typeof v === "number") return new Date(as === "time-s" ? v * 1000 : v).toISOString();
  if (Array.isArray(v)) {
    return v.map((x) => (typeof x === "object" ? JSON.stringify(x) : x)).join(",");
  }
  if (typeof v === "object") return JSON.stringify(v);
  return String(v).replace(/\s+/g, " ").trim();
}

/**
 * The terminal's width on a terminal: `io.columns` when the runtime gives it, else `COLUMNS`,
 * else 100; none in a pipe (nothing is cut for scripts).
 */
function terminalWidth(ctx: Context): number | undefined {
  if (!ctx.deps.io.stdoutIsTTY) return undefined;
  const cols = Number((ctx.deps.io as { columns?: number }).columns ?? ctx.deps.env.COLUMNS);
  return Number.isInteger(cols) && cols > 20 ? cols : 100;
}

/** Prints a table whose widest columns are cut (with …) until it fits the terminal. */
function printTable(ctx: Context, t: { headers: string[]; rows: unknown[][] }): number {
  const rows = t.rows.map((r) => r.map((c) => safeText(cell(c))));
  const width = terminalWidth(ctx);
  if (width !== undefined && rows.length) {
    const widths = t.headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
    while (total() > width) {
      const i = widths.indexOf(Math.max(...widths));
      if (widths[i] <= Math.max(8, t.headers[i].length)) break;
      widths[i]--;
    }
    for (const r of rows) {
      r.forEach((c, i) => {
        if (c.length > widths[i]) r[i] = c.slice(0, widths[i] - 1) + "…";
      });
    }
  }
  ctx.deps.io.out(table(t.headers, rows));
  return ExitCode.ok;
}

/** The {@link CommandModule} of one declared command. */
export function moduleFor(def: ApiCommandDef): CommandModule<RunOptions> {
  return {
    parse: (input) => parseCommand(def, input),
    run: runCommand,
  };
}
