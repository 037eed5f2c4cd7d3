import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createFakeDatadog, type FakeDatadog } from "./fakes/datadog.ts";
import {
  localEnv,
  runPup,
  seedSession,
  tempDir,
  type TestDeps,
  testDeps,
  withFixture,
  withTempDir,
} from "./helpers.ts";
import { FakeClock, InstantClock } from "./fakes/clock.ts";
import { Context, type GlobalOptions } from "../lib/cli/context.ts";
import type { Deps } from "../lib/deps.ts";
import { PupError } from "../lib/errors.ts";
import { ApiClient, type ApiClientOptions, timeoutFromEnv } from "../lib/api/client.ts";
import { buildUrl } from "../lib/api/url.ts";
import { apiMessages, datadogErrors, missingScopes, responseError } from "../lib/api/errors.ts";
import { checkHeader } from "../lib/api/headers.ts";
import { redactHeader, redactUrl } from "../lib/api/redact.ts";
import { rateLimitWaitMs } from "../lib/api/retry.ts";
import { siteKey } from "../lib/store/state_store.ts";

interface Setup {
  fake: FakeDatadog;
  dir: string;
  deps: TestDeps;
  ctx: Context;
  waits: number[];
  client(options?: ApiClientOptions): ApiClient;
  /** Stores a session (and its client) for the default org, as `pup auth login` would. */
  login(opts?: { ttlSeconds?: number; scope?: string }): Promise<string>;
  done(): Promise<void>;
}

async function setup(
  env: Record<string, string> = {},
  opts: { globals?: Partial<GlobalOptions>; trust?: boolean; deps?: Partial<Deps> } = {},
): Promise<Setup> {
  const fake = createFakeDatadog();
  const dir = await tempDir();
  const base = localEnv(fake.site, dir.path, env);
  if (opts.trust === false) delete (base as Record<string, string>).PUP_TRUST_SITE;
  const clock = new InstantClock(Date.now()); // the 429 waits are recorded, not slept
  const waits = clock.waits;
  const deps = testDeps(base, {
    clock,
    ...opts.deps,
  });
  const ctx = new Context(deps, { trustSite: false, verbose: false, ...opts.globals });
  return {
    fake,
    dir: dir.path,
    deps,
    ctx,
    waits,
    client: (options) => new ApiClient(ctx, options),
    async login({ ttlSeconds = 3600, scope } = {}) {
      const t = fake.issueTokens({ ttlSeconds, scope });
      await seedSession(dir.path, fake.site, t);
      return t.access_token;
    },
    async done() {
      await fake.close();
      await dir.remove();
    },
  };
}

function apiCalls(fake: FakeDatadog, path = "/api/v1/validate") {
  return fake.requests.filter((r) => r.path === path);
}

async function rejectsWith(
  p: Promise<unknown>,
  check: { exitCode: number; code?: string; message?: RegExp; hint?: RegExp },
) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof PupError, String(err));
    assert.equal(err.exitCode, check.exitCode, err.message);
    if (check.code) assert.equal(err.code, check.code);
    if (check.message) assert.match(err.message, check.message);
    if (check.hint) assert.match(err.hint ?? "", check.hint);
    return true;
  });
}

// ---- Credentials and their order

test("DD_ACCESS_TOKEN is sent as a bearer token", () =>
  withFixture(setup(), async (t) => {
    const token = t.fake.issueTokens().access_token;
    const ctx = new Context(testDeps({ ...t.deps.env, DD_ACCESS_TOKEN: token }), {
      trustSite: false,
      verbose: false,
    });
    assert.deepEqual(await new ApiClient(ctx).json({ path: "/api/v1/validate" }), { valid: true });
    const [req] = apiCalls(t.fake);
    assert.equal(req.headers.authorization, `Bearer ${token}`);
    assert.equal(req.headers["dd-api-key"], undefined);
  }));

test("the OAuth session is used when DD_ACCESS_TOKEN is not set", () =>
  withFixture(setup(), async (t) => {
    const token = await t.login();
    assert.deepEqual(await t.client().json({ path: "/api/v1/validate" }), { valid: true });
    assert.equal(apiCalls(t.fake)[0].headers.authorization, `Bearer ${token}`);
    assert.equal(t.fake.count("POST", "/oauth2/v1/token"), 0);
  }));

test("API keys are sent as DD-API-KEY and DD-APPLICATION-KEY when there is no token", () =>
  withFixture(setup({ DD_API_KEY: "test-api-key", DD_APP_KEY: "test-app-key" }), async (t) => {
    assert.deepEqual(await t.client().json({ path: "/api/v1/validate" }), { valid: true });
    const [req] = apiCalls(t.fake);
    assert.equal(req.headers["dd-api-key"], "test-api-key");
    assert.equal(req.headers["dd-application-key"], "test-app-key");
    assert.equal(req.headers.authorization, undefined);
  }));

test("DD_ACCESS_TOKEN wins over the session, and the session wins over API keys", async () => {
  const keys = { DD_API_KEY: "test-api-key", DD_APP_KEY: "test-app-key" };
  const t = await setup(keys);
  try {
    const sessionToken = await t.login();
    const envToken = t.fake.issueTokens().access_token;
    const withEnv = new Context(testDeps({ ...t.deps.env, DD_ACCESS_TOKEN: envToken }), {
      trustSite: false,
      verbose: false,
    });
    await new ApiClient(withEnv).json({ path: "/api/v1/validate" });
    await t.client().json({ path: "/api/v1/validate" });
    const [first, second] = apiCalls(t.fake);
    assert.equal(first.headers.authorization, `Bearer ${envToken}`);
    assert.equal(second.headers.authorization, `Bearer ${sessionToken}`);
    for (const r of [first, second]) assert.equal(r.headers["dd-api-key"], undefined);
  } finally {
    await t.done();
  }
});

test("with no credentials at all the client fails with exit 4 and says how to log in", () =>
  withFixture(setup(), async (t) => {
    await rejectsWith(t.client().json({ path: "/api/v1/validate" }), {
      exitCode: 4,
      code: "not_authenticated",
      message: /not logged in/,
      hint: /pup auth login.*DD_API_KEY and DD_APP_KEY/,
    });
    assert.equal(apiCalls(t.fake).length, 0);
  }));

test("with only one API key set the error names the missing one", () =>
  withFixture(setup({ DD_API_KEY: "test-api-key" }), async (t) => {
    await rejectsWith(t.client().json({ path: "/api/v1/validate" }), {
      exitCode: 4,
      message: /DD_APP_KEY is not set/,
    });
  }));

// ---- Refresh

test("a session token within 5 minutes of expiry is refreshed before the call", () =>
  withFixture(setup(), async (t) => {
    const old = await t.login({ ttlSeconds: 120 });
    await t.client().json({ path: "/api/v1/validate" });
    assert.equal(t.fake.count("POST", "/oauth2/v1/token"), 1);
    const [req] = apiCalls(t.fake);
    assert.notEqual(req.headers.authorization, `Bearer ${old}`);
    const stored = JSON.parse(
      await readFile(join(t.dir, `tokens_${siteKey(t.fake.site)}.json`), "utf8"),
    );
    assert.equal(req.headers.authorization, `Bearer ${stored.__default__.access_token}`);
  }));

test("an API 401 with a session refreshes once and retries once", () =>
  withFixture(setup(), async (t) => {
    const old = await t.login();
    t.fake.expireAccessToken(old);
    assert.deepEqual(await t.client().json({ path: "/api/v1/validate" }), { valid: true });
    assert.equal(t.fake.count("POST", "/oauth2/v1/token"), 1);
    const calls = apiCalls(t.fake);
    assert.equal(calls.length, 2);
    assert.equal(calls[0].headers.authorization, `Bearer ${old}`);
    assert.notEqual(calls[1].headers.authorization, `Bearer ${old}`);
  }));

test("a 401 that survives the refresh fails with exit 4 after exactly one retry", () =>
  withFixture(setup(), async (t) => {
    await t.login();
    t.fake.knobs.failNext.push({ path: "/api/v1/validate", status: 401, times: 5 });
    await rejectsWith(t.client().json({ path: "/api/v1/validate" }), {
      exitCode: 4,
      message: /401.*even after a token refresh/,
      hint: /pup auth login/,
    });
    assert.equal(apiCalls(t.fake).length, 2);
    assert.equal(t.fake.count("POST", "/oauth2/v1/token"), 1);
  }));

test("a rejected DD_ACCESS_TOKEN fails with exit 4 and no refresh", () =>
  withFixture(setup({ DD_ACCESS_TOKEN: "fake_at_not_a_real_token" }), async (t) => {
    await t.login();
    await rejectsWith(t.client().json({ path: "/api/v1/validate" }), {
      exitCode: 4,
      message: /rejected DD_ACCESS_TOKEN/,
      hint: /DD_ACCESS_TOKEN/,
    });
    assert.equal(apiCalls(t.fake).length, 1);
    assert.equal(t.fake.count("POST", "/oauth2/v1/token"), 0);
  }));

// ---- 403, 429, 5xx, bodies, timeouts

test("a 403 names the missing scope and the login that grants it, exit 1", () =>
  withFixture(setup(), async (t) => {
    await t.login({ scope: "timeseries_query logs_read_data" });
    await rejectsWith(t.client().json({ path: "/api/v1/monitor" }), {
      exitCode: 1,
      message: /403.*missing scope monitors_read/,
      hint: /pup auth login --extra-scopes monitors_read/,
    });
  }));

test("a 429 waits as Retry-After asks, through the clock, then succeeds", () =>
  withFixture(setup({ DD_API_KEY: "test-api-key", DD_APP_KEY: "test-app-key" }), async (t) => {
    t.fake.knobs.rateLimitNext = 2;
    assert.deepEqual(await t.client().json({ path: "/api/v1/validate" }), { valid: true });
    assert.deepEqual(t.waits, [1000, 1000]);
    assert.equal(apiCalls(t.fake).length, 3);
  }));

test("X-RateLimit-Reset sets the wait when Retry-After is absent", () =>
  withFixture(setup({ DD_API_KEY: "test-api-key", DD_APP_KEY: "test-app-key" }), async (t) => {
    t.fake.knobs.failNext.push({
      path: "/api/v1/validate",
      status: 429,
      headers: { "X-RateLimit-Reset": "7" },
    });
    await t.client().json({ path: "/api/v1/validate" });
    assert.deepEqual(t.waits, [7000]);
  }));

test("rate limiting gives up after 3 retries with a clear exit 1", () =>
  withFixture(setup({ DD_API_KEY: "test-api-key", DD_APP_KEY: "test-app-key" }), async (t) => {
    t.fake.knobs.rateLimitNext = 100;
    await rejectsWith(t.client().json({ path: "/api/v1/validate" }), {
      exitCode: 1,
      message: /429.*rate limited/,
      hint: /try again in 1 s/,
    });
    assert.equal(apiCalls(t.fake).length, 4);
    assert.deepEqual(t.waits, [1000, 1000, 1000]);
  }));

test("a 429 asking for more than the longest wait fails at once", () =>
  withFixture(setup({ DD_API_KEY: "test-api-key", DD_APP_KEY: "test-app-key" }), async (t) => {
    t.fake.knobs.failNext.push({
      path: "/api/v1/validate",
      status: 429,
      headers: { "Retry-After": "3600" },
    });
    await rejectsWith(t.client().json({ path: "/api/v1/validate" }), {
      exitCode: 1,
      hint: /try again in 3600 s/,
    });
    assert.deepEqual(t.waits, []);
    assert.equal(apiCalls(t.fake).length, 1);
  }));

test("a 500 fails with exit 1 and Datadog's errors", () =>
  withFixture(setup({ DD_API_KEY: "test-api-key", DD_APP_KEY: "test-app-key" }), async (t) => {
    t.fake.knobs.failNext.push({
      path: "/api/v1/validate",
      status: 500,
      body: JSON.stringify({ errors: ["Internal Server Error", "try later"] }),
    });
    await rejectsWith(t.client().json({ path: "/api/v1/validate" }), {
      exitCode: 1,
      code: "api",
      message: /GET \/api\/v1\/validate failed: 500.*Internal Server Error; try later/,
      hint: /try again/,
    });
    assert.equal(apiCalls(t.fake).length, 1);
  }));

test("a malformed JSON answer is an exit 1 that shows what came", () =>
  withFixture(setup({ DD_API_KEY: "test-api-key", DD_APP_KEY: "test-app-key" }), async (t) => {
    t.fake.knobs.failNext.push({ path: "/api/v1/validate", status: 200, body: "{not json" });
    await rejectsWith(t.client().json({ path: "/api/v1/validate" }), {
      exitCode: 1,
      message: /malformed JSON: expected a JSON document, found "\{not json"/,
    });
  }));

test("a slow server hits the timeout and fails with exit 1", async () => {
  // On the fake clock: the server never answers, and time moves only when the test says.
  return await withTempDir(async (dir) => {
    const clock = new FakeClock();
    const hang: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) =>
        init?.signal?.addEventListener("abort", () => reject(init.signal!.reason))
      );
    const env = localEnv("127.0.0.1:9", dir.path, {
      DD_API_KEY: "test-api-key",
      DD_APP_KEY: "test-app-key",
    });
    const ctx = new Context(testDeps(env, { fetch: hang, clock }), {
      trustSite: false,
      verbose: false,
    });
    const pending = rejectsWith(
      new ApiClient(ctx, { timeoutMs: 200 }).json({ path: "/api/v1/validate" }),
      {
        exitCode: 1,
        code: "network_timeout",
        message: /timed out after 200 ms/,
        hint: /PUP_HTTP_TIMEOUT/,
      },
    );
    await clock.advance(200);
    await pending;
  });
});

test("PUP_HTTP_TIMEOUT sets the timeout in seconds and rejects nonsense", () => {
  assert.equal(timeoutFromEnv({}), 60_000);
  assert.equal(timeoutFromEnv({ PUP_HTTP_TIMEOUT: "2.5" }), 2_500);
  for (const bad of ["0", "-1", "soon"]) {
    assert.throws(() => timeoutFromEnv({ PUP_HTTP_TIMEOUT: bad }), /invalid PUP_HTTP_TIMEOUT/);
  }
});

test("PUP_HTTP_TIMEOUT above what a timer can wait (~2^31 ms) is a usage error, not 1 ms", async () => {
  assert.equal(timeoutFromEnv({ PUP_HTTP_TIMEOUT: "2147483" }), 2_147_483_000);
  for (const big of ["2147484", "3000000", "10000000000", "99999999999999999999"]) {
    assert.throws(
      () => timeoutFromEnv({ PUP_HTTP_TIMEOUT: big }),
      (e: PupError) =>
        e.exitCode === 2 && /expected at most 2147483 seconds \(about 24 days\); not clamped/
          .test(e.message),
      big,
    );
  }
  return await withTempDir(async (dir) => {
    const env = localEnv("127.0.0.1:9", dir.path, {
      DD_API_KEY: "test-api-key",
      DD_APP_KEY: "test-app-key",
      PUP_HTTP_TIMEOUT: "3000000",
    });
    let sent = 0;
    const deps = testDeps(env, {
      fetch: () => {
        sent++;
        return Promise.resolve(new Response("[]"));
      },
    });
    const r = await runPup(["monitors", "list"], deps);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /invalid PUP_HTTP_TIMEOUT "3000000": expected at most/);
    assert.equal(sent, 0);
  });
});

test("a network failure names the origin and fails with exit 1", async () => {
  const t = await setup({ DD_API_KEY: "test-api-key", DD_APP_KEY: "test-app-key" });
  const site = t.fake.site;
  await t.fake.close(); // nothing listens there any more
  try {
    await rejectsWith(t.client().json({ path: "/api/v1/validate" }), {
      exitCode: 1,
      code: "network",
      message: new RegExp(`cannot reach http://${site.replace(/\./g, "\\.")}`),
    });
  } finally {
    await t.done();
  }
});

test("redirects are not followed, so credentials stay on the site", () =>
  withFixture(setup({ DD_API_KEY: "test-api-key", DD_APP_KEY: "test-app-key" }), async (t) => {
    t.fake.knobs.failNext.push({
      path: "/api/v1/validate",
      status: 302,
      body: "",
      headers: { location: "https://elsewhere.example/steal" },
    });
    await rejectsWith(t.client().json({ path: "/api/v1/validate" }), {
      exitCode: 1,
      message: /302 redirect to https:\/\/elsewhere\.example\/steal/,
    });
  }));

// ---- What goes on the wire and on the terminal

test("the User-Agent names pup, the runtime, the OS and the architecture", () =>
  withFixture(setup({ DD_API_KEY: "test-api-key", DD_APP_KEY: "test-app-key" }), async (t) => {
    await t.client().json({ path: "/api/v1/validate" });
    assert.equal(
      apiCalls(t.fake)[0].headers["user-agent"],
      "pup/0.0.0-test (test 0; os linux; arch x64)",
    );
  }));

test("verbose output shows requests and answers with credentials redacted", async () => {
  const keys = { DD_API_KEY: "test-api-key", DD_APP_KEY: "test-app-key" };
  const t = await setup(keys, { globals: { verbose: true } });
  try {
    const token = await t.login({ ttlSeconds: 120 }); // refreshed first: no token body shown
    await t.client().json({ path: "/api/v1/validate", query: { api_key: "leaky" } });
    const err = t.deps.stderr();
    assert.match(err, /> GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/validate\?api_key=\[redacted\]/);
    assert.match(err, /> Authorization: Bearer \[redacted\]/);
    assert.match(err, /> User-Agent: pup\//);
    assert.match(err, /< 200 OK \(\d+ ms\)/);
    assert.match(err, /credentials: your pup session \(access token refreshed\)/);
    const stored = JSON.parse(
      await readFile(join(t.dir, `tokens_${siteKey(t.fake.site)}.json`), "utf8"),
    ).__default__;
    for (const secret of [token, stored.access_token, stored.refresh_token, "leaky"]) {
      assert.ok(!err.includes(secret), "a secret reached stderr");
    }
    assert.equal(t.deps.stdout(), "");
  } finally {
    await t.done();
  }
});

test("verbose output redacts API and application keys", async () => {
  const keys = { DD_API_KEY: "test-api-key", DD_APP_KEY: "test-app-key" };
  const t = await setup(keys, { globals: { verbose: true } });
  try {
    await t.client().json({ path: "/api/v1/validate" });
    const err = t.deps.stderr();
    assert.match(err, /> DD-API-KEY: \[redacted\]/);
    assert.match(err, /> DD-APPLICATION-KEY: \[redacted\]/);
    assert.ok(!err.includes("test-api-key") && !err.includes("test-app-key"));
  } finally {
    await t.done();
  }
});

test("control characters in server errors are neutralised", () =>
  withFixture(setup({ DD_API_KEY: "test-api-key", DD_APP_KEY: "test-app-key" }), async (t) => {
    t.fake.knobs.failNext.push({
      path: "/api/v1/validate",
      status: 404,
      body: JSON.stringify({ errors: ["gone \u001b[2J\u001b]0;pwned\u0007 away"] }),
    });
    await assert.rejects(t.client().json({ path: "/api/v1/validate" }), (err: unknown) => {
      const msg = (err as Error).message;
      // deno-lint-ignore no-control-regex
      assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(msg), msg);
      assert.match(msg, /gone \\u001b\[2J\\u001b\]0;pwned\\u0007 away/);
      return true;
    });
  }));

test("credentials are not sent to a site that is not Datadog's without trust", async () => {
  const t = await setup({ DD_API_KEY: "test-api-key", DD_APP_KEY: "test-app-key" }, {
    trust: false,
  });
  try {
    await t.login({ ttlSeconds: 120 }); // due for refresh: the refresh must not happen either
    await rejectsWith(t.client().json({ path: "/api/v1/validate" }), {
      exitCode: 2,
      code: "untrusted_site",
      hint: /--trust-site/,
    });
    assert.equal(t.fake.requests.length, 0);
  } finally {
    await t.done();
  }
});

test("--trust-site lets credentials go to a site that is not Datadog's", async () => {
  const t = await setup({ DD_API_KEY: "test-api-key", DD_APP_KEY: "test-app-key" }, {
    trust: false,
    globals: { trustSite: true },
  });
  try {
    assert.deepEqual(await t.client().json({ path: "/api/v1/validate" }), { valid: true });
  } finally {
    await t.done();
  }
});

// ---- Pure pieces

test("API paths must start with / and stay on the site", () => {
  const base = "https://api.datadoghq.com";
  assert.equal(
    buildUrl(base, "/api/v1/monitor?name=a b", { page: 0, x: undefined }).href,
    "https://api.datadoghq.com/api/v1/monitor?name=a+b&page=0",
  );
  assert.equal(buildUrl(base, "/api/v1/x?q=a%20b").href, `${base}/api/v1/x?q=a%20b`);
  assert.equal(buildUrl(base, "//evil.example/x").origin, base);
  assert.throws(() => buildUrl(base, "api/v1/x"), /expected one starting with \//);
  assert.throws(() => buildUrl(base, "@evil.example/x"), /expected one starting with \//);
});

test("Datadog's v1 and v2 error shapes are both understood", () => {
  assert.deepEqual(datadogErrors('{"errors":["a","b"]}'), ["a", "b"]);
  assert.deepEqual(datadogErrors('{"errors":[{"title":"Forbidden","detail":"nope"}]}'), [
    "Forbidden: nope",
  ]);
  assert.deepEqual(datadogErrors("<html>Bad Gateway</html>"), ["<html>Bad Gateway</html>"]);
  assert.deepEqual(datadogErrors(""), []);
  assert.deepEqual(missingScopes(["Forbidden: missing scope monitors_read"]), ["monitors_read"]);
  assert.deepEqual(missingScopes(["missing required scopes: a_read, b_write"]), [
    "a_read",
    "b_write",
  ]);
  assert.deepEqual(missingScopes(["Forbidden"]), []);
});

test("Retry-After may be seconds or an HTTP date, with a back-off when nothing is said", () => {
  const now = Date.parse("2024-05-01T12:00:00Z");
  assert.equal(rateLimitWaitMs(new Headers({ "retry-after": "3" }), now, 1), 3000);
  assert.equal(
    rateLimitWaitMs(new Headers({ "retry-after": "Wed, 01 May 2024 12:00:05 GMT" }), now, 1),
    5000,
  );
  assert.equal(rateLimitWaitMs(new Headers({ "x-ratelimit-reset": "4" }), now, 1), 4000);
  assert.equal(rateLimitWaitMs(new Headers(), now, 1), 1000);
  assert.equal(rateLimitWaitMs(new Headers(), now, 3), 4000);
});

test("redaction keeps the scheme of Authorization and hides key-like names", () => {
  assert.equal(redactHeader("Authorization", "Bearer abc"), "Bearer [redacted]");
  assert.equal(redactHeader("DD-API-KEY", "abc"), "[redacted]");
  assert.equal(redactHeader("X-Auth-Token", "abc"), "[redacted]");
  assert.equal(redactHeader("Accept", "application/json"), "application/json");
  assert.equal(
    redactUrl("https://u:p@api.datadoghq.com/x?application_key=s&a=1"),
    "https://api.datadoghq.com/x?application_key=[redacted]&a=1",
  );
});

test("a header value that is not printable ASCII is a usage error, not 'cannot reach'", () =>
  withTempDir(async (dir) => {
    const env = localEnv("127.0.0.1:9", dir.path, {
      DD_API_KEY: "test-api-key",
      DD_APP_KEY: "test-app-key",
    });
    let sent = 0;
    const deps = testDeps(env, {
      fetch: () => {
        sent++;
        return Promise.resolve(new Response("{}"));
      },
    });
    for (const header of ["X-Note: caf\u20ac", "X-Note: a\u0007b", "X Bad: 1"]) {
      const r = await runPup(["api", "/api/v1/validate", "-H", header], deps);
      assert.equal(r.code, 2, `${header}: ${r.stderr}`);
      // `pup api` checks -H as it parses (lib/commands/api.ts); the client checks again.
      assert.match(r.stderr, /invalid (--header "X|value for header|header name)/);
      assert.doesNotMatch(r.stderr, /cannot reach/);
    }
    assert.equal(sent, 0);
  }));

test("every failure of an answer carries its HTTP status, for -o json's error object", () => {
  const failed = (status: number) => ({
    method: "GET",
    path: "/api/v1/monitor",
    status,
    statusText: "",
    body: '{"errors":["no"]}',
    headers: new Headers(),
    source: "session" as const,
    org: undefined,
  });
  for (const status of [301, 400, 401, 403, 404, 429, 500, 503]) {
    const err = responseError(failed(status));
    assert.equal(err.status, status, `status ${status}`);
  }
  const messages = apiMessages(() => {}, {
    method: "GET",
    path: "/x",
    url: new URL("https://api.datadoghq.com/x"),
    timeoutMs: 1000,
  }, () => "1 ms");
  assert.equal(messages.redirect!(307, "https://elsewhere.example/").status, 307);
  assert.equal(messages.redirect!(0, null).status, undefined, "an opaque redirect has no status");
  assert.equal(messages.timeout!(1000).status, undefined);
});

test("the client's own header check refuses what fetch cannot send, naming the header", () => {
  checkHeader("X-Note", "plain value\twith tab");
  for (const [name, value] of [["X-Note", "caf\u20ac"], ["X-Note", "a\u0007b"], ["X Bad", "1"]]) {
    assert.throws(() => checkHeader(name, value), (err: unknown) => {
      assert.ok(err instanceof PupError);
      assert.equal(err.code, "usage");
      assert.equal(err.exitCode, 2);
      assert.match(err.message, /^invalid (value for header "X-Note"|header name "X Bad")/);
      return true;
    });
  }
});
