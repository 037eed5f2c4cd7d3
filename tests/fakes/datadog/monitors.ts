/**
 * @module
 * The fake's monitors: v1 list (name, tags, page/page_size), get, search, create, update and
 * delete, on a per-fake copy of the seeded monitors.
 */
import type { Hono } from "hono";
import type { Fake } from "./core.ts";
import { apiError, byPage, intParam } from "./paging.ts";
import { deleteRoute, getRoute, updateRoute } from "./routes.ts";
import type { Env } from "./types.ts";

// ---------------------------------------------------------------------------------------------
// Seed data

/** A monitor as `GET /api/v1/monitor` returns it. */
export interface Monitor {
  id: number;
  name: string;
  type: string;
  query: string;
  message: string;
  tags: string[];
  options: Record<string, unknown>;
  overall_state: string;
  overall_state_modified: string;
  created: string;
  modified: string;
  creator: { email: string; handle: string; name: string };
  priority: number | null;
  multi: boolean;
  org_id: number;
  restricted_roles: null;
  deleted: null;
}

/** The seeded monitors; the last one's name and message carry terminal escape sequences. */
export function seedMonitors(): Monitor[] {
  const creator = { email: "jane.doe@example.com", handle: "jane.doe@example.com", name: "Jane" };
  const base = (
    id: number,
    name: string,
    type: string,
    query: string,
    message: string,
    tags: string[],
    overall_state: string,
    priority: number | null,
  ): Monitor => ({
    id,
    name,
    type,
    query,
    message,
    tags,
    options: {
      notify_no_data: false,
      notify_audit: false,
      require_full_window: false,
      include_tags: true,
      new_group_delay: 60,
      thresholds: { critical: 90, warning: 80 },
    },
    overall_state,
    overall_state_modified: "2024-05-02T09:30:00+00:00",
    created: `2024-0${(id % 9) + 1}-15T10:00:00.000000+00:00`,
    modified: "2024-05-01T12:00:00.000000+00:00",
    creator,
    priority,
    multi: query.includes(" by "),
    org_id: 321813,
    restricted_roles: null,
    deleted: null,
  });
  return [
    base(
      1001,
      "High CPU on web hosts",
      "metric alert",
      "avg(last_5m):avg:system.cpu.user{role:web} by {host} > 90",
      "CPU above 90% on {{host.name}}. @slack-platform-alerts",
      ["team:platform", "env:prod", "service:web-store"],
      "Alert",
      2,
    ),
    base(
      1002,
      "Checkout latency p99 above SLO",
      "query alert",
      "avg(last_10m):p99:trace.http.request.duration{service:checkout,env:prod} > 2",
      "Checkout p99 latency is above 2s. @pagerduty-payments",
      ["team:payments", "env:prod", "service:checkout"],
      "OK",
      1,
    ),
    base(
      1003,
      "Error logs spike in payments",
      "log alert",
      'logs("service:payments status:error").index("*").rollup("count").last("5m") > 100',
      "More than 100 error logs in 5 minutes. @slack-payments",
      ["team:payments", "env:prod", "service:payments"],
      "Warn",
      2,
    ),
    base(
      1004,
      "Disk space low on db hosts",
      "metric alert",
      "avg(last_15m):avg:system.disk.in_use{role:db} by {host,device} > 0.9",
      "Disk {{device.name}} on {{host.name}} is over 90% full.",
      ["team:data", "env:prod"],
      "No Data",
      3,
    ),
    base(
      1005,
      "Staging API health check",
      "service check",
      '"http.can_connect".over("env:staging").by("url").last(3).count_by_status()',
      "The staging API is unreachable.",
      ["team:platform", "env:staging", "service:api"],
      "OK",
      null,
    ),
    base(
      1006,
      "Terminal \u001b[31mred\u001b[0m \u001b]0;pwned\u0007 injection monitor",
      "metric alert",
      "avg(last_5m):avg:system.load.1{*} > 10",
      "Escapes in a message \u001b[2J\u001b[H should be shown inert.",
      ["team:security", "env:prod"],
      "Alert",
      null,
    ),
  ];
}

const stores = new WeakMap<Fake, Monitor[]>();

/** The fake's monitors (the seed, then whatever tests create, update and delete). */
export function monitorsOf(fake: Fake): Monitor[] {
  let list = stores.get(fake);
  if (!list) stores.set(fake, list = seedMonitors());
  return list;
}

function parseMonitorBody(text: string): Record<string, unknown> | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return "Invalid JSON body";
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) return "Body must be an object";
  const b = v as Record<string, unknown>;
  for (const k of ["name", "type", "query"]) {
    if (typeof b[k] !== "string" || b[k] === "") return `Missing required field: ${k}`;
  }
  return b;
}

/** Registers the monitors routes (search before `/:id`). */
export function monitorsRoutes(app: Hono<Env>, fake: Fake): void {
  app.get("/api/v1/monitor", (c) => {
    const q = (k: string) => c.req.query(k);
    let monitors = monitorsOf(fake);
    const name = q("name");
    if (name) monitors = monitors.filter((m) => m.name.toLowerCase().includes(name.toLowerCase()));
    for (const param of ["monitor_tags", "tags"]) {
      const wanted = (q(param) ?? "").split(",").map((t) => t.trim()).filter((t) => t);
      monitors = monitors.filter((m) => wanted.every((t) => m.tags.includes(t)));
    }
    // Unpaged unless asked: then Datadog's page (0-based) and page_size, 100 by default.
    if (q("page_size") !== undefined || q("page") !== undefined) {
      const r = byPage(monitors, q("page"), q("page_size"), 100, 1000, ["page", "page_size"]);
      if (typeof r === "string") return apiError(c, 400, r);
      monitors = r;
    }
    return c.json(monitors);
  });

  // `query` is a small subset of the search syntax: words in the name, `status:`, `type:`, `tag:`.
  app.get("/api/v1/monitor/search", (c) => {
    const query = c.req.query("query") ?? "";
    const perPage = intParam(c.req.query("per_page"), 30, 1, 1000);
    const page = intParam(c.req.query("page"), 0, 0, 1e9);
    if (perPage === null || page === null) {
      return apiError(c, 400, "page must be >= 0 and per_page between 1 and 1000");
    }
    const terms = query.split(/\s+/).filter(Boolean);
    const matched = monitorsOf(fake).filter((m) =>
      terms.every((t) => {
        const [k, ...rest] = t.split(":");
        const v = rest.join(":").toLowerCase();
        if (k === "status") return m.overall_state.toLowerCase() === v;
        if (k === "type") return m.type.toLowerCase().startsWith(v);
        if (k === "tag") return m.tags.includes(rest.join(":"));
        return m.name.toLowerCase().includes(t.toLowerCase());
      })
    );
    const slice = matched.slice(page * perPage, page * perPage + perPage);
    return c.json({
      counts: { status: [], type: [], tag: [], muted: [] },
      metadata: {
        page,
        page_count: Math.ceil(matched.length / perPage),
        per_page: perPage,
        total_count: matched.length,
      },
      monitors: slice.map((m) => ({
        id: m.id,
        name: m.name,
        status: m.overall_state,
        type: m.type,
        tags: m.tags,
        classification: m.type.split(" ")[0],
        creator: m.creator,
        last_triggered_ts: null,
        metrics: [],
        notifications: [],
        org_id: m.org_id,
        overall_state_modified: m.overall_state_modified,
        quality_issues: [],
        scopes: [],
      })),
    });
  });

  const monitors = { list: () => monitorsOf(fake), notFound: "Monitor not found" };
  getRoute(app, "/api/v1/monitor", monitors);

  app.post("/api/v1/monitor", (c) => {
    const b = parseMonitorBody(c.var.body);
    if (typeof b === "string") return apiError(c, 400, b);
    const list = monitorsOf(fake);
    const id = Math.max(...list.map((m) => m.id), 1000) + 1;
    const base = seedMonitors()[0];
    const monitor = { ...base, tags: [], ...b, id, overall_state: "No Data" } as Monitor;
    list.push(monitor);
    return c.json(monitor);
  });

  updateRoute(app, "/api/v1/monitor", monitors, (c) => {
    const b = parseMonitorBody(c.var.body);
    return typeof b === "string" ? apiError(c, 400, b) : b;
  });

  deleteRoute(app, "/api/v1/monitor", monitors, (gone) => ({ deleted_monitor_id: gone.id }));
}
