/**
 * @module
 * Every API family's commands as entries of the command table. The family files are data (no
 * code but a few table renderers); the generic runner that makes their requests is loaded only
 * when one of them runs.
 */
import type { CommandSpec, OptionSpec } from "../../cli/spec.ts";
import type { ApiCommandDef } from "./types.ts";
import { MONITORS } from "./monitors.ts";
import { DASHBOARDS } from "./dashboards.ts";
import { DOWNTIME } from "./downtime.ts";
import { SLOS } from "./slos.ts";
import { INCIDENTS } from "./incidents.ts";
import { SYNTHETICS } from "./synthetics.ts";
import { SECURITY } from "./security.ts";
import { RUM } from "./rum.ts";
import { INFRASTRUCTURE } from "./infrastructure.ts";
import { USERS } from "./users.ts";
import { CASES } from "./cases.ts";
import { EVENTS } from "./events.ts";
import { LOGS } from "./logs.ts";
import { METRICS } from "./metrics.ts";
import { USAGE } from "./usage.ts";
import { APM } from "./apm.ts";

/** Every declared API command, family by family. */
export const API_COMMANDS: ApiCommandDef[] = [
  ...MONITORS,
  ...DASHBOARDS,
  ...DOWNTIME,
  ...SLOS,
  ...INCIDENTS,
  ...SYNTHETICS,
  ...SECURITY,
  ...RUM,
  ...INFRASTRUCTURE,
  ...USERS,
  ...CASES,
  ...EVENTS,
  ...LOGS,
  ...METRICS,
  ...USAGE,
  ...APM,
];

/** The request line for help: `GET /api/v1/monitor?name=&monitor_tags=&page=&page_size=`. */
export function requestText(def: ApiCommandDef): string {
  const params = new Set<string>(Object.keys(def.query ?? {}));
  for (const f of Object.values(def.flags ?? {})) if (f.query) params.add(f.query);
  const p = def.paging;
  if (p && p.kind !== "none" && p.in !== "body") {
    for (
      const name of p.kind === "page-number"
        ? [p.page, p.size]
        : p.kind === "offset"
        ? [p.offset, p.size]
        : [p.cursor, p.size]
    ) {
      if (name) params.add(name);
    }
  }
  const q = [...params].map((k) => `${k}=`).join("&");
  return `${def.method} ${def.endpoint}${q ? `?${q}` : ""}${def.file ? " (body: --file)" : ""}`;
}

function optionsOf(def: ApiCommandDef): Record<string, OptionSpec> {
  const out: Record<string, OptionSpec> = {};
  for (const [name, f] of Object.entries(def.flags ?? {})) {
    out[name] = f.as === "bool"
      ? { type: "boolean", description: f.description }
      : { type: "string", description: f.description, valueName: f.valueName ?? "value" };
  }
  if (def.items !== undefined) {
    out.limit = {
      type: "string",
      description: `at most this many items (default ${def.limit ?? 100})`,
      valueName: "n",
    };
    if (def.paging && def.paging.kind !== "none") {
      out.all = { type: "boolean", description: "read every page (bounded at 1000 pages)" };
    }
  }
  if (def.file) {
    out.file = {
      type: "string",
      description: "the request body: a JSON or YAML file, - for stdin",
      valueName: "file",
    };
  }
  if (def.confirm) out.yes = { type: "boolean", description: "do not ask for confirmation" };
  return out;
}

/** The command table entry of a declared command. */
export function specOf(def: ApiCommandDef): CommandSpec {
  return {
    path: def.path,
    summary: def.summary,
    description: def.description,
    positionals: (def.positionals ?? []).map((name) => ({ name })),
    positionalHint: def.positionalHint,
    options: optionsOf(def),
    scopes: def.scopes,
    request: requestText(def),
    examples: def.examples,
    load: () => import("./runner.ts").then((m) => m.moduleFor(def)),
  };
}

/** Every family command as a command table entry. */
export const FAMILY_COMMANDS: CommandSpec[] = API_COMMANDS.map(specOf);

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
