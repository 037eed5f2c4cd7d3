/**
 * @module
 * `pup dashboards …`: Datadog's v1 dashboard API (scopes dashboards_read, dashboards_write).
 */
import type { ApiCommandDef, ColumnDef } from "./types.ts";

const COLUMNS: ColumnDef[] = [
  { header: "ID", path: "id" },
  { header: "TITLE", path: "title" },
  { header: "LAYOUT", path: "layout_type" },
  { header: "AUTHOR", path: "author_handle" },
  { header: "MODIFIED", path: "modified_at" },
];

/** The dashboards family. */
export const DASHBOARDS: ApiCommandDef[] = [
  {
    path: ["dashboards", "list"],
    summary: "List dashboards",
    method: "GET",
    endpoint: "/api/v1/dashboard",
    items: "dashboards",
    paging: { kind: "offset", offset: "start", size: "count", max: 1000 },
    limit: 100,
    columns: COLUMNS,
    empty: "No dashboards found.",
    scopes: ["dashboards_read"],
    examples: ["pup dashboards list", "pup dashboards list --all -o json"],
  },
  {
    path: ["dashboards", "get"],
    summary: "Show one dashboard",
    method: "GET",
    endpoint: "/api/v1/dashboard/{dashboard_id}",
    positionals: ["dashboard_id"],
    item: "",
    columns: [...COLUMNS, { header: "URL", path: "url" }],
    scopes: ["dashboards_read"],
    examples: [
      "pup dashboards get abc-def-ghi",
      "pup dashboards get abc-def-ghi -o json > dash.json",
    ],
  },
  {
    path: ["dashboards", "create"],
    summary: "Create a dashboard from a JSON or YAML file",
    method: "POST",
    endpoint: "/api/v1/dashboard",
    file: true,
    item: "",
    columns: COLUMNS,
    scopes: ["dashboards_write"],
    examples: ["pup dashboards create --file dash.json"],
  },
  {
    path: ["dashboards", "update"],
    summary: "Replace a dashboard with a JSON or YAML file",
    method: "PUT",
    endpoint: "/api/v1/dashboard/{dashboard_id}",
    positionals: ["dashboard_id"],
    file: true,
    item: "",
    columns: COLUMNS,
    scopes: ["dashboards_write"],
    examples: ["pup dashboards update abc-def-ghi --file dash.json"],
  },
  {
    path: ["dashboards", "delete"],
    summary: "Delete a dashboard",
    method: "DELETE",
    endpoint: "/api/v1/dashboard/{dashboard_id}",
    positionals: ["dashboard_id"],
    confirm: {
      question: "Delete dashboard {dashboard_id}?",
      done: "Deleted dashboard {dashboard_id}.",
    },
    scopes: ["dashboards_write"],
    examples: ["pup dashboards delete abc-def-ghi --yes"],
  },
];
