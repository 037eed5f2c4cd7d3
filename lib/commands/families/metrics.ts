/**
 * @module
 * `pup metrics query` (v1 timeseries query, scope timeseries_query) and `pup metrics list`
 * (v1 active metrics, scope metrics_read).
 */
import { fromFlag, toFlag } from "./common.ts";
import type { ApiCommandDef } from "./types.ts";

interface Series {
  metric?: string;
  scope?: string;
  expression?: string;
  display_name?: string;
  pointlist?: [number, number | null][];
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

function num(v: number | undefined): string {
  if (v === undefined) return "";
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

/** One row per series: its expression, points, last, min, max and average. */
function seriesTable(body: unknown) {
  const series = (body as { series?: Series[] })?.series;
  return {
    headers: ["SERIES", "POINTS", "LAST", "MIN", "MAX", "AVG"],
    rows: (Array.isArray(series) ? series : []).map((s) => {
      const name = s.expression ?? `${s.metric ?? s.display_name ?? "?"}{${s.scope ?? "*"}}`;
      const t = summarize(Array.isArray(s.pointlist) ? s.pointlist : []);
      return [name, t.points, num(t.last), num(t.min), num(t.max), num(t.avg)];
    }),
  };
}

/** The metrics family. */
export const METRICS: ApiCommandDef[] = [
  {
    path: ["metrics", "query"],
    summary: "Query timeseries metrics (v1 query)",
    method: "GET",
    endpoint: "/api/v1/query",
    flags: {
      query: {
        description: "metric query, e.g. avg:system.cpu.user{*}",
        valueName: "q",
        query: "query",
        required: '"avg:system.cpu.user{*}"',
      },
      from: fromFlag("time-s", "1h", { query: "from" }),
      to: toFlag("time-s", { query: "to" }),
    },
    item: "",
    render: seriesTable,
    answerError: (body) => {
      const b = body as { status?: string; error?: string } | undefined;
      return b?.status === "error"
        ? `the metric query failed: ${b.error ?? "Datadog gave no reason"}`
        : undefined;
    },
    scopes: ["timeseries_query"],
    positionalHint: 'pass the metric query with --query, e.g. --query "avg:system.cpu.user{*}"',
    examples: ['pup metrics query --query "avg:system.cpu.user{*}" --from 4h'],
  },
  {
    path: ["metrics", "list"],
    summary: "List metrics reporting since a time (v1 active metrics)",
    method: "GET",
    endpoint: "/api/v1/metrics",
    flags: {
      from: fromFlag("time-s", "1h", { query: "from" }),
      filter: {
        description: "only metrics reported by this host",
        valueName: "host",
        query: "host",
      },
      "tag-filter": {
        description: 'only metrics with these tags, e.g. "env:prod"',
        valueName: "q",
        query: "tag_filter",
      },
    },
    items: "metrics",
    paging: { kind: "none" },
    limit: 1000,
    columns: [{ header: "METRIC", path: "" }],
    empty: "No metrics reported in that time.",
    scopes: ["metrics_read"],
    examples: ["pup metrics list --from 1d", 'pup metrics list --tag-filter "env:prod"'],
  },
];
