/**
 * @module
 * The routes of the fake's catalog families (see `catalog.ts` for the data), with Datadog's
 * answer shapes and paging parameters.
 */
import type { Hono } from "hono";
import type { Fake } from "./core.ts";
import { catalogOf } from "./catalog.ts";
import { apiError, byPage, cursorPage, objectBody, searchRequest } from "./paging.ts";
import { containing, deleteRoute, getRoute, listRoute, updateRoute } from "./routes.ts";
import type { C, Env } from "./types.ts";

const q = (c: C, k: string) => c.req.query(k);

/** A JSON object body, or Datadog's 400. */
function bodyOr400(c: C): Record<string, unknown> | Response {
  const b = objectBody(c.var.body);
  return b && Object.keys(b).length ? b : apiError(c, 400, "Invalid JSON body: expected an object");
}

function v1Routes(app: Hono<Env>, fake: Fake): void {
  const data = () => catalogOf(fake);
  const dashboards = { list: () => data().dashboards, notFound: "Dashboard not found" };
  listRoute(app, "/api/v1/dashboard", {
    select: () => data().dashboards,
    by: "offset",
    params: ["start", "count"],
    size: [100, 1000],
    answer: (r) => ({ dashboards: r }),
  });
  getRoute(app, "/api/v1/dashboard", dashboards, (d) => ({ ...d, widgets: [] }));
  app.post("/api/v1/dashboard", (c) => {
    const b = bodyOr400(c);
    if (b instanceof Response) return b;
    if (typeof b.title !== "string" || !Array.isArray(b.widgets) || !b.layout_type) {
      return apiError(c, 400, "Missing required field: title, widgets or layout_type");
    }
    const d = { ...data().dashboards[0], ...b, id: `new-${data().dashboards.length + 1}` };
    data().dashboards.push(d as never);
    return c.json(d);
  });
  updateRoute(app, "/api/v1/dashboard", dashboards, bodyOr400);
  deleteRoute(app, "/api/v1/dashboard", dashboards, (d) => ({ deleted_dashboard_id: d.id }));

  const slos = { list: () => data().slos, notFound: "slo not found" };
  listRoute(app, "/api/v1/slo", {
    select: (c) => {
      const list = containing(data().slos, q(c, "query"), (s) => s.name);
      const tq = q(c, "tags_query");
      return tq ? list.filter((s) => s.tags.includes(tq)) : list;
    },
    by: "offset",
    params: ["offset", "limit"],
    size: [1000, 1000],
    answer: (r, list) => ({
      data: r,
      errors: null,
      metadata: { page: { total_count: list.length, total_filtered_count: list.length } },
    }),
  });
  getRoute(app, "/api/v1/slo", slos, (s) => ({ data: s, errors: null }));
  app.post("/api/v1/slo", (c) => {
    const b = bodyOr400(c);
    if (b instanceof Response) return b;
    if (typeof b.name !== "string" || !Array.isArray(b.thresholds) || !b.type) {
      return apiError(c, 400, "Missing required field: name, thresholds or type");
    }
    const s = { ...data().slos[0], ...b, id: String(data().slos.length + 1).padStart(32, "b") };
    data().slos.push(s as never);
    return c.json({ data: [s], error: null });
  });
  updateRoute(app, "/api/v1/slo", slos, bodyOr400, (s) => ({ data: [s], error: null }));
  deleteRoute(app, "/api/v1/slo", slos, (s) => ({ data: [s.id], errors: {} }));

  listRoute(app, "/api/v1/synthetics/tests", {
    select: () => data().tests,
    by: "page",
    params: ["page_number", "page_size"],
    size: [100, 100],
    answer: (r) => ({ tests: r }),
  });
  getRoute(app, "/api/v1/synthetics/tests", {
    list: () => data().tests,
    key: (t) => t.public_id,
    notFound: "Synthetics test not found",
  });

  listRoute(app, "/api/v1/hosts", {
    select: (c) => {
      const filter = q(c, "filter");
      return filter
        ? data().hosts.filter((h) =>
          h.host_name.includes(filter) || h.tags_by_source.Datadog.includes(filter)
        )
        : data().hosts;
    },
    by: "offset",
    params: ["start", "count"],
    size: [100, 1000],
    answer: (r, list) => ({ host_list: r, total_matching: list.length, total_returned: r.length }),
  });

  app.get("/api/v1/events", (c) => {
    const start = Number(q(c, "start"));
    const end = Number(q(c, "end"));
    if (!/^\d+$/.test(q(c, "start") ?? "") || !/^\d+$/.test(q(c, "end") ?? "")) {
      return apiError(c, 400, "Parameters 'start' and 'end' are required (epoch seconds)");
    }
    let list = data().events.filter((e) => e.date_happened >= start && e.date_happened <= end);
    const sources = q(c, "sources")?.split(",");
    if (sources) list = list.filter((e) => sources.includes(e.source_type_name));
    const tags = q(c, "tags")?.split(",");
    if (tags) list = list.filter((e) => tags.every((t) => e.tags.includes(t)));
    const r = byPage(list, q(c, "page"), undefined, 1000, 1000, ["page", "page_size"]);
    if (typeof r === "string") return apiError(c, 400, r);
    return c.json({ events: r, status: "ok" });
  });

  app.get("/api/v1/usage/summary", (c) => {
    const start = q(c, "start_month");
    if (!start || !/^\d{4}-\d{2}/.test(start)) {
      return apiError(c, 400, "start_month is required, as YYYY-MM");
    }
    const end = q(c, "end_month");
    const first = new Date(`${start.slice(0, 7)}-01T00:00:00Z`);
    const last = end ? new Date(`${end.slice(0, 7)}-01T00:00:00Z`) : first;
    const usage = [];
    for (
      let d = first;
      d <= last;
      d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1))
    ) {
      const n = d.getUTCMonth() + 1;
      usage.push({
        date: d.toISOString(),
        infra_host_top99p: 40 + n,
        apm_host_top99p: 10 + n,
        indexed_events_count_sum: 1_000_000 * n,
        custom_ts_avg: 200 + n,
        orgs: [],
      });
    }
    return c.json({ start_date: first.toISOString(), end_date: last.toISOString(), usage });
  });
}

/** A v2 cursor search over `items` by `filter.query` words and tags; `cap` caps the page. */
function searchRoute(
  app: Hono<Env>,
  fake: Fake,
  path: string,
  items: () => { attributes: { timestamp: string; message?: string; tags: string[] } }[],
): void {
  app.post(path, (c) => {
    const search = searchRequest(c, fake.now());
    if (search instanceof Response) return search;
    const { body: b, filter, from, to } = search;
    const terms = (typeof filter.query === "string" ? filter.query : "*").split(/\s+/)
      .filter((w) => w && w !== "*");
    const matched = items().filter((e) => {
      const ms = Date.parse(e.attributes.timestamp);
      return ms >= from && ms <= to &&
        terms.every((w) =>
          e.attributes.tags.includes(w) || (e.attributes.message ?? "").includes(w)
        );
    }).sort((x, y) =>
      b.sort === "timestamp"
        ? x.attributes.timestamp.localeCompare(y.attributes.timestamp)
        : y.attributes.timestamp.localeCompare(x.attributes.timestamp)
    );
    const page = { ...(b.page ?? {}) as Record<string, unknown> };
    const cap = fake.knobs.pageCap[path];
    if (cap && Number(page.limit ?? 10) > cap) page.limit = cap;
    const r = cursorPage(matched, page, 10, 1000);
    if (typeof r === "string") return apiError(c, 400, r);
    return c.json({
      data: r.slice,
      links: r.after ? { next: `${new URL(c.req.url).origin}${path}?page[cursor]=${r.after}` } : {},
      meta: {
        elapsed: 5,
        request_id: "fake-" + crypto.randomUUID(),
        status: "done",
        page: r.after ? { after: r.after } : {},
      },
    });
  });
}

function v2Routes(app: Hono<Env>, fake: Fake): void {
  const data = () => catalogOf(fake);
  /** `GET path/:id` answered as `{ data }`. */
  const one = <T extends { id: string }>(path: string, list: () => T[], what: string) =>
    getRoute(app, path, { list, notFound: `${what} not found` }, (x) => ({ data: x }));

  listRoute(app, "/api/v2/downtime", {
    select: (c) =>
      q(c, "current_only") === "true"
        ? data().downtimes.filter((d) => d.attributes.status === "active")
        : data().downtimes,
    by: "offset",
    params: ["page[offset]", "page[limit]"],
    size: [30, 100],
    answer: (r, list) => ({ data: r, meta: { page: { total_filtered_count: list.length } } }),
  });
  one("/api/v2/downtime", () => data().downtimes, "Downtime");
  app.post("/api/v2/downtime", (c) => {
    const b = objectBody(c.var.body) as {
      data?: { type?: string; attributes?: Record<string, unknown> };
    } | null;
    if (!b?.data || b.data.type !== "downtime" || !b.data.attributes?.scope) {
      return apiError(c, 400, "data.type must be downtime and data.attributes.scope is required");
    }
    const d = structuredClone(data().downtimes[1]);
    d.id = `new-downtime-${data().downtimes.length + 1}`;
    Object.assign(d.attributes, b.data.attributes);
    data().downtimes.push(d);
    return c.json({ data: d });
  });
  app.delete("/api/v2/downtime/:id", (c) => {
    const d = data().downtimes.find((x) => x.id === c.req.param("id"));
    if (!d) return apiError(c, 404, "Downtime not found");
    d.attributes.status = "canceled";
    return c.body(null, 204);
  });

  listRoute(app, "/api/v2/incidents", {
    select: (c) => containing(data().incidents, q(c, "query"), (i) => i.attributes.title),
    by: "offset",
    params: ["page[offset]", "page[size]"],
    size: [10, 100],
    answer: (r, _, c) => {
      const offset = Number(q(c, "page[offset]") ?? 0);
      return {
        data: r,
        included: [],
        meta: { pagination: { offset, next_offset: offset + r.length, size: r.length } },
      };
    },
  });
  one("/api/v2/incidents", () => data().incidents, "Incident");

  listRoute(app, "/api/v2/security_monitoring/rules", {
    select: (c) => containing(data().rules, q(c, "query"), (r) => r.name),
    by: "page",
    params: ["page[number]", "page[size]"],
    size: [10, 100],
    answer: (r, list) => ({
      data: r,
      meta: { page: { total_count: data().rules.length, total_filtered_count: list.length } },
    }),
  });
  getRoute(app, "/api/v2/security_monitoring/rules", {
    list: () => data().rules,
    notFound: "Rule not found",
  });
  searchRoute(app, fake, "/api/v2/security_monitoring/signals/search", () => data().signals);

  app.get("/api/v2/rum/applications", (c) => c.json({ data: data().apps }));
  one("/api/v2/rum/applications", () => data().apps, "RUM application");

  listRoute(app, "/api/v2/users", {
    select: () => data().users,
    by: "page",
    params: ["page[number]", "page[size]"],
    size: [10, 100],
    answer: (r, list) => ({
      data: r,
      included: [],
      meta: { page: { total_count: list.length, total_filtered_count: list.length } },
    }),
  });
  one("/api/v2/users", () => data().users, "User");
  app.get("/api/v2/current_user", (c) => c.json({ data: data().users[0], included: [] }));

  listRoute(app, "/api/v2/cases", {
    select: (c) => containing(data().cases, q(c, "filter"), (x) => x.attributes.title),
    by: "page",
    params: ["page[number]", "page[size]"],
    size: [10, 100],
    answer: (r, list, c) => ({
      data: r,
      meta: {
        page: { current: Number(q(c, "page[number]") ?? 0), size: r.length, total: list.length },
      },
    }),
  });
  one("/api/v2/cases", () => data().cases, "Case");

  searchRoute(app, fake, "/api/v2/events/search", () =>
    data().events.map((e) => ({
      id: `AAAAAYev${e.id}`,
      type: "event",
      attributes: {
        timestamp: new Date(e.date_happened * 1000).toISOString(),
        message: e.text,
        tags: [...e.tags, `source:${e.source_type_name}`],
        attributes: { title: e.title, priority: e.priority, status: "info" },
      },
    })));

  app.get("/api/v2/apm/services", (c) => {
    const env = q(c, "filter[env]");
    if (!env) return apiError(c, 400, "filter[env] is required");
    const services = env === "prod" ? ["checkout", "payments", "web-store"] : [];
    return c.json({ data: { id: "services", type: "services_list", attributes: { services } } });
  });
}

/** Registers the catalog families' routes. */
export function catalogRoutes(app: Hono<Env>, fake: Fake): void {
  v1Routes(app, fake);
  v2Routes(app, fake);
}
