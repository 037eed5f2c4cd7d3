/**
 * @module
 * Which scope each API path needs on the fake (by method: reads and writes differ), so a
 * bearer token without it gets Datadog's 403.
 */

/** One rule: methods (any when absent), the path pattern, the scope. */
export type ScopeRule = [methods: string[] | null, path: RegExp, scope: string];

const READ = ["GET"];
const WRITE = ["POST", "PUT", "PATCH", "DELETE"];

/** Every API path's scope; the first matching rule decides. */
export const API_SCOPES: ScopeRule[] = [
  [READ, /^\/api\/v1\/monitor(\/[^/]+)?$/, "monitors_read"],
  [WRITE, /^\/api\/v1\/monitor(\/[^/]+)?$/, "monitors_write"],
  [READ, /^\/api\/v1\/dashboard(\/[^/]+)?$/, "dashboards_read"],
  [WRITE, /^\/api\/v1\/dashboard(\/[^/]+)?$/, "dashboards_write"],
  [null, /^\/api\/v2\/downtime(\/[^/]+)?$/, "monitors_downtime"],
  [READ, /^\/api\/v1\/slo(\/[^/]+)?$/, "slos_read"],
  [WRITE, /^\/api\/v1\/slo(\/[^/]+)?$/, "slos_write"],
  [READ, /^\/api\/v2\/incidents(\/[^/]+)?$/, "incident_read"],
  [READ, /^\/api\/v1\/synthetics\/tests(\/[^/]+)?$/, "synthetics_read"],
  [READ, /^\/api\/v2\/security_monitoring\/rules(\/[^/]+)?$/, "security_monitoring_rules_read"],
  [null, /^\/api\/v2\/security_monitoring\/signals\/search$/, "security_monitoring_signals_read"],
  [READ, /^\/api\/v2\/rum\/applications(\/[^/]+)?$/, "rum_apps_read"],
  [READ, /^\/api\/v1\/hosts$/, "hosts_read"],
  [READ, /^\/api\/v2\/(users(\/[^/]+)?|current_user)$/, "user_access_read"],
  [READ, /^\/api\/v2\/cases(\/[^/]+)?$/, "cases_read"],
  [null, /^\/api\/v(1\/events|2\/events\/search)$/, "events_read"],
  [null, /^\/api\/v2\/logs\/(events\/search|analytics\/aggregate)$/, "logs_read_data"],
  [READ, /^\/api\/v1\/query$/, "timeseries_query"],
  [READ, /^\/api\/v1\/metrics$/, "metrics_read"],
  [READ, /^\/api\/v1\/usage\/summary$/, "usage_read"],
  [READ, /^\/api\/v2\/apm\/services$/, "apm_read"],
];

/** The scope `method path` needs, if any. */
export function scopeFor(method: string, path: string): string | undefined {
  return API_SCOPES.find(([m, re]) => (m === null || m.includes(method)) && re.test(path))?.[2];
}
