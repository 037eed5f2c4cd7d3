/**
 * @module
 * `pup cases …`: Datadog's v2 case management API (scope cases_read).
 */
import { pageNumberFlags, pageNumberPaging } from "./common.ts";
import type { ApiCommandDef, ColumnDef } from "./types.ts";

const COLUMNS: ColumnDef[] = [
  { header: "ID", path: "id" },
  { header: "KEY", path: "attributes.key" },
  { header: "TITLE", path: "attributes.title" },
  { header: "STATUS", path: "attributes.status" },
  { header: "PRIORITY", path: "attributes.priority" },
  { header: "CREATED", path: "attributes.created_at" },
];

/** The cases family. */
export const CASES: ApiCommandDef[] = [
  {
    path: ["cases", "search"],
    summary: "Search cases",
    method: "GET",
    endpoint: "/api/v2/cases",
    flags: {
      query: { description: "only cases matching this text", valueName: "q", query: "filter" },
      ...pageNumberFlags("cases"),
    },
    items: "data",
    paging: pageNumberPaging(),
    limit: 100,
    columns: COLUMNS,
    empty: "No cases match.",
    scopes: ["cases_read"],
    examples: ["pup cases search --query checkout", "pup cases search --all -o json"],
  },
  {
    path: ["cases", "get"],
    summary: "Show one case",
    method: "GET",
    endpoint: "/api/v2/cases/{case_id}",
    positionals: ["case_id"],
    item: "data",
    columns: COLUMNS,
    scopes: ["cases_read"],
    examples: ["pup cases get 00000000-cccc-0000-0000-000000000001"],
  },
];
