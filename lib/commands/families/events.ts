/**
 * @module
 * `pup events list` (v1 event stream) and `pup events search` (v2 search): scope events_read.
 */
import { fromFlag, SEARCH_CURSOR_PAGING, SEARCH_TIME_FLAGS, toFlag } from "./common.ts";
import type { ApiCommandDef } from "./types.ts";

/** The events family. */
export const EVENTS: ApiCommandDef[] = [
  {
    path: ["events", "list"],
    summary: "List events in a time range",
    method: "GET",
    endpoint: "/api/v1/events",
    flags: {
      from: fromFlag("time-s", "1h", { query: "start" }),
      to: toFlag("time-s", { query: "end" }),
      filter: {
        description: "only events from these sources, e.g. nagios,jenkins",
        valueName: "a,b",
        as: "csv",
        query: "sources",
      },
      tags: {
        description: "only events with these tags (comma-separated)",
        valueName: "a,b",
        as: "csv",
        query: "tags",
      },
    },
    items: "events",
    paging: { kind: "page-number", page: "page", max: 1000 },
    limit: 100,
    columns: [
      { header: "ID", path: "id" },
      { header: "DATE", path: "date_happened", as: "time-s" },
      { header: "SOURCE", path: "source_type_name" },
      { header: "PRIORITY", path: "priority" },
      { header: "TITLE", path: "title" },
    ],
    empty: "No events in that time range.",
    scopes: ["events_read"],
    examples: ["pup events list --from 1d", "pup events list --tags env:prod -o json"],
  },
  {
    path: ["events", "search"],
    summary: "Search events",
    method: "POST",
    endpoint: "/api/v2/events/search",
    body: { filter: {}, page: {}, sort: "-timestamp" },
    flags: {
      query: {
        description: 'event search, e.g. "source:github"',
        valueName: "q",
        body: "filter.query",
        required: '"source:github"',
      },
      ...SEARCH_TIME_FLAGS,
    },
    items: "data",
    paging: SEARCH_CURSOR_PAGING,
    limit: 100,
    columns: [
      { header: "ID", path: "id" },
      { header: "TIMESTAMP", path: "attributes.timestamp" },
      { header: "TITLE", path: "attributes.attributes.title" },
      { header: "TAGS", path: "attributes.tags" },
    ],
    empty: "No events match.",
    scopes: ["events_read"],
    examples: ['pup events search --query "source:github" --from 1d --limit 20'],
  },
];
