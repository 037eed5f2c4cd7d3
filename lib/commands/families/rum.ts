/**
 * @module
 * `pup rum apps …`: Datadog's v2 RUM applications API (scope rum_apps_read).
 */
import type { ApiCommandDef, ColumnDef } from "./types.ts";

const COLUMNS: ColumnDef[] = [
  { header: "ID", path: "id" },
  { header: "NAME", path: "attributes.name" },
  { header: "TYPE", path: "attributes.type" },
  { header: "CREATED", path: "attributes.created_at", as: "time-ms" },
];

/** The RUM family. */
export const RUM: ApiCommandDef[] = [
  {
    path: ["rum", "apps", "list"],
    summary: "List RUM applications",
    method: "GET",
    endpoint: "/api/v2/rum/applications",
    items: "data",
    paging: { kind: "none" },
    columns: COLUMNS,
    empty: "No RUM applications found.",
    scopes: ["rum_apps_read"],
    examples: ["pup rum apps list"],
  },
  {
    path: ["rum", "apps", "get"],
    summary: "Show one RUM application",
    method: "GET",
    endpoint: "/api/v2/rum/applications/{app_id}",
    positionals: ["app_id"],
    item: "data",
    columns: [...COLUMNS, { header: "CLIENT TOKEN", path: "attributes.client_token" }],
    scopes: ["rum_apps_read"],
    examples: ["pup rum apps get abcd1234-0000-0000-0000-000000000000"],
  },
];
