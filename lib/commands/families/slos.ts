/**
 * @module
 * `pup slos …`: Datadog's v1 service level objective API (scopes slos_read, slos_write).
 */
import type { ApiCommandDef, ColumnDef } from "./types.ts";

const COLUMNS: ColumnDef[] = [
  { header: "ID", path: "id" },
  { header: "NAME", path: "name" },
  { header: "TYPE", path: "type" },
  { header: "TARGET", path: "thresholds.0.target" },
  { header: "TIMEFRAME", path: "thresholds.0.timeframe" },
  { header: "TAGS", path: "tags" },
];

/** The SLO family. */
export const SLOS: ApiCommandDef[] = [
  {
    path: ["slos", "list"],
    summary: "List service level objectives",
    method: "GET",
    endpoint: "/api/v1/slo",
    flags: {
      query: { description: "only SLOs whose name matches", valueName: "q", query: "query" },
      "tags-query": {
        description: 'only SLOs with these tags, e.g. "env:prod"',
        valueName: "q",
        query: "tags_query",
      },
      offset: { description: "skip this many SLOs", valueName: "n", as: "int" },
    },
    items: "data",
    paging: { kind: "offset", offset: "offset", size: "limit", max: 1000, startFlag: "offset" },
    limit: 100,
    columns: COLUMNS,
    empty: "No SLOs found.",
    scopes: ["slos_read"],
    examples: ["pup slos list", 'pup slos list --tags-query "env:prod" --limit 10'],
  },
  {
    path: ["slos", "get"],
    summary: "Show one SLO",
    method: "GET",
    endpoint: "/api/v1/slo/{slo_id}",
    positionals: ["slo_id"],
    item: "data",
    columns: COLUMNS,
    scopes: ["slos_read"],
    examples: ["pup slos get 12345678901234567890123456789012"],
  },
  {
    path: ["slos", "create"],
    summary: "Create an SLO from a JSON or YAML file",
    method: "POST",
    endpoint: "/api/v1/slo",
    file: true,
    item: "data.0",
    columns: COLUMNS,
    scopes: ["slos_write"],
    examples: ["pup slos create --file slo.yaml"],
  },
  {
    path: ["slos", "update"],
    summary: "Replace an SLO with a JSON or YAML file",
    method: "PUT",
    endpoint: "/api/v1/slo/{slo_id}",
    positionals: ["slo_id"],
    file: true,
    item: "data.0",
    columns: COLUMNS,
    scopes: ["slos_write"],
    examples: ["pup slos update 12345678901234567890123456789012 --file slo.yaml"],
  },
  {
    path: ["slos", "delete"],
    summary: "Delete an SLO",
    method: "DELETE",
    endpoint: "/api/v1/slo/{slo_id}",
    positionals: ["slo_id"],
    confirm: { question: "Delete SLO {slo_id}?", done: "Deleted SLO {slo_id}." },
    scopes: ["slos_write"],
    examples: ["pup slos delete 12345678901234567890123456789012 --yes"],
  },
];
