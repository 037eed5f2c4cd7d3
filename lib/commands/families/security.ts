/**
 * @module
 * `pup security rules …` and `pup security signals list`: Datadog's v2 security monitoring API
 * (scopes security_monitoring_rules_read, security_monitoring_signals_read).
 */
import {
  pageNumberFlags,
  pageNumberPaging,
  SEARCH_CURSOR_PAGING,
  SEARCH_TIME_FLAGS,
} from "./common.ts";
import type { ApiCommandDef, ColumnDef } from "./types.ts";

const RULE_COLUMNS: ColumnDef[] = [
  { header: "ID", path: "id" },
  { header: "NAME", path: "name" },
  { header: "TYPE", path: "type" },
  { header: "ENABLED", path: "isEnabled" },
  { header: "CREATED", path: "createdAt", as: "time-ms" },
];

/** The security family. */
export const SECURITY: ApiCommandDef[] = [
  {
    path: ["security", "rules", "list"],
    summary: "List detection rules",
    method: "GET",
    endpoint: "/api/v2/security_monitoring/rules",
    flags: {
      filter: { description: "only rules matching this query", valueName: "q", query: "query" },
      sort: {
        description: "sort by this field (- for descending), e.g. -name",
        valueName: "field",
        query: "sort",
      },
      ...pageNumberFlags("rules"),
    },
    items: "data",
    paging: pageNumberPaging(),
    limit: 100,
    columns: RULE_COLUMNS,
    empty: "No rules found.",
    scopes: ["security_monitoring_rules_read"],
    examples: ["pup security rules list", "pup security rules list --filter aws --all -o json"],
  },
  {
    path: ["security", "rules", "get"],
    summary: "Show one detection rule",
    method: "GET",
    endpoint: "/api/v2/security_monitoring/rules/{rule_id}",
    positionals: ["rule_id"],
    item: "",
    columns: RULE_COLUMNS,
    scopes: ["security_monitoring_rules_read"],
    examples: ["pup security rules get abc-def-ghi"],
  },
  {
    path: ["security", "signals", "list"],
    summary: "Search security signals",
    method: "POST",
    endpoint: "/api/v2/security_monitoring/signals/search",
    body: { filter: {}, page: {} },
    flags: {
      query: {
        description: 'signal search, e.g. "status:high"',
        valueName: "q",
        body: "filter.query",
        required: '"status:high"',
      },
      ...SEARCH_TIME_FLAGS,
      sort: {
        description: "timestamp (oldest first) or -timestamp (newest first, the default)",
        valueName: "order",
        body: "sort",
        default: "-timestamp",
      },
    },
    items: "data",
    paging: SEARCH_CURSOR_PAGING,
    limit: 100,
    columns: [
      { header: "ID", path: "id" },
      { header: "TIMESTAMP", path: "attributes.timestamp" },
      { header: "MESSAGE", path: "attributes.message" },
      { header: "TAGS", path: "attributes.tags" },
    ],
    empty: "No signals match.",
    scopes: ["security_monitoring_signals_read"],
    examples: ['pup security signals list --query "status:high" --from 1d'],
  },
];
