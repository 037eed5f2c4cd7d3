/**
 * @module
 * The fake's logs: 40 seeded logs, the v2 search (query, time range, cursor paging) and the v2
 * aggregate.
 */
import type { Hono } from "hono";
import type { Fake } from "./core.ts";
import { apiError, objectBody, parseApiTime, searchRequest } from "./paging.ts";
import type { Env } from "./types.ts";

interface LogEntry {
  id: string;
  timestampMs: number;
  status: string;
  service: string;
  host: string;
  message: string;
  tags: string[];
}

const LOG_TEMPLATES: Array<[string, string, string, string]> = [
  ["info", "web-store", "web-1", "GET /cart 200 in 35ms"],
  ["error", "payments", "web-2", "payment declined: card_expired for order 8812"],
  ["warn", "checkout", "web-1", "slow upstream: inventory answered in 1450ms"],
  ["info", "api", "api-1", "user 42 signed in"],
  ["error", "checkout", "web-2", "timeout calling payments after 30000ms"],
  ["info", "payments", "web-1", "refund issued for order 8790"],
  ["info", "web-store", "web-2", "GET /product/17 200 in 12ms"],
  ["warn", "api", "api-1", "rate limit close for key ending 9f2a"],
  ["error", "web-store", "web-1", "template render failed: \u001b[31mnil\u001b[0m item"],
];

/** 40 logs, one every 45 s back from `nowMs` (so "now-15m" finds 20, "now-1h" all 40). */
function seedLogs(nowMs: number): LogEntry[] {
  const end = Math.floor(nowMs / 1000) * 1000;
  const logs: LogEntry[] = [];
  for (let i = 0; i < 40; i++) {
    const [status, service, host, message] = LOG_TEMPLATES[i % LOG_TEMPLATES.length];
    logs.push({
      id: "AQAAAZ" + btoa(`fake-log-${String(i).padStart(4, "0")}`).replace(/=+$/, ""),
      timestampMs: end - i * 45_000,
      status,
      service,
      host,
      message,
      tags: [`env:${i % 5 === 4 ? "staging" : "prod"}`, `service:${service}`, `host:${host}`],
    });
  }
  return logs;
}

function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(
    "^" + pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*") + "$",
    "i",
  );
  return re.test(value);
}

/** A small subset of Datadog's log search syntax: AND of `key:value` and words/phrases. */
function logMatches(query: string, log: LogEntry): boolean {
  const terms = query.match(/"[^"]*"|\S+/g) ?? [];
  return terms.every((term) => {
    if (term === "*") return true;
    if (term.startsWith('"')) {
      return log.message.toLowerCase().includes(term.slice(1, -1).toLowerCase());
    }
    const colon = term.indexOf(":");
    if (colon > 0) {
      const key = term.slice(0, colon);
      const value = term.slice(colon + 1);
      if (key === "service") return globMatch(value, log.service);
      if (key === "status") return globMatch(value, log.status);
      if (key === "host") return globMatch(value, log.host);
      return log.tags.some((t) => globMatch(`${key}:${value}`, t));
    }
    return log.message.toLowerCase().includes(term.toLowerCase());
  });
}

/** Registers the logs routes. */
export function logsRoutes(app: Hono<Env>, fake: Fake): void {
  app.post("/api/v2/logs/events/search", (c) => {
    const body = objectBody(c.var.body);
    if (!body) return apiError(c, 400, "Invalid JSON body: expected an object");
    const filter = (body.filter ?? {}) as Record<string, unknown>;
    const pageIn = (body.page ?? {}) as Record<string, unknown>;
    const t = fake.now();
    const from = parseApiTime(filter.from ?? "now-15m", t);
    const to = parseApiTime(filter.to ?? "now", t);
    if (from === null) return c.json({ errors: ["Invalid filter.from"] }, 400);
    if (to === null) return c.json({ errors: ["Invalid filter.to"] }, 400);
    const limit = pageIn.limit === undefined ? 10 : Number(pageIn.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 5000) {
      return c.json({ errors: ["page.limit must be an integer between 1 and 5000"] }, 400);
    }
    let offset = 0;
    if (pageIn.cursor !== undefined) {
      const m = typeof pageIn.cursor === "string"
        ? /^fake-cursor-(\d+)$/.exec(safeAtob(pageIn.cursor))
        : null;
      if (!m) return c.json({ errors: ["Invalid page.cursor"] }, 400);
      offset = Number(m[1]);
    }
    const query = typeof filter.query === "string" ? filter.query : "*";
    const matched = seedLogs(t)
      .filter((l) => l.timestampMs >= from && l.timestampMs <= to && logMatches(query, l))
      .sort((a, b) =>
        body.sort === "timestamp" ? a.timestampMs - b.timestampMs : b.timestampMs - a.timestampMs
      );
    const cap = fake.knobs.pageCap["/api/v2/logs/events/search"];
    const take = cap ? Math.min(limit, cap) : limit;
    const slice = matched.slice(offset, offset + take);
    const more = offset + take < matched.length;
    const after = more ? btoa(`fake-cursor-${offset + take}`) : undefined;
    return c.json({
      data: slice.map((l) => ({
        id: l.id,
        type: "log",
        attributes: {
          timestamp: new Date(l.timestampMs).toISOString(),
          status: l.status,
          service: l.service,
          message: l.message,
          host: l.host,
          tags: l.tags,
          attributes: {},
        },
      })),
      meta: {
        elapsed: 12,
        request_id: "fake-" + crypto.randomUUID(),
        status: "done",
        page: after ? { after } : {},
      },
      ...(after
        ? {
          links: { next: `${new URL(c.req.url).origin}/api/v2/logs/events?page[cursor]=${after}` },
        }
        : {}),
    });
  });
}

function safeAtob(s: string): string {
  try {
    return atob(s);
  } catch {
    return "";
  }
}

/** `POST /api/v2/logs/analytics/aggregate`: counts (or a measure) per group of facets. */
export function logsAggregateRoute(app: Hono<Env>, fake: Fake): void {
  app.post("/api/v2/logs/analytics/aggregate", (c) => {
    const t = fake.now();
    const search = searchRequest(c, t);
    if (search instanceof Response) return search;
    const { body, filter, from, to } = search;
    const query = typeof filter.query === "string" ? filter.query : "*";
    const logs = seedLogs(t).filter((l) =>
      l.timestampMs >= from && l.timestampMs <= to && logMatches(query, l)
    );
    const compute = Array.isArray(body.compute) ? body.compute : [{ aggregation: "count" }];
    for (const cmp of compute as Record<string, unknown>[]) {
      if (cmp.aggregation !== "count") {
        return apiError(c, 400, `unsupported aggregation ${String(cmp.aggregation)}`);
      }
    }
    const facets = (Array.isArray(body.group_by) ? body.group_by : []) as { facet?: string }[];
    const keyOf = (l: LogEntry) =>
      facets.map((f) => String((l as unknown as Record<string, unknown>)[f.facet ?? ""] ?? "N/A"));
    const groups = new Map<string, { by: Record<string, string>; n: number }>();
    for (const l of logs) {
      const values = keyOf(l);
      const k = values.join("\u0000");
      const g = groups.get(k) ??
        { by: Object.fromEntries(facets.map((f, i) => [f.facet ?? "", values[i]])), n: 0 };
      g.n++;
      groups.set(k, g);
    }
    const buckets = [...groups.values()].sort((a, b) => b.n - a.n).map((g) => ({
      by: g.by,
      computes: Object.fromEntries(compute.map((_, i) => [`c${i}`, g.n])),
    }));
    return c.json({
      data: { buckets },
      meta: { elapsed: 7, request_id: "fake-" + crypto.randomUUID(), status: "done" },
    });
  });
}
