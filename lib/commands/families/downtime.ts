/**
 * @module
 * `pup downtime …`: Datadog's v2 downtime API (scope monitors_downtime).
 */
import type { ApiCommandDef, ColumnDef } from "./types.ts";

const COLUMNS: ColumnDef[] = [
  { header: "ID", path: "id" },
  { header: "STATUS", path: "attributes.status" },
  { header: "SCOPE", path: "attributes.scope" },
  { header: "MONITOR", path: "attributes.monitor_identifier.monitor_id" },
  { header: "START", path: "attributes.schedule.start" },
  { header: "END", path: "attributes.schedule.end" },
  { header: "MESSAGE", path: "attributes.message" },
];

/** The downtime family. */
export const DOWNTIME: ApiCommandDef[] = [
  {
    path: ["downtime", "list"],
    summary: "List downtimes",
    method: "GET",
    endpoint: "/api/v2/downtime",
    flags: {
      "current-only": {
        description: "only downtimes active now",
        as: "bool",
        query: "current_only",
      },
    },
    items: "data",
    paging: { kind: "offset", offset: "page[offset]", size: "page[limit]", max: 100 },
    limit: 100,
    columns: COLUMNS,
    empty: "No downtimes found.",
    scopes: ["monitors_downtime"],
    examples: ["pup downtime list", "pup downtime list --current-only -o json"],
  },
  {
    path: ["downtime", "get"],
    summary: "Show one downtime",
    method: "GET",
    endpoint: "/api/v2/downtime/{downtime_id}",
    positionals: ["downtime_id"],
    item: "data",
    columns: COLUMNS,
    scopes: ["monitors_downtime"],
    examples: ["pup downtime get 00000000-0000-1234-0000-000000000000"],
  },
  {
    path: ["downtime", "create"],
    summary: "Schedule a downtime from a JSON or YAML file",
    method: "POST",
    endpoint: "/api/v2/downtime",
    file: true,
    item: "data",
    columns: COLUMNS,
    scopes: ["monitors_downtime"],
    examples: ["pup downtime create --file downtime.json"],
  },
  {
    path: ["downtime", "cancel"],
    summary: "Cancel a downtime",
    method: "DELETE",
    endpoint: "/api/v2/downtime/{downtime_id}",
    positionals: ["downtime_id"],
    confirm: {
      question: "Cancel downtime {downtime_id}?",
      done: "Cancelled downtime {downtime_id}.",
    },
    scopes: ["monitors_downtime"],
    examples: ["pup downtime cancel 00000000-0000-1234-0000-000000000000 --yes"],
  },
];
