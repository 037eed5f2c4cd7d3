/**
 * @module
 * Rendering results as a table (people), JSON or YAML (scripts), and neutralising terminal
 * control characters in any text that came from a server.
 */
import type { Context } from "./context.ts";
import { safeText } from "../text.ts";

export { safeText };

/** The format to use: `-o`, else a table on a terminal and JSON in a pipe. */
export function outputFormat(ctx: Context, pipeDefault: "json" | "table" = "json") {
  return ctx.globals.output ?? (ctx.deps.io.stdoutIsTTY ? "table" : pipeDefault);
}

/** Prints `data` as JSON or YAML; returns false when the format is `table`. */
export async function printData(ctx: Context, data: unknown, format: string): Promise<boolean> {
  if (format === "json") {
    ctx.deps.io.out(JSON.stringify(data, null, 2) + "\n");
    return true;
  }
  if (format === "yaml") {
    const { stringify } = await import("yaml");
    ctx.deps.io.out(stringify(data));
    return true;
  }
  return false;
}

/** A plain text table; every cell is passed through {@link safeText}. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((r) =>
    r.map((c) => safeText(c === null || c === undefined ? "" : String(c)))
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
