/**
 * @module
 * A fake Datadog for pup's tests and benchmarks: Dynamic Client Registration, the authorize page
 * (which approves at once), the token endpoint (PKCE, refresh-token rotation with reuse
 * detection), optional RFC 8414 metadata, revocation and device login, and the API families
 * pup's commands call, with Datadog's response shapes, scope checks and paging. It is strict
 * where Datadog is, so a client that passes against it speaks the wire protocol of CONTRACT.md
 * §2–§3; its knobs inject the failures a client must survive. Every request is recorded so
 * tests can assert what went over the wire.
 *
 * This module assembles the parts under `datadog/` (one file per endpoint family) and is the
 * one every test imports.
 */
import { Hono } from "hono";
import { serveHttp } from "../../lib/runtime/serve.ts";
import { answer } from "./network.ts";
import { createFakeDatadogCore, type Fake, splitScopes } from "./datadog/core.ts";
import { oauthRoutes } from "./datadog/oauth.ts";
import { monitorsRoutes } from "./datadog/monitors.ts";
import { logsAggregateRoute, logsRoutes } from "./datadog/logs.ts";
import { metricsListRoute, metricsRoutes } from "./datadog/metrics.ts";
import { catalogRoutes } from "./datadog/catalog_routes.ts";
import { scopeFor } from "./datadog/scopes.ts";
import type { Env, FakeDatadog, FakeDatadogCore, FakeDatadogOptions } from "./datadog/types.ts";

export type * from "./datadog/types.ts";
export {
  createFakeDatadogCore,
  DEFAULT_SCOPES,
  EXPECTED_DCR,
  oauthMetadata,
  s256,
} from "./datadog/core.ts";
export { type Monitor, monitorsOf, seedMonitors } from "./datadog/monitors.ts";
export { catalogOf, ESCAPES } from "./datadog/catalog.ts";
export { API_SCOPES, scopeFor } from "./datadog/scopes.ts";

/** Records every request, then applies delays, canned failures and rate limits, in that order. */
function recorder(app: Hono<Env>, fake: Fake): void {
  const { knobs } = fake;
  app.use("*", async (c, next) => {
    const body = await c.req.text();
    c.set("body", body);
    const url = new URL(c.req.url);
    fake.requests.push({
      method: c.req.method,
      path: url.pathname,
      url: c.req.url,
      headers: Object.fromEntries(c.req.raw.headers),
      body,
      at: Date.now(),
    });
    const delay = knobs.delayMs[url.pathname];
    if (delay && delay > 0) await fake.sleep(delay);

    const i = knobs.failNext.findIndex((r) =>
      r.path === url.pathname && (!r.method || r.method.toUpperCase() === c.req.method)
    );
    if (i >= 0) {
      const rule = knobs.failNext[i];
      const left = (rule.times ?? 1) - 1;
      if (left <= 0) knobs.failNext.splice(i, 1);
      else rule.times = left;
      const defaultBody = url.pathname.startsWith("/oauth2/")
        ? JSON.stringify({ error: "server_error", error_description: "injected failure" })
        : JSON.stringify({ errors: ["Injected failure"] });
      return new Response(rule.body ?? defaultBody, {
        status: rule.status,
        headers: { "content-type": "application/json", ...rule.headers },
      });
    }

    const isApi = url.pathname.startsWith("/api/") && url.pathname !== "/api/v2/oauth2/register";
    if (isApi && knobs.rateLimitNext > 0) {
      knobs.rateLimitNext--;
      return c.json({ errors: ["Rate limit exceeded"] }, 429, {
        "Retry-After": "1",
        "X-RateLimit-Limit": "100",
        "X-RateLimit-Period": "10",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "1",
        "X-RateLimit-Name": "fake_api",
      });
    }
    await next();
  });
}

/** API authentication: a bearer token (with the path's scope), or both API and app keys. */
function apiAuth(app: Hono<Env>, fake: Fake): void {
  const { knobs, state } = fake;
  app.use("/api/*", async (c, next) => {
    const path = c.req.path;
    if (path === "/api/v2/oauth2/register") return await next();
    const authz = c.req.header("authorization");
    // A bearer header decides alone, even beside keys: pup sends one kind, never both.
    if (authz !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(authz.trim());
      const rec = m ? state.accessTokens.get(m[1]) : undefined;
      const valid = rec && !rec.revoked && fake.now() < rec.expiresAt;
      if (!valid) {
        return c.json({ errors: ["Unauthorized"] }, 401, {
          "WWW-Authenticate": 'Bearer error="invalid_token"',
        });
      }
      const needed = scopeFor(c.req.method, path);
      if (needed) {
        const scopes = splitScopes(rec.scope);
        const allowed = scopes.includes(needed) &&
          (knobs.grantedScopes === null || knobs.grantedScopes.includes(needed));
        if (!allowed) return c.json({ errors: [`Forbidden: missing scope ${needed}`] }, 403);
      }
      return await next();
    }
    const apiKey = c.req.header("dd-api-key");
    const appKey = c.req.header("dd-application-key");
    if (apiKey !== knobs.apiKey || appKey !== knobs.appKey) {
      return c.json({ errors: ["Unauthorized"] }, 401);
    }
    return await next();
  });
}

/**
 * The fake as a Hono app, serving `core` (a new one with default options when omitted).
 * Tests may call `app.request()` directly, with no socket.
 */
export function fakeDatadogApp(core: FakeDatadogCore = createFakeDatadogCore()): Hono<Env> {
  const fake = core as Fake;
  const app = new Hono<Env>();
  recorder(app, fake);
  oauthRoutes(app, fake);
  apiAuth(app, fake);
  app.get("/api/v1/validate", (c) => c.json({ valid: true }));
  monitorsRoutes(app, fake);
  logsRoutes(app, fake);
  logsAggregateRoute(app, fake);
  metricsRoutes(app, fake);
  metricsListRoute(app);
  catalogRoutes(app, fake);
  app.notFound((c) =>
    c.req.path.startsWith("/api/")
      ? c.json({ errors: ["Not found"] }, 404)
      : c.text("404 Not Found", 404)
  );
  return app;
}

// ---------------------------------------------------------------------------------------------
// In process, and with a socket

/**
 * The fake Datadog in process (unit tests): it answers on the in-process network
 * (`tests/fakes/network.ts`, which {@link testDeps} uses), no socket. Same shape as
 * {@link startFakeDatadog}, whose real server is for the end-to-end tests.
 */
export function createFakeDatadog(options: FakeDatadogOptions = {}): FakeDatadog {
  const core = createFakeDatadogCore(options);
  const app = fakeDatadogApp(core);
  const at = answer(app);
  return Object.assign(core, {
    site: at.host,
    url: at.origin,
    app,
    close() {
      core.cancelDelays();
      at.stop();
      return Promise.resolve();
    },
  });
}

/** Starts the fake on `127.0.0.1` (a free port unless `port` is given). Always `close()` it. */
export async function startFakeDatadog(
  options: FakeDatadogOptions & { port?: number } = {},
): Promise<FakeDatadog> {
  const core = createFakeDatadogCore(options);
  const app = fakeDatadogApp(core);
  const server = await serveHttp((req) => app.fetch(req), {
    hostname: "127.0.0.1",
    port: options.port ?? 0,
  });
  const site = `127.0.0.1:${server.port}`;
  return Object.assign(core, {
    site,
    url: `http://${site}`,
    app,
    async close() {
      // Sleeping handlers would hold a graceful shutdown open; wake them first.
      core.cancelDelays();
      await server.close();
    },
  });
}
