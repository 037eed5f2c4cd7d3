/**
 * @module
 * A declared command's table: its columns of each item (lists joined with commas, epoch times
 * as ISO 8601), every cell neutralised, cut to the terminal's width on a terminal.
 */
import type { Context } from "../../cli/context.ts";
import { guardText, table } from "../../cli/output.ts";
import { ExitCode } from "../../errors.ts";
import { getPath } from "./paths.ts";
import type { ApiCommandDef } from "./types.ts";

/** The table rows of items by the command's columns. */
export function rowsOf(def: ApiCommandDef, items: unknown[]) {
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
export function printTable(ctx: Context, t: { headers: string[]; rows: unknown[][] }): number {
  const rows = t.rows.map((r) => r.map((c) => guardText(cell(c))));
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
