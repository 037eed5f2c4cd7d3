/**
 * @module
 * The benchmark's results: one {@link Row} per figure, printed as a table and saved as JSON.
 * A row compares pup with a baseline measured in the same run, as a ratio or as the time pup
 * adds, against the target of issue #6.
 */
import type { Summary } from "./measure.ts";

/** A measured value: a sample summary, or a single number. */
export type Value = Summary | number;

/** One line of the report. */
export interface Row {
  section: string;
  name: string;
  unit: string;
  pup?: Value;
  baseline?: { name: string; value: Value };
  /** pup ÷ baseline (medians). */
  ratio?: number;
  /** pup − baseline (medians), for "adds at most" targets. */
  added?: number;
  /** The target as text, e.g. "≤ 1.3×". */
  target?: string;
  /** Met the target (undefined when there is none or nothing was measured). */
  pass?: boolean;
  /** Why a figure is missing, or what it means. */
  note?: string;
  /** True when the row could not be measured because something failed. */
  error?: boolean;
}

const med = (v: Value) => (typeof v === "number" ? v : v.median);

/** A row comparing pup with a baseline by ratio; `max` is the target ratio, if any. */
export function ratioRow(
  base: Omit<Row, "ratio" | "pass" | "target">,
  max?: number,
): Row {
  const row: Row = { ...base };
  if (row.pup !== undefined && row.baseline) {
    row.ratio = med(row.pup) / med(row.baseline.value);
    if (max !== undefined) {
      row.target = `≤ ${max}×`;
      row.pass = row.ratio <= max;
    }
  } else if (max !== undefined) row.target = `≤ ${max}×`;
  return row;
}

/** A row comparing pup with a baseline by difference; `max` is the most pup may add. */
export function addedRow(base: Omit<Row, "added" | "pass" | "target">, max: number): Row {
  const row: Row = { ...base, target: `adds ≤ ${max} ${base.unit}` };
  if (row.pup !== undefined && row.baseline) {
    row.added = med(row.pup) - med(row.baseline.value);
    row.ratio = med(row.pup) / med(row.baseline.value);
    row.pass = row.added <= max;
  }
  return row;
}

function fmtNum(n: number): string {
  if (!Number.isFinite(n)) return "—";
  if (Number.isInteger(n)) return String(n);
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** `12.3 ms (11.9–13.0)`, or `3` for a plain number. */
export function fmtValue(v: Value | undefined, unit: string): string {
  if (v === undefined) return "—";
  if (typeof v === "number") return `${fmtNum(v)} ${unit}`.trim();
  return `${fmtNum(v.median)} ${unit} (${fmtNum(v.p10)}–${fmtNum(v.p90)})`.replace("  ", " ");
}

/** The table printed on stdout. */
export function formatTable(rows: Row[]): string {
  const header = ["measurement", "pup", "baseline", "ratio / added", "target", ""];
  const lines: string[][] = [header];
  let section = "";
  const notes: string[] = [];
  for (const r of rows) {
    if (r.section !== section) {
      section = r.section;
      lines.push([`[${section}]`, "", "", "", "", ""]);
    }
    const cmp = r.added !== undefined
      ? `+${fmtNum(r.added)} ${r.unit} (${fmtNum(r.ratio!)}×)`
      : r.ratio !== undefined
      ? `${fmtNum(r.ratio)}×`
      : "";
    const verdict = r.error ? "ERROR" : r.pass === undefined ? "" : r.pass ? "ok" : "MISS";
    lines.push([
      "  " + r.name,
      r.pup === undefined ? (r.note ? "not measured" : "—") : fmtValue(r.pup, r.unit),
      r.baseline ? `${fmtValue(r.baseline.value, r.unit)} ${r.baseline.name}` : "",
      cmp,
      r.target ?? "",
      verdict,
    ]);
    if (r.note) notes.push(`  ${r.name}: ${r.note}`);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => [...l[i]].length)));
  const text = lines.map((l) =>
    l.map((c, i) => c + " ".repeat(widths[i] - [...c].length)).join("  ").trimEnd()
  );
  return text.join("\n") + (notes.length ? `\n\nnotes:\n${notes.join("\n")}` : "") + "\n";
}
