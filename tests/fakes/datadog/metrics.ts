/**
 * @module
 * The fake's metrics: the v1 timeseries query (a sine per group) and the v1 active metrics list.
 */
import type { Hono } from "hono";
import type { Fake } from "./core.ts";
import type { Env } from "./types.ts";

/** Registers the metrics routes. */
export function metricsRoutes(app: Hono<Env>, _fake: Fake): void {
  app.get("/api/v1/query", (c) => {
    const query = c.req.query("query");
    const fromS = c.req.query("from");
    const toS = c.req.query("to");
    if (!fromS || !toS) {
      return c.json({ errors: ["Parameters 'from' and 'to' are required"] }, 400);
    }
    if (!query) return c.json({ errors: ["Parameter 'query' is required"] }, 400);
    const from = Number(fromS);
    const to = Number(toS);
    if (!Number.isInteger(from) || !Number.isInteger(to) || from >= to) {
      return c.json({ errors: ["'from' and 'to' must be epoch seconds with from < to"] }, 400);
    }
    const m =
      /^\s*(?:(avg|sum|min|max|count):)?([A-Za-z0-9_.]+)\{([^}]*)\}(?:\s*by\s*\{([^}]*)\})?\s*$/
        .exec(query);
    if (!m) return c.json({ errors: [`Error parsing query: ${query}`] }, 400);
    const [, aggr, metric, scopeIn, byIn] = m;
    const scopeTags = scopeIn.split(",").map((s) => s.trim()).filter((s) => s && s !== "*");
    const groupKeys = (byIn ?? "").split(",").map((s) => s.trim()).filter((s) => s);
    const groups: string[][] = groupKeys.length
      ? [1, 2].map((n) =>
        groupKeys.map((k) => `${k}:${k === "host" ? `web-${n}` : `${k}-${"ab"[n - 1]}`}`)
      )
      : [[]];
    const interval = Math.max(1, Math.ceil((to - from) / 100));
    const series = groups.map((tagSet, idx) => {
      const pointlist: Array<[number, number]> = [];
      for (let s = Math.ceil(from / interval) * interval; s <= to; s += interval) {
        const v = 50 + 25 * Math.sin((s / 3600) * 2 * Math.PI + idx);
        pointlist.push([s * 1000, Math.round(v * 1000) / 1000]);
      }
      const scopeList = [...scopeTags, ...tagSet];
      const scope = scopeList.length ? scopeList.join(",") : "*";
      return {
        metric,
        display_name: metric,
        pointlist,
        scope,
        expression: tagSet.length ? `${aggr ? aggr + ":" : ""}${metric}{${scope}}` : query.trim(),
        tag_set: tagSet,
        unit: null,
        aggr: aggr ?? null,
        start: pointlist.length ? pointlist[0][0] : from * 1000,
        end: pointlist.length ? pointlist[pointlist.length - 1][0] : to * 1000,
        interval,
        length: pointlist.length,
        attributes: {},
        query_index: 0,
      };
    });
    return c.json({
      status: "ok",
      res_type: "time_series",
      resp_version: 1,
      query,
      message: "",
      group_by: groupKeys,
      from_date: from * 1000,
      to_date: to * 1000,
      series,
      values: [],
      times: [],
    });
  });
}

/** The metric names the fake reports as active. */
export const ACTIVE_METRICS = [
  "system.cpu.user",
  "system.cpu.idle",
  "system.load.1",
  "system.disk.in_use",
  "trace.http.request.duration",
  "checkout.orders.count",
];

/** `GET /api/v1/metrics?from=`: metrics active since `from` (epoch seconds, required). */
export function metricsListRoute(app: Hono<Env>): void {
  app.get("/api/v1/metrics", (c) => {
    const from = c.req.query("from");
    if (!from || !/^\d+$/.test(from)) {
      return c.json({ errors: ["Parameter 'from' is required (epoch seconds)"] }, 400);
    }
    const host = c.req.query("host");
    const metrics = host && host !== "web-1" ? [] : ACTIVE_METRICS;
    return c.json({ from, metrics });
  });
}
