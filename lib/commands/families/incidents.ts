/**
 * @module
 * `pup incidents …`: Datadog's v2 incident API (scope incident_read).
 */
import type { ApiCommandDef, ColumnDef } from "./types.ts";

const COLUMNS: ColumnDef[] = [
  { header: "ID", path: "id" },
  { header: "NUMBER", path: "attributes.public_id" },
  { header: "TITLE", path: "attributes.title" },
  { header: "SEVERITY", path: "attributes.severity" },
  { header: "STATE", path: "attributes.state" },
  { header: "CREATED", path: "attributes.created" },
];

/** The incidents family. */
export const INCIDENTS: ApiCommandDef[] = [
  {
    path: ["incidents", "list"],
    summary: "List incidents",
    method: "GET",
    endpoint: "/api/v2/incidents",
    flags: {
      query: {
        description: "only incidents whose title contains this",
        valueName: "q",
        query: "query",
      },
    },
    items: "data",
    paging: { kind: "offset", offset: "page[offset]", size: "page[size]", max: 100 },
    limit: 100,
    columns: COLUMNS,
    empty: "No incidents found.",
    scopes: ["incident_read"],
    examples: ["pup incidents list", "pup incidents list --all -o json"],
  },
  {
    path: ["incidents", "get"],
    summary: "Show one incident",
    method: "GET",
    endpoint: "/api/v2/incidents/{incident_id}",
    positionals: ["incident_id"],
    item: "data",
    columns: COLUMNS,
    scopes: ["incident_read"],
    examples: ["pup incidents get 00000000-aaaa-0000-0000-000000000000"],
  },
];
