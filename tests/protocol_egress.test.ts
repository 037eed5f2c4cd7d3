import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { sendWithCredentials } from "../lib/auth/egress.ts";
import { originAllowed, type TrustContext, trustGate } from "../lib/auth/trust.ts";
import { apiBase, isDatadogOwned, parseSite } from "../lib/auth/site.ts";
import { PupError } from "../lib/errors.ts";
import { FileStateStore } from "../lib/store/file_state_store.ts";
import { FakeClock, settle } from "./fakes/clock.ts";
import { carriesCredential, fetchStub, json } from "./protocol_fetch_stub.ts";
import { runPup, testDeps, withTempDir } from "./helpers.ts";

/** Sites a hostile sessions.json may plant: each ends in a Datadog domain as raw text. */
const PLANTED = [
  "127.0.0.1#.datadoghq.com",
  "127.0.0.1/.datadoghq.com",
  "127.0.0.1?.datadoghq.com",
  "127.0.0.1\\.datadoghq.com",
  "evil.example\\@x.datadoghq.com",
  "user@127.0.0.1#.datadoghq.com",
];

/** An environment with no opt-in at all: no DD_SITE, no PUP_TRUST_SITE, no terminal. */
function plainEnv(dir: string, extra: Record<string, string> = {}) {
  return { PUP_CONFIG_DIR: dir, DD_TOKEN_STORAGE: "file", HOME: dir, ...extra };
}

async function plant(dir: string, entries: unknown[]) {
  await writeFile(join(dir, "sessions.json"), JSON.stringify(entries));
}

const ok = () => json(200, { valid: true });

// ---- Defect 1: the trust gate bypassed through sessions.json

for (const site of PLANTED) {
  test(`a planted sessions.json site ${JSON.stringify(site)} gets no API keys without opt-in`, () =>
    withTempDir(async (dir) => {
      await plant(dir.path, [{ site, org: "victim" }]);
      const stub = fetchStub(ok);
      const env = plainEnv(dir.path, { DD_API_KEY: "k-api-secret", DD_APP_KEY: "k-app-secret" });
      const r = await runPup(
        ["api", "/api/v1/validate", "--org", "victim"],
        testDeps(env, { fetch: stub.fetch }),
      );
      assert.notEqual(r.code, 0, r.stderr);
      assert.deepEqual(stub.seen.filter(carriesCredential).map((s) => s.url.href), []);
      assert.ok(!r.stderr.includes("k-api-secret") && !r.stderr.includes("k-app-secret"));
    }));
}

test("a planted sessions.json site gets no bearer token of a session stored for it", () =>
  withTempDir(async (dir) => {
    const site = PLANTED[0];
    await plant(dir.path, [{ site, org: "victim" }]);
    await new FileStateStore(dir.path).write(site, {
      tokens: {
        victim: {
          access_token: "session-access-secret",
          refresh_token: "session-refresh-secret",
          token_type: "Bearer",
          expires_in: 3600,
          expires_at: new Date(Date.now() + 3_600_000).toISOString(),
          scope: "monitors_read",
        },
      },
      client: { client_id: "c", client_secret: "s", registered_at: new Date().toISOString() },
    });
    const stub = fetchStub(ok);
    const r = await runPup(
      ["api", "/api/v1/validate", "--org", "victim"],
      testDeps(plainEnv(dir.path), { fetch: stub.fetch }),
    );
    assert.notEqual(r.code, 0, r.stderr);
    assert.deepEqual(stub.seen.filter(carriesCredential).map((s) => s.url.href), []);
  }));

test("a planted default session does not get DD_ACCESS_TOKEN on a bare monitors list", () =>
  withTempDir(async (dir) => {
    await plant(dir.path, [{ site: PLANTED[0], org: null }]);
    const stub = fetchStub(() => json(200, []));
    const r = await runPup(
      ["monitors", "list"],
      testDeps(plainEnv(dir.path, { DD_ACCESS_TOKEN: "env-access-secret" }), {
        fetch: stub.fetch,
      }),
    );
    assert.notEqual(r.code, 0, r.stderr);
    assert.deepEqual(stub.seen.filter(carriesCredential).map((s) => s.url.href), []);
  }));

test("Datadog ownership is decided on the parsed host, never on the raw text", () => {
  for (const site of PLANTED) assert.equal(isDatadogOwned(site), false, site);
  const none = { all: false, trusted: [] };
  assert.equal(originAllowed(new URL("https://127.0.0.1#.datadoghq.com/x"), none), false);
  assert.equal(originAllowed(new URL("https://127.0.0.1/.datadoghq.com"), none), false);
  assert.equal(originAllowed(new URL("https://api.datadoghq.eu/x"), none), true);
  assert.equal(originAllowed(new URL("http://api.datadoghq.eu/x"), none), false);
  assert.equal(originAllowed(new URL("https://a:b@api.datadoghq.eu/x"), none), false);
  assert.equal(
    originAllowed(new URL("https://gw.corp.example:8443/x"), {
      all: false,
      trusted: ["gw.corp.example:8443"],
    }),
    true,
  );
});

test("a site that is not in its normal form builds no URL", () => {
  for (const site of PLANTED) {
    assert.throws(() => apiBase(site), (e: PupError) => e.code === "invalid_site", site);
  }
  assert.throws(
    () => parseSite("127.0.0.1#.datadoghq.com", "sessions.json"),
    (e: PupError) => e.code === "invalid_site" && /^sessions\.json: invalid site/.test(e.message),
  );
  assert.equal(parseSite(" https://app.datadoghq.eu/ ", "DD_SITE"), "datadoghq.eu");
});

// ---- The egress itself

function trustCtx(env: Record<string, string> = {}): TrustContext {
  return {
    deps: {
      env,
      io: {
        err: () => {},
        readLine: () => Promise.resolve(null),
        stdinIsTTY: false,
        stderrIsTTY: false,
      },
    },
    globals: { trustSite: false },
    dir: "/nonexistent",
    config: () => Promise.resolve({}),
  };
}

const request = (ctx: TrustContext, extra: Record<string, unknown> = {}) => ({
  method: "POST",
  headers: { authorization: "Bearer secret" },
  body: "x=1",
  timeoutMs: 30_000,
  allow: trustGate(ctx),
  what: "token refresh",
  ...extra,
});

test("the egress refuses a URL whose parsed host is not Datadog's, before sending", async () => {
  const stub = fetchStub(ok);
  const clock = new FakeClock();
  for (const url of ["https://127.0.0.1#.datadoghq.com/x", "https://evil.example/x"]) {
    await assert.rejects(
      sendWithCredentials({ fetch: stub.fetch, clock }, url, request(trustCtx())),
      (e: PupError) => e.code === "untrusted_site" && e.exitCode === 2,
    );
  }
  assert.equal(stub.seen.length, 0);
});

test("the egress refuses plain http except to loopback, and URLs with user info", async () => {
  const stub = fetchStub(ok);
  const clock = new FakeClock();
  const trusting = trustCtx({ PUP_TRUST_SITE: "1" });
  for (
    const url of [
      "http://api.datadoghq.com/x",
      "http://gw.example/x",
      "https://u:p@api.datadoghq.com/",
    ]
  ) {
    await assert.rejects(
      sendWithCredentials({ fetch: stub.fetch, clock }, url, request(trusting)),
      (e: PupError) => e.code === "untrusted_site",
      url,
    );
  }
  assert.equal(stub.seen.length, 0);
  const res = await sendWithCredentials(
    { fetch: stub.fetch, clock },
    "http://127.0.0.1:9/x",
    request(trusting),
  );
  assert.equal(res.status, 200);
});

test("the egress refuses redirects: a 307 is an error naming the status, never followed", async () => {
  const stub = fetchStub((req) =>
    req.url.hostname === "api.datadoghq.com"
      ? new Response("", { status: 307, headers: { location: "https://evil.example/steal" } })
      : ok()
  );
  await assert.rejects(
    sendWithCredentials(
      { fetch: stub.fetch, clock: new FakeClock() },
      "https://api.datadoghq.com/oauth2/v1/token",
      request(trustCtx()),
    ),
    (e: PupError) =>
      e.code === "redirect_refused" &&
      /HTTP 307 redirect to https:\/\/evil\.example/.test(e.message),
  );
  assert.deepEqual(stub.seen.map((s) => [s.url.hostname, s.redirect]), [[
    "api.datadoghq.com",
    "manual",
  ]]);
});

test("a 304 is an answer, not a redirect: it comes back to the caller", async () => {
  const stub = fetchStub(() => new Response(null, { status: 304 }));
  const res = await sendWithCredentials(
    { fetch: stub.fetch, clock: new FakeClock() },
    "https://api.datadoghq.com/api/v1/monitor",
    request(trustCtx(), { method: "GET", body: undefined }),
  );
  assert.equal(res.status, 304);
});

test("the egress times out through the clock, and the caller's signal aborts it", async () => {
  const hang: typeof fetch = (_input, init) =>
    new Promise((_resolve, reject) => {
      init?.signal?.addEventListener("abort", () => reject(init.signal!.reason), { once: true });
    });
  const clock = new FakeClock();
  const timedOut = sendWithCredentials(
    { fetch: hang, clock },
    "https://api.datadoghq.com/x",
    request(trustCtx(), { timeoutMs: 1_500 }),
  );
  const check = assert.rejects(
    timedOut,
    (e: PupError) =>
      e.code === "network_timeout" && /token refresh timed out after 1\.5 s/.test(e.message),
  );
  await clock.advance(1_500);
  await check;

  const ac = new AbortController();
  const cancelled = sendWithCredentials(
    { fetch: hang, clock },
    "https://api.datadoghq.com/x",
    request(trustCtx(), { signal: ac.signal }),
  );
  const reason = new PupError("authorization_denied", "login interrupted", { exitCode: 130 });
  await settle();
  ac.abort(reason);
  await assert.rejects(cancelled, (e) => e === reason);
});

test("auth login with a planted site registers nowhere and opens no browser", () =>
  withTempDir(async (dir) => {
    await plant(dir.path, [{ site: "evil.example#.datadoghq.com", org: "victim" }]);
    const stub = fetchStub(() => json(201, { client_id: "c", client_secret: "s" }));
    const launched: string[][] = [];
    const deps = testDeps(plainEnv(dir.path), {
      fetch: stub.fetch,
      launch: (cmd, args) => {
        launched.push([cmd, ...args]);
        return Promise.resolve({ exited: Promise.resolve(0) });
      },
    });
    const r = await runPup(["auth", "login", "--org", "victim", "--no-browser"], deps);
    assert.notEqual(r.code, 0, r.stderr);
    assert.deepEqual(stub.seen.map((s) => s.url.href), []);
    assert.deepEqual(launched, []);
    assert.doesNotMatch(r.stdout + r.stderr, /evil\.example\/oauth2/);
  }));

test("a 'y' at the trust prompt is asked once and covers the egress's own check", () =>
  withTempDir(async (dir) => {
    const stub = fetchStub(ok);
    const env = plainEnv(dir.path, {
      DD_SITE: "127.0.0.1:9",
      DD_API_KEY: "k-api",
      DD_APP_KEY: "k-app",
    });
    const deps = testDeps(env, { fetch: stub.fetch, stdinLines: ["y"] });
    deps.io.stdinIsTTY = true;
    deps.io.stderrIsTTY = true;
    const r = await runPup(["api", "/api/v1/validate"], deps);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr.match(/is not a Datadog site/g)?.length, 1, r.stderr);
    assert.equal(stub.seen.length, 1);
    assert.equal(stub.seen[0].headers["dd-api-key"], "k-api");
  }));

test("without a terminal or opt-in, a non-Datadog DD_SITE gets nothing and says how to opt in", () =>
  withTempDir(async (dir) => {
    const stub = fetchStub(ok);
    const env = plainEnv(dir.path, {
      DD_SITE: "dd.corp.example",
      DD_API_KEY: "k",
      DD_APP_KEY: "a",
    });
    const r = await runPup(["api", "/api/v1/validate"], testDeps(env, { fetch: stub.fetch }));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /refusing to send credentials to dd\.corp\.example/);
    assert.match(r.stderr, /--trust-site/);
    assert.equal(stub.seen.length, 0);
  }));

test("trusted_sites: in config.yaml lets credentials go to that site's origin only", () =>
  withTempDir(async (dir) => {
    await writeFile(join(dir.path, "config.yaml"), 'trusted_sites: ["127.0.0.1:9"]\n');
    const stub = fetchStub(ok);
    const keys = { DD_API_KEY: "k-api", DD_APP_KEY: "k-app" };
    const trusted = await runPup(
      ["api", "/api/v1/validate"],
      testDeps(plainEnv(dir.path, { ...keys, DD_SITE: "127.0.0.1:9" }), { fetch: stub.fetch }),
    );
    assert.equal(trusted.code, 0, trusted.stderr);
    const other = await runPup(
      ["api", "/api/v1/validate"],
      testDeps(plainEnv(dir.path, { ...keys, DD_SITE: "127.0.0.1:10" }), { fetch: stub.fetch }),
    );
    assert.equal(other.code, 2, other.stderr);
    assert.deepEqual(stub.seen.map((s) => s.url.host), ["127.0.0.1:9"]);
  }));
