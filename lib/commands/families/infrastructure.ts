/**
 * @module
 * `pup infrastructure hosts list`: Datadog's v1 hosts API (scope hosts_read).
 */
import type { ApiCommandDef } from "./types.ts";

/** The infrastructure family. */
export const INFRASTRUCTURE: ApiCommandDef[] = [
  {
    path: ["infrastructure", "hosts", "list"],
    summary: "List hosts",
    method: "GET",
    endpoint: "/api/v1/hosts",
    flags: {
      filter: {
        description: "only hosts matching this (name, alias or tag)",
        valueName: "q",
        query: "filter",
      },
      sort: {
        description: "sort by this field, e.g. status, apps, cpu, iowait, load",
        valueName: "field",
        query: "sort_field",
      },
      start: { description: "skip this many hosts", valueName: "n", as: "int" },
      count: { description: "hosts per page (at most 1000)", valueName: "n", as: "int" },
    },
    items: "host_list",
    paging: {
      kind: "offset",
      offset: "start",
      size: "count",
      max: 1000,
      startFlag: "start",
      sizeFlag: "count",
    },
    limit: 100,
    columns: [
      { header: "NAME", path: "host_name" },
      { header: "ID", path: "id" },
      { header: "UP", path: "up" },
      { header: "APPS", path: "apps" },
      { header: "LAST REPORTED", path: "last_reported_time", as: "time-s" },
    ],
    empty: "No hosts found.",
    scopes: ["hosts_read"],
    examples: [
      "pup infrastructure hosts list",
      "pup infrastructure hosts list --filter env:prod --count 50",
    ],
  },
];
