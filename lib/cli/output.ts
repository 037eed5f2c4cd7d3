/**
 * @module
 * Rendering results as a table (people), JSON or YAML (scripts), every one through the one
 * neutraliser of lib/text.ts: a table cell cannot forge a row or drive the terminal, and JSON
 * and YAML output carry no raw control, bidi or invisible format character (each is escaped,
 * so the value a script parses is unchanged). {@link guardOutput} applies the same to every
 * byte a command writes, so a new command is covered without doing anything.
 */
import type { Deps } from "../deps.ts";
import type { Context } from "./context.ts";
import {
  type Control,
  type ControlWriter,
  isControl,
  safeCell,
  safeJson,
  safeText,
  UNSAFE_INLINE,
} from "../text.ts";

export { safeCell, safeText };

/** Printable ASCII, tab and newline only: text no neutraliser changes. */
const PLAIN_LINES = /^[\x20-\x7e\t\n]*$/;

/** Printable ASCII only: a cell no neutraliser changes. */
const PLAIN_CELL = /^[\x20-\x7e]*$/;

/**
 * {@link safeText}, with plain ASCII returned as it is without running the Unicode-aware
 * pattern (compiling it alone costs ~0.1 ms of a command's start-up); the same result.
 */
export function guardText(text: string): string {
  return typeof text === "string" && PLAIN_LINES.test(text) ? text : safeText(text);
}

/** {@link safeCell}, with plain ASCII returned as it is (the same result). */
function guardCell(text: string): string {
  return PLAIN_CELL.test(text) ? text : safeCell(text);
}

/** The format to use: `-o`, else a table on a terminal and JSON in a pipe. */
export function outputFormat(ctx: Context, pipeDefault: "json" | "table" = "json") {
  return ctx.globals.output ?? (ctx.deps.io.stdoutIsTTY ? "table" : pipeDefault);
}

/** Prints `data` as JSON or YAML; returns false when the format is `table`. */
export async function printData(
  ctx: { deps: Pick<Deps, "io"> },
  data: unknown,
  format: string,
): Promise<boolean> {
  if (format === "json") {
    ctx.deps.io.out(toJson(data) + "\n");
    return true;
  }
  if (format === "yaml") {
    ctx.deps.io.out(await toYaml(data));
    return true;
  }
  return false;
}

/** Pretty JSON with every unsafe character escaped (`\u202e`): the same value, safe to show. */
export function toJson(data: unknown): string {
  return safeJson(JSON.stringify(data, null, 2) ?? "null");
}

/**
 * YAML with every unsafe character escaped: strings holding one are written double-quoted,
 * where `\uXXXX` means that character, so a YAML reader gets the value unchanged.
 */
export async function toYaml(data: unknown): Promise<string> {
  const { Document, Scalar, visit } = await import("yaml");
  const doc = new Document(data);
  visit(doc, {
    Scalar(_key, node) {
      if (
        typeof node.value === "string" && new RegExp(UNSAFE_INLINE.source, "u").test(node.value)
      ) {
        node.type = Scalar.QUOTE_DOUBLE;
      }
    },
  });
  return safeJson(doc.toString());
}

/**
 * An output whose every write passes the neutraliser ({@link safeText}: tab and newline kept,
 * every other control, bidi and invisible format character shown as `\uXXXX`). pup's own
 * terminal control (the login's live line and link, the progress line) goes through
 * `errControl`, which writes raw only a {@link Control} built by lib/text.ts — never a string —
 * so no text can use that way out. JSON stays the same value. Installed once where a command's
 * dependencies are made (lib/cli/run.ts), it covers every command, error message and warning.
 */
export function guardOutput<T extends Pick<Deps["io"], "out" | "err"> & Partial<ControlWriter>>(
  io: T,
): T & Required<Pick<ControlWriter, "errControl">> {
  const raw = (c: Control) => io.errControl ? io.errControl(c) : io.err(c.sequence);
  // Every other field is passed through live, not copied: the real IO's `…IsTTY` are getters
  // asked only by the commands that care, and a test may change one after the guard is made.
  const guarded = {} as Record<string, unknown>;
  for (const key of Object.keys(io)) {
    if (key === "out" || key === "err" || key === "errControl") continue;
    Object.defineProperty(guarded, key, {
      enumerable: true,
      get: () => (io as Record<string, unknown>)[key],
      set: (v: unknown) => void ((io as Record<string, unknown>)[key] = v),
    });
  }
  const own = (key: string, value: unknown) =>
    Object.defineProperty(guarded, key, { enumerable: true, value });
  own("out", (t: string) => io.out(guardText(t)));
  own("err", (t: string) => io.err(guardText(t)));
  // A look-alike object (not built by lib/text.ts) is shown as text, neutralised.
  own(
    "errControl",
    (c: Control) =>
      isControl(c) ? raw(c) : io.err(safeText(String((c as { sequence?: unknown })?.sequence))),
  );
  return guarded as T & Required<Pick<ControlWriter, "errControl">>;
}

/** A plain text table; every cell is passed through {@link safeCell} (newlines included). */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((r) =>
    r.map((c) => guardCell(c === null || c === undefined ? "" : String(c)))
  );
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(headers), ...cells.map(line)].join("\n") + "\n";
}

/** "in 59m", "3h ago" … for an instant relative to now. */
export function relativeTime(target: number, now: number): string {
  const d = Math.round((target - now) / 1000);
  const a = Math.abs(d);
  const text = a < 60
    ? `${a}s`
    : a < 3600
    ? `${Math.floor(a / 60)}m`
    : a < 86400
    ? `${Math.floor(a / 3600)}h${Math.floor((a % 3600) / 60)}m`
    : `${Math.floor(a / 86400)}d`;
  return d >= 0 ? `in ${text}` : `${text} ago`;
}
