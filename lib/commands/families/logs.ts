/**
 * @module
 * `pup logs query` / `pup logs search` (the same command: v2 logs search, newest first,
 * following `meta.page.after`) and `pup logs aggregate` (v2 analytics): scope logs_read_data.
 */
import { SEARCH_CURSOR_PAGING, SEARCH_TIME_FLAGS } from "./common.ts";
import type { ApiCommandDef, FlagDef } from "./types.ts";

const SEARCH_FLAGS: Record<string, FlagDef> = {
  query: {
    description: "log search query, e.g. service:web-store status:error",
    valueName: "q",
    body: "filter.query",
    required: '"service:web-store status:error"',
    requiredHint: 'use --query "*" for every log',
  },
  ...SEARCH_TIME_FLAGS,
  index: {
    description: "search these log indexes (comma-separated)",
    valueName: "a,b",
    as: "list",
    body: "filter.indexes",
  },
  sort: {
    description: "timestamp (oldest first) or -timestamp (newest first, the default)",
    valueName: "order",
    body: "sort",
    default: "-timestamp",
  },
  cursor: {
    description: "continue from this cursor (meta.page.after of an earlier answer)",
    valueName: "cursor",
  },
};

function search(word: string): ApiCommandDef {
  return {
    path: ["logs", word],
    summary: "Search logs (v2 logs search)",
    method: "POST",
    endpoint: "/api/v2/logs/events/search",
    body: { filter: {}, page: {} },
    flags: SEARCH_FLAGS,
    items: "data",
    paging: { ...SEARCH_CURSOR_PAGING, startFlag: "cursor" },
    limit: 50,
    columns: [
      { header: "TIMESTAMP", path: "attributes.timestamp" },
      { header: "STATUS", path: "attributes.status" },
      { header: "SERVICE", path: "attributes.service" },
      { header: "HOST", path: "attributes.host" },
      { header: "MESSAGE", path: "attributes.message" },
    ],
    empty: "No logs match in that time range.",
    scopes: ["logs_read_data"],
    positionalHint: 'pass the search with --query, e.g. --query "service:web status:error"',
    examples: [`pup logs ${word} --query "service:web-store" --from 1h --limit 10`],
  };
}

/** `count`, `avg:@duration` → a compute of the aggregate API. */
function computes(value: unknown): unknown {
  return String(value).split(",").map((s) => s.trim()).filter(Boolean).map((c) => {
    const [aggregation, metric] = c.split(":", 2);
    return { aggregation, type: "total", ...(metric ? { metric } : {}) };
  });
}

/** `service,host` → group-by facets. */
function groupBy(value: unknown): unknown {
  return (value as string[]).map((facet) => ({ facet, limit: 10 }));
}

interface Bucket {
  by?: Record<string, unknown>;
  computes?: Record<string, unknown>;
}

/** One row per bucket: its group values, then each compute. */
function bucketTable(body: unknown) {
  const buckets = ((body as { data?: { buckets?: Bucket[] } })?.data?.buckets ?? []) as Bucket[];
  const by = [...new Set(buckets.flatMap((b) => Object.keys(b.by ?? {})))];
  const comp = [...new Set(buckets.flatMap((b) => Object.keys(b.computes ?? {})))];
  return {
    headers: [...by.map((k) => k.toUpperCase()), ...comp.map((k) => k.toUpperCase())],
    rows: buckets.map((b) => [...by.map((k) => b.by?.[k]), ...comp.map((k) => b.computes?.[k])]),
  };
}

/** The logs family. */
export const LOGS: ApiCommandDef[] = [
  search("query"),
  search("search"),
  {
    path: ["logs", "aggregate"],
    summary: "Count or measure logs, grouped by facets (v2 logs analytics)",
    method: "POST",
    endpoint: "/api/v2/logs/analytics/aggregate",
    body: { filter: {} },
    flags: {
      query: {
        description: "log search query (default *)",
        valueName: "q",
        body: "filter.query",
        default: "*",
      },
      ...SEARCH_TIME_FLAGS,
      compute: {
        description: "what to compute: count, or avg|sum|min|max|pc99:<measure> (comma-separated)",
        valueName: "c",
        body: "compute",
        default: "count",
        transform: computes,
      },
      "group-by": {
        description: "facets to group by (comma-separated)",
        valueName: "a,b",
        as: "list",
        body: "group_by",
        transform: groupBy,
      },
      index: {
        description: "these log indexes (comma-separated)",
        valueName: "a,b",
        as: "list",
        body: "filter.indexes",
      },
    },
    item: "data",
    render: bucketTable,
    scopes: ["logs_read_data"],
    examples: ['pup logs aggregate --query "status:error" --group-by service --from 1h'],
  },
];
