/**
 * @module
 * `pup monitors …`: Datadog's v1 monitor API (scopes monitors_read, monitors_write).
 */
import type { ApiCommandDef, ColumnDef } from "./types.ts";

const COLUMNS: ColumnDef[] = [
  { header: "ID", path: "id" },
  { header: "NAME", path: "name" },
  { header: "TYPE", path: "type" },
  { header: "STATE", path: "overall_state" },
  { header: "TAGS", path: "tags" },
];

/** The monitors family. */
export const MONITORS: ApiCommandDef[] = [
  {
    path: ["monitors", "list"],
    summary: "List monitors",
    method: "GET",
    endpoint: "/api/v1/monitor",
    flags: {
      name: {
        description: "only monitors whose name contains this",
        valueName: "text",
        query: "name",
      },
      tags: {
        description: "only monitors with these tags (comma-separated)",
        valueName: "a,b",
        as: "csv",
        query: "monitor_tags",
      },
      page: { description: "start at this page (0-based)", valueName: "n", as: "int" },
    },
    items: "",
    paging: { kind: "page-number", page: "page", size: "page_size", max: 1000, startFlag: "page" },
    limit: 100,
    columns: COLUMNS,
    empty: "No monitors found.",
    scopes: ["monitors_read"],
    positionalHint: "filter with --name and --tags",
    examples: ["pup monitors list", "pup monitors list --tags env:prod --limit 20 -o json"],
  },
  {
    path: ["monitors", "get"],
    summary: "Show one monitor",
    method: "GET",
    endpoint: "/api/v1/monitor/{monitor_id}",
    positionals: ["monitor_id"],
    item: "",
    columns: [...COLUMNS, { header: "QUERY", path: "query" }],
    scopes: ["monitors_read"],
    examples: ["pup monitors get 1001", "pup monitors get 1001 -o json"],
  },
  {
    path: ["monitors", "search"],
    summary: "Search monitors with Datadog's monitor search syntax",
    method: "GET",
    endpoint: "/api/v1/monitor/search",
    flags: {
      query: {
        description: 'search, e.g. "type:metric status:alert"',
        valueName: "q",
        query: "query",
        required: '"status:alert"',
      },
      page: { description: "start at this page (0-based)", valueName: "n", as: "int" },
      "per-page": { description: "monitors per page (at most 1000)", valueName: "n", as: "int" },
      sort: {
        description: "sort, e.g. name,asc or status,desc",
        valueName: "field,dir",
        query: "sort",
      },
    },
    items: "monitors",
    paging: {
      kind: "page-number",
      page: "page",
      size: "per_page",
      max: 1000,
      startFlag: "page",
      sizeFlag: "per-page",
      pageCount: "metadata.page_count",
    },
    limit: 100,
    columns: [
      { header: "ID", path: "id" },
      { header: "NAME", path: "name" },
      { header: "TYPE", path: "type" },
      { header: "STATUS", path: "status" },
      { header: "TAGS", path: "tags" },
    ],
    empty: "No monitors match.",
    scopes: ["monitors_read"],
    examples: [
      'pup monitors search --query "status:alert"',
      'pup monitors search --query "tag:env:prod" --all -o json',
    ],
  },
  {
    path: ["monitors", "create"],
    summary: "Create a monitor from a JSON or YAML file",
    method: "POST",
    endpoint: "/api/v1/monitor",
    file: true,
    item: "",
    columns: COLUMNS,
    scopes: ["monitors_write"],
    examples: [
      "pup monitors create --file monitor.json",
      "cat monitor.yaml | pup monitors create --file -",
    ],
  },
  {
    path: ["monitors", "update"],
    summary: "Replace a monitor's definition with a JSON or YAML file",
    method: "PUT",
    endpoint: "/api/v1/monitor/{monitor_id}",
    positionals: ["monitor_id"],
    file: true,
    item: "",
    columns: COLUMNS,
    scopes: ["monitors_write"],
    examples: ["pup monitors update 1001 --file monitor.json"],
  },
  {
    path: ["monitors", "delete"],
    summary: "Delete a monitor",
    method: "DELETE",
    endpoint: "/api/v1/monitor/{monitor_id}",
    positionals: ["monitor_id"],
    confirm: { question: "Delete monitor {monitor_id}?", done: "Deleted monitor {monitor_id}." },
    scopes: ["monitors_write"],
    examples: ["pup monitors delete 1001", "pup monitors delete 1001 --yes"],
  },
];
