/**
 * @module
 * A declared command's command line as its request: the pure `parse` (required flags,
 * integers, ids, `--limit`/`--all`), then flag values as query parameters and body fields, with
 * times read through lib/api/time.ts.
 */
import type { CommandInput } from "../../cli/spec.ts";
import { usageError } from "../../errors.ts";
import { safeText } from "../../text.ts";
import { parseLimit, parseTime } from "../../cli/flags.ts";
import { setPath } from "./paths.ts";
import type { ApiCommandDef, FlagDef } from "./types.ts";

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
    const text = typeof raw === "string" ? raw.trim() : raw;
    if (text === undefined || text === false || (f.required && text === "")) {
      if (f.required) {
        throw usageError(
          `'pup ${name}' needs --${flag}, e.g. --${flag} ${f.required}`,
          f.requiredHint ?? `run 'pup ${name} --help' for the flags it takes`,
        );
      }
      continue;
    }
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
export function baseRequest(opts: RunOptions, now: number) {
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
export function fill(text: string, args: Record<string, string>): string {
  return text.replace(/\{([a-z_]+)\}/g, (_, n: string) => safeText(args[n] ?? ""));
}
