/**
 * @module
 * `pup metrics query`: `GET /api/v1/query?query=&from=&to=` (epoch seconds, from `--from`
 * (default 1h) and `--to`). A table with one row per series (its expression, the number of
 * points, the last value, min, max and average) by default; `-o json|yaml` prints Datadog's
 * answer as it came.
 */
import type { Context } from "../cli/context.ts";
import { outputFormat, printData, table } from "../cli/output.ts";
import type { CommandInput } from "../cli/spec.ts";
import { ExitCode, PupError } from "../errors.ts";
import { safeText } from "../text.ts";
import { serverLine } from "../api/errors.ts";
import { requiredFlag, resolveRange, timeRangeOf, type TimeRangeSpec } from "../cli/flags.ts";
import { StatusApiClient } from "./api_client.ts";

/** One series of a v1 query answer. */
interface Series {
  metric?: string;
  scope?: string;
  expression?: string;
  display_name?: string;
  pointlist?: [number, number | null][];
}

interface QueryAnswer {
  status?: string;
  error?: string;
  series?: Series[];
}

/** Summary numbers of a series' non-null points. */
export function summarize(points: [number, number | null][]) {
  const values = points.map((p) => p[1]).filter((v): v is number =>
    typeof v === "number" && Number.isFinite(v)
  );
  if (values.length === 0) return { points: points.length };
  const sum = values.reduce((a, b) => a + b, 0);
  return {
    points: points.length,
    last: values[values.length - 1],
    min: Math.min(...values),
    max: Math.max(...values),
    avg: sum / values.length,
  };
}

/** A number for a table: at most 6 significant digits. */
function num(v: number | undefined): string {
  if (v === undefined) return "";
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

/** What `pup metrics query` was asked for. */
export interface MetricsQueryOptions {
  query: string;
  range: TimeRangeSpec;
}

/**
 * Reads the flags of `pup metrics query` (pure).
 *
 * @example
 * parse({ values: { query: "avg:system.cpu.user{*}", from: "4h" }, positionals: [] });
 */
export function parse(input: CommandInput): MetricsQueryOptions {
  return {
    query: requiredFlag(input.values.query, "query", "metrics query", '"avg:system.cpu.user{*}"'),
    range: timeRangeOf(input.values, "1h"),
  };
}

/**
 * Runs `pup metrics query`.
 *
 * @example
 * await run(parse({ values: { query: "avg:system.cpu.user{*}", from: "4h" }, positionals: [] }), ctx);
 */
export async function run(options: MetricsQueryOptions, ctx: Context): Promise<number> {
  const { query } = options;
  const { from, to } = resolveRange(options.range, ctx.deps.clock.now());
  const fromS = Math.floor(from / 1000);
  const toS = Math.max(fromS + 1, Math.floor(to / 1000));
  const format = outputFormat(ctx, "table");

  const answer = await new StatusApiClient(ctx).json<QueryAnswer>({
    path: "/api/v1/query",
    query: { query, from: fromS, to: toS },
  });
  if (!answer || typeof answer !== "object" || Array.isArray(answer)) {
    throw new PupError(
      "api",
      "request GET /api/v1/query returned an unexpected answer: expected an object with series",
    );
  }
  if (answer.status === "error") {
    throw new PupError(
      "api",
      `the metric query failed: ${serverLine(answer.error ?? "Datadog gave no reason")}`,
    );
  }
  if (await printData(ctx, answer, format)) return ExitCode.ok;
  const series = Array.isArray(answer.series) ? answer.series : [];
  if (series.length === 0) {
    ctx.info(`No data for "${safeText(query)}" in that time range.`);
    return ExitCode.ok;
  }
  ctx.deps.io.out(table(
    ["SERIES", "POINTS", "LAST", "MIN", "MAX", "AVG"],
    series.map((s) => {
      const name = s.expression ?? `${s.metric ?? s.display_name ?? "?"}{${s.scope ?? "*"}}`;
      const t = summarize(Array.isArray(s.pointlist) ? s.pointlist : []);
      return [name, t.points, num(t.last), num(t.min), num(t.max), num(t.avg)];
    }),
  ));
  return ExitCode.ok;
}
