/**
 * @module
 * The routes of the fake's catalog families (see `catalog.ts` for the data), with Datadog's
 * answer shapes and paging parameters.
 */
import type { Hono } from "hono";
import type { Fake } from "./core.ts";
import { catalogOf } from "./catalog.ts";
import { apiError, byOffset, byPage, cursorPage, objectBody, parseApiTime } from "./paging.ts";
import type { C, Env } from "./types.ts";

const q = (c: C, k: string) => c.req.query(k);

/** A JSON object body, or Datadog's 400. */
function bodyOr400(c: C): Record<string, unknown> | Response {
  const b = objectBody(c.var.body);
  return b && Object.keys(b).length ? b : apiError(c, 400, "Invalid JSON body: expected an object");
}

function v1Routes(app: Hono<Env>, fake: Fake): void {
  const data = () => catalogOf(fake);
  app.get("/api/v1/dashboard", (c) => {
    const r = byOffset(data().dashboards, q(c, "start"), q(c, "count"), 100, 1000, [
      "start",
      "count",
    ]);
    if (typeof r === "string") return apiError(c, 400, r);
    return c.json({ dashboards: r });
  });
  app.get("/api/v1/dashboard/:id", (c) => {
    const d = data().dashboards.find((x) => x.id === c.req.param("id"));
    return d ? c.json({ ...d, widgets: [] }) : apiError(c, 404, "Dashboard not found");
  });
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
  app.put("/api/v1/dashboard/:id", (c) => {
    const list = data().dashboards;
    const i = list.findIndex((x) => x.id === c.req.param("id"));
    if (i < 0) return apiError(c, 404, "Dashboard not found");
    const b = bodyOr400(c);
    if (b instanceof Response) return b;
    list[i] = { ...list[i], ...b, id: list[i].id } as never;
    return c.json(list[i]);
  });
  app.delete("/api/v1/dashboard/:id", (c) => {
    const list = data().dashboards;
    const i = list.findIndex((x) => x.id === c.req.param("id"));
    if (i < 0) return apiError(c, 404, "Dashboard not found");
    return c.json({ deleted_dashboard_id: list.splice(i, 1)[0].id });
  });

  app.get("/api/v1/slo", (c) => {
    let list = data().slos;
    const query = q(c, "query");
    if (query) list = list.filter((s) => s.name.toLowerCase().includes(query.toLowerCase()));
    const tq = q(c, "tags_query");
    if (tq) list = list.filter((s) => s.tags.includes(tq));
    const r = byOffset(list, q(c, "offset"), q(c, "limit"), 1000, 1000, ["offset", "limit"]);
    if (typeof r === "string") return apiError(c, 400, r);
    return c.json({
      data: r,
      errors: null,
      metadata: { page: { total_count: list.length, total_filtered_count: list.length } },
    });
  });
  app.get("/api/v1/slo/:id", (c) => {
    const s = data().slos.find((x) => x.id === c.req.param("id"));
    return s ? c.json({ data: s, errors: null }) : apiError(c, 404, "slo not found");
  });
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
  app.put("/api/v1/slo/:id", (c) => {
    const list = data().slos;
    const i = list.findIndex((x) => x.id === c.req.param("id"));
    if (i < 0) return apiError(c, 404, "slo not found");
    const b = bodyOr400(c);
    if (b instanceof Response) return b;
    list[i] = { ...list[i], ...b, id: list[i].id } as never;
    return c.json({ data: [list[i]], error: null });
  });
  app.delete("/api/v1/slo/:id", (c) => {
    const list = data().slos;
    const i = list.findIndex((x) => x.id === c.req.param("id"));
    if (i < 0) return apiError(c, 404, "slo not found");
    return c.json({ data: [list.splice(i, 1)[0].id], errors: {} });
  });

  app.get("/api/v1/synthetics/tests", (c) => {
    const r = byPage(data().tests, q(c, "page_number"), q(c, "page_size"), 100, 100, [
      "page_number",
      "page_size",
    ]);
    if (typeof r === "string") return apiError(c, 400, r);
    return c.json({ tests: r });
  });
  app.get("/api/v1/synthetics/tests/:id", (c) => {
    const t = data().tests.find((x) => x.public_id === c.req.param("id"));
    return t ? c.json(t) : apiError(c, 404, "Synthetics test not found");
  });

  app.get("/api/v1/hosts", (c) => {
    let list = data().hosts;
    const filter = q(c, "filter");
    if (filter) {
      list = list.filter((h) =>
        h.host_name.includes(filter) || h.tags_by_source.Datadog.includes(filter)
      );
    }
    const r = byOffset(list, q(c, "start"), q(c, "count"), 100, 1000, ["start", "count"]);
    if (typeof r === "string") return apiError(c, 400, r);
    return c.json({ host_list: r, total_matching: list.length, total_returned: r.length });
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
    const b = objectBody(c.var.body);
    if (!b) return apiError(c, 400, "Invalid JSON body: expected an object");
    const filter = (b.filter ?? {}) as Record<string, unknown>;
    const t = fake.now();
    const from = parseApiTime(filter.from ?? "now-15m", t);
    const to = parseApiTime(filter.to ?? "now", t);
    if (from === null || to === null) return apiError(c, 400, "Invalid filter.from or filter.to");
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
  const one = <T extends { id: string }>(path: string, list: () => T[], what: string) =>
    app.get(`${path}/:id`, (c) => {
      const x = list().find((i) => i.id === c.req.param("id"));
      return x ? c.json({ data: x }) : apiError(c, 404, `${what} not found`);
    });

  app.get("/api/v2/downtime", (c) => {
    let list = data().downtimes;
    if (q(c, "current_only") === "true") {
      list = list.filter((d) => d.attributes.status === "active");
    }
    const r = byOffset(list, q(c, "page[offset]"), q(c, "page[limit]"), 30, 100, [
      "page[offset]",
      "page[limit]",
    ]);
    if (typeof r === "string") return apiError(c, 400, r);
    return c.json({ data: r, meta: { page: { total_filtered_count: list.length } } });
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

  app.get("/api/v2/incidents", (c) => {
    let list = data().incidents;
    const query = q(c, "query");
    if (query) {
      list = list.filter((i) => i.attributes.title.toLowerCase().includes(query.toLowerCase()));
    }
    const r = byOffset(list, q(c, "page[offset]"), q(c, "page[size]"), 10, 100, [
      "page[offset]",
      "page[size]",
    ]);
    if (typeof r === "string") return apiError(c, 400, r);
    const offset = Number(q(c, "page[offset]") ?? 0);
    return c.json({
      data: r,
      included: [],
      meta: { pagination: { offset, next_offset: offset + r.length, size: r.length } },
    });
  });
  one("/api/v2/incidents", () => data().incidents, "Incident");

  app.get("/api/v2/security_monitoring/rules", (c) => {
    let list = data().rules;
    const query = q(c, "query");
    if (query) list = list.filter((r) => r.name.toLowerCase().includes(query.toLowerCase()));
    const r = byPage(list, q(c, "page[number]"), q(c, "page[size]"), 10, 100, [
      "page[number]",
      "page[size]",
    ]);
    if (typeof r === "string") return apiError(c, 400, r);
    return c.json({
      data: r,
      meta: { page: { total_count: data().rules.length, total_filtered_count: list.length } },
    });
  });
  app.get("/api/v2/security_monitoring/rules/:id", (c) => {
    const r = data().rules.find((x) => x.id === c.req.param("id"));
    return r ? c.json(r) : apiError(c, 404, "Rule not found");
  });
  searchRoute(app, fake, "/api/v2/security_monitoring/signals/search", () => data().signals);

  app.get("/api/v2/rum/applications", (c) => c.json({ data: data().apps }));
  one("/api/v2/rum/applications", () => data().apps, "RUM application");

  app.get("/api/v2/users", (c) => {
    const list = data().users;
    const r = byPage(list, q(c, "page[number]"), q(c, "page[size]"), 10, 100, [
      "page[number]",
      "page[size]",
    ]);
    if (typeof r === "string") return apiError(c, 400, r);
    return c.json({
      data: r,
      included: [],
      meta: { page: { total_count: list.length, total_filtered_count: list.length } },
    });
  });
  one("/api/v2/users", () => data().users, "User");
  app.get("/api/v2/current_user", (c) => c.json({ data: data().users[0], included: [] }));

  app.get("/api/v2/cases", (c) => {
    let list = data().cases;
    const filter = q(c, "filter");
    if (filter) {
      list = list.filter((x) => x.attributes.title.toLowerCase().includes(filter.toLowerCase()));
    }
    const r = byPage(list, q(c, "page[number]"), q(c, "page[size]"), 10, 100, [
      "page[number]",
      "page[size]",
    ]);
    if (typeof r === "string") return apiError(c, 400, r);
    return c.json({
      data: r,
      meta: {
        page: { current: Number(q(c, "page[number]") ?? 0), size: r.length, total: list.length },
      },
    });
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
