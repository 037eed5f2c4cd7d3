/**
 * @module
 * The API families by their first word, each with the loader of its commands, and the groups'
 * one-line descriptions. The runner reads this (small) file at every start: a command line's
 * first word picks the one family file to load (`pup logs query` loads `logs.ts` alone), and
 * any other command loads none.
 */
import type { ApiCommandDef } from "./types.ts";

/**
 * Each family's first word and its commands, in the order of the command table
 * (`index.ts`'s `API_COMMANDS`; tests/cli.test.ts checks the two agree).
 */
export const FAMILY_LOADERS: Readonly<Record<string, () => Promise<ApiCommandDef[]>>> = {
  monitors: async () => (await import("./monitors.ts")).MONITORS,
  dashboards: async () => (await import("./dashboards.ts")).DASHBOARDS,
  downtime: async () => (await import("./downtime.ts")).DOWNTIME,
  slos: async () => (await import("./slos.ts")).SLOS,
  incidents: async () => (await import("./incidents.ts")).INCIDENTS,
  synthetics: async () => (await import("./synthetics.ts")).SYNTHETICS,
  security: async () => (await import("./security.ts")).SECURITY,
  rum: async () => (await import("./rum.ts")).RUM,
  infrastructure: async () => (await import("./infrastructure.ts")).INFRASTRUCTURE,
  users: async () => (await import("./users.ts")).USERS,
  cases: async () => (await import("./cases.ts")).CASES,
  events: async () => (await import("./events.ts")).EVENTS,
  logs: async () => (await import("./logs.ts")).LOGS,
  metrics: async () => (await import("./metrics.ts")).METRICS,
  usage: async () => (await import("./usage.ts")).USAGE,
  apm: async () => (await import("./apm.ts")).APM,
};

/** One-line descriptions of the families' groups, for help. */
export const FAMILY_GROUPS: Record<string, string> = {
  monitors: "Work with monitors",
  dashboards: "Work with dashboards",
  downtime: "Schedule and cancel downtimes",
  slos: "Work with service level objectives",
  incidents: "List and show incidents",
  synthetics: "Synthetic monitoring",
  tests: "Synthetic tests",
  security: "Security monitoring rules and signals",
  rules: "Detection rules",
  signals: "Security signals",
  rum: "Real User Monitoring",
  apps: "RUM applications",
  infrastructure: "Infrastructure",
  hosts: "Hosts",
  users: "Users of the org",
  cases: "Case management",
  events: "The event stream",
  logs: "Search and aggregate logs",
  metrics: "Query and list metrics",
  usage: "Usage and billing",
  apm: "Application performance monitoring",
  services: "APM services",
};
