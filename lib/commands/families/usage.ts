/**
 * @module
 * `pup usage summary`: Datadog's v1 usage summary by month (scope usage_read).
 */
import type { ApiCommandDef } from "./types.ts";

/** The usage family. */
export const USAGE: ApiCommandDef[] = [
  {
    path: ["usage", "summary"],
    summary: "Show usage by month",
    method: "GET",
    endpoint: "/api/v1/usage/summary",
    flags: {
      from: {
        description: "first month: YYYY-MM, a date, or a time ago such as 90d (default this month)",
        valueName: "month",
        as: "month",
        query: "start_month",
        default: "now",
      },
      to: {
        description: "last month: YYYY-MM, a date or a time ago (default: up to now)",
        valueName: "month",
        as: "month",
        query: "end_month",
      },
    },
    items: "usage",
    paging: { kind: "none" },
    limit: 1000,
    columns: [
      { header: "MONTH", path: "date" },
      { header: "INFRA HOSTS", path: "infra_host_top99p" },
      { header: "APM HOSTS", path: "apm_host_top99p" },
      { header: "INDEXED LOGS", path: "indexed_events_count_sum" },
      { header: "CUSTOM METRICS", path: "custom_ts_avg" },
    ],
    empty: "No usage in those months.",
    scopes: ["usage_read"],
    examples: ["pup usage summary --from 2024-01 --to 2024-03", "pup usage summary -o json"],
  },
];
