/**
 * @module
 * The fake's read-mostly API families, each a seeded list with Datadog's answer shape and its
 * paging: dashboards, downtimes, SLOs, incidents, Synthetic tests, security rules and
 * signals, RUM applications, hosts, users, cases, events, usage and APM services. Writes
 * (dashboards, downtimes, SLOs) change a per-fake copy.
 */
import type { Fake } from "./core.ts";
import { fakeId } from "./paging.ts";

/** Terminal escapes a seeded name carries, to prove tables show them inert. */
export const ESCAPES = "\u001b[31mred\u001b[0m \u001b]0;pwned\u0007";

const T0 = Date.parse("2024-05-01T12:00:00Z");
const iso = (n: number) => new Date(T0 - n * 86_400_000).toISOString();

function seed(fake: Fake) {
  const dashboards = Array.from({ length: 7 }, (_, i) => ({
    id: `abc-def-${String(i + 1).padStart(3, "0")}`,
    title: i === 6 ? `Dashboard ${ESCAPES}` : `Service overview ${i + 1}`,
    description: null,
    author_handle: "jane.doe@example.com",
    layout_type: i % 2 ? "free" : "ordered",
    url: `/dashboard/abc-def-${String(i + 1).padStart(3, "0")}/service-overview`,
    is_read_only: false,
    created_at: iso(30 + i),
    modified_at: iso(i),
  }));
  const downtimes = Array.from({ length: 5 }, (_, i) => ({
    id: fakeId("00000000", i + 1),
    type: "downtime",
    attributes: {
      scope: i % 2 ? "env:staging" : "env:prod",
      status: i === 0 ? "active" : "scheduled",
      message: i === 4 ? `Maintenance ${ESCAPES}` : "Planned maintenance",
      monitor_identifier: { monitor_id: 1001 + i },
      schedule: { start: iso(-i), end: iso(-i - 1) },
      display_timezone: "UTC",
      mute_first_recovery_notification: false,
      notify_end_states: ["alert", "no data", "warn"],
      notify_end_types: ["canceled", "expired"],
      created: iso(3),
      modified: iso(2),
      canceled: null,
    },
    relationships: { created_by: { data: null }, monitor: { data: null } },
  }));
  const slos = Array.from({ length: 6 }, (_, i) => ({
    id: String(i + 1).padStart(32, "a"),
    name: i === 5 ? `SLO ${ESCAPES}` : `Checkout availability ${i + 1}`,
    type: i % 2 ? "monitor" : "metric",
    description: "",
    tags: [i % 2 ? "env:staging" : "env:prod", "team:payments"],
    thresholds: [{ target: 99.9, timeframe: "30d", warning: 99.95 }],
    query: i % 2
      ? undefined
      : { numerator: "sum:good{*}.as_count()", denominator: "sum:all{*}.as_count()" },
    monitor_ids: i % 2 ? [1001] : undefined,
    creator: { email: "jane.doe@example.com", handle: "jane.doe@example.com", name: "Jane" },
    created_at: Math.floor(T0 / 1000) - i * 86400,
    modified_at: Math.floor(T0 / 1000),
  }));
  const incidents = Array.from({ length: 9 }, (_, i) => ({
    id: fakeId("aaaaaaaa", i + 1),
    type: "incidents",
    attributes: {
      public_id: i + 1,
      title: i === 8 ? `Outage ${ESCAPES}` : `Checkout errors ${i + 1}`,
      severity: `SEV-${(i % 4) + 1}`,
      state: i % 3 ? "resolved" : "active",
      customer_impacted: i % 2 === 0,
      created: iso(i),
      modified: iso(i),
      resolved: i % 3 ? iso(i) : null,
      fields: {},
    },
    relationships: {},
  }));
  const tests = Array.from({ length: 8 }, (_, i) => ({
    public_id: `syn-tst-${String(i + 1).padStart(3, "0")}`,
    name: i === 7 ? `Test ${ESCAPES}` : `Homepage check ${i + 1}`,
    type: i % 2 ? "browser" : "api",
    subtype: i % 2 ? undefined : "http",
    status: i % 3 ? "live" : "paused",
    locations: ["aws:eu-west-1", "aws:us-east-1"],
    tags: ["env:prod"],
    monitor_id: 2001 + i,
    message: "",
    config: { request: { method: "GET", url: "https://example.com" }, assertions: [] },
    options: { tick_every: 300 },
  }));
  const rules = Array.from({ length: 7 }, (_, i) => ({
    id: `rul-${String(i + 1).padStart(3, "0")}`,
    name: i === 6 ? `Rule ${ESCAPES}` : `AWS root login ${i + 1}`,
    type: i % 2 ? "workload_security" : "log_detection",
    isEnabled: i % 3 !== 0,
    isDefault: true,
    createdAt: T0 - i * 86_400_000,
    creationAuthorId: 0,
    queries: [{ query: "source:cloudtrail", aggregation: "count" }],
    cases: [{ status: "high", condition: "a > 0" }],
    options: {},
    message: "Root login detected",
    tags: ["source:cloudtrail"],
    version: 1,
  }));
  const signals = Array.from({ length: 12 }, (_, i) => ({
    id: `AAAAAYsig${String(i).padStart(4, "0")}`,
    type: "signal",
    attributes: {
      timestamp: new Date(fake.now() - i * 60_000).toISOString(),
      message: i === 11 ? `Signal ${ESCAPES}` : `Root login from a new country ${i}`,
      tags: [`status:${i % 2 ? "high" : "low"}`, "source:cloudtrail"],
      custom: { workflow: { rule: { id: "rul-001" } } },
    },
  }));
  const apps = Array.from({ length: 3 }, (_, i) => ({
    id: fakeId("rumapp00", i + 1),
    type: "rum_application",
    attributes: {
      application_id: fakeId("rumapp00", i + 1),
      name: i === 2 ? `App ${ESCAPES}` : `shop-${["web", "ios"][i]}`,
      type: ["browser", "ios", "browser"][i],
      client_token: `pub${"0".repeat(29)}${i}`,
      created_at: T0 - i * 86_400_000,
      updated_at: T0,
      created_by_handle: "jane.doe@example.com",
      org_id: 321813,
      hash: "abc",
      is_active: true,
    },
  }));
  const hosts = Array.from({ length: 11 }, (_, i) => ({
    id: 5000 + i,
    name: `web-${i + 1}`,
    host_name: i === 10 ? `host-${ESCAPES}` : `web-${i + 1}`,
    aliases: [`web-${i + 1}.example.com`],
    apps: ["agent", "nginx"],
    sources: ["agent"],
    up: i % 4 !== 3,
    is_muted: false,
    last_reported_time: Math.floor(T0 / 1000) - i * 60,
    meta: { platform: "linux" },
    tags_by_source: { Datadog: [`env:${i % 2 ? "staging" : "prod"}`] },
  }));
  const users = Array.from({ length: 9 }, (_, i) => ({
    id: fakeId("00000000", 100 + i),
    type: "users",
    attributes: {
      name: i === 8 ? `User ${ESCAPES}` : `User ${i + 1}`,
      handle: `user${i + 1}@example.com`,
      email: `user${i + 1}@example.com`,
      status: i % 4 === 3 ? "Pending" : "Active",
      disabled: false,
      verified: true,
      service_account: false,
      created_at: iso(100 + i),
      modified_at: iso(i),
      title: null,
      icon: "",
    },
    relationships: { roles: { data: [] }, org: { data: { id: "org-1", type: "orgs" } } },
  }));
  const cases = Array.from({ length: 7 }, (_, i) => ({
    id: fakeId("cccccccc", i + 1),
    type: "case",
    attributes: {
      key: `CASE-${i + 1}`,
      title: i === 6 ? `Case ${ESCAPES}` : `Checkout failures ${i + 1}`,
      status: i % 2 ? "OPEN" : "CLOSED",
      priority: `P${(i % 5) + 1}`,
      type: "STANDARD",
      created_at: iso(i),
      modified_at: iso(i),
      description: "",
    },
  }));
  const events = Array.from({ length: 14 }, (_, i) => ({
    id: 7000 + i,
    id_str: String(7000 + i),
    title: i === 13 ? `Deploy ${ESCAPES}` : `Deployed web-store v${i + 1}`,
    text: "deploy finished",
    date_happened: Math.floor(fake.now() / 1000) - i * 120,
    priority: i % 3 ? "normal" : "low",
    source_type_name: i % 2 ? "jenkins" : "github",
    tags: [`env:${i % 2 ? "staging" : "prod"}`],
    alert_type: "info",
    host: "web-1",
    device_name: null,
    url: `/event/event?id=${7000 + i}`,
  }));
  return {
    dashboards,
    downtimes,
    slos,
    incidents,
    tests,
    rules,
    signals,
    apps,
    hosts,
    users,
    cases,
    events,
  };
}

type Seed = ReturnType<typeof seed>;
const seeds = new WeakMap<Fake, Seed>();

/** The fake's catalog data (made once per fake, then changed by writes). */
export function catalogOf(fake: Fake): Seed {
  let s = seeds.get(fake);
  if (!s) seeds.set(fake, s = seed(fake));
  return s;
}
