/**
 * End to end: the compiled binary runs each API command against the fake Datadog, with a stored
 * OAuth session (files laid out as CONTRACT §7 says) or with API keys. Exit codes are checked,
 * and no token, refresh token, client secret or key appears in any output.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type FakeDatadog } from "../fakes/datadog.ts";
import {
  assertNoSecretPrinted,
  type BinaryRun,
  localEnv,
  NO_BINARY,
  recordingBinary,
  runBinary as pup,
  seedSession,
  withFakeDatadogServer,
} from "../helpers.ts";
import { siteKey } from "../../lib/store/state_store.ts";

const skip = NO_BINARY;
const KEYS = { DD_API_KEY: "e2e-api-key-value", DD_APP_KEY: "e2e-app-key-value" };
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/** Writes a default session for the fake's site as `pup auth login` leaves it in file mode. */
async function storeSession(fake: FakeDatadog, dir: string, ttlSeconds = 3600) {
  const t = fake.issueTokens({ ttlSeconds });
  await seedSession(dir, fake.site, t);
  return t;
}

function assertNoSecrets(fake: FakeDatadog, runs: BinaryRun[]) {
  assertNoSecretPrinted(runs, [KEYS.DD_API_KEY, KEYS.DD_APP_KEY, ...fake.secrets()]);
}

test(
  "the binary runs every API command with a stored session",
  { skip },
  () =>
    withFakeDatadogServer(async (fake, dir) => {
      await storeSession(fake, dir.path);
      const { run, runs } = recordingBinary(localEnv(fake.site, dir.path));

      const api = await run(["api", "/api/v1/validate"]);
      assert.equal(api.code, 0, api.stderr);
      assert.deepEqual(JSON.parse(api.stdout), { valid: true });

      const monitors = await run(["monitors", "list"]);
      assert.equal(monitors.code, 0, monitors.stderr);
      assert.match(monitors.stdout, /^ID\s+NAME\s+TYPE\s+STATE\s+TAGS\n/);
      assert.ok(!CONTROL.test(monitors.stdout));

      const monitorsJson = await run(["monitors", "list", "--limit", "2", "-o", "json"]);
      assert.equal(monitorsJson.code, 0, monitorsJson.stderr);
      assert.equal(JSON.parse(monitorsJson.stdout).length, 2);

      const logs = await run(["logs", "query", "--query", "service:payments", "--from", "1h"]);
      assert.equal(logs.code, 0, logs.stderr);
      assert.match(logs.stdout, /^TIMESTAMP\s+STATUS\s+SERVICE\s+HOST\s+MESSAGE\n/);
      assert.match(logs.stdout, /payments/);

      const metrics = await run([
        "metrics",
        "query",
        "--query",
        "avg:system.cpu.user{*}",
        "-o",
        "yaml",
      ]);
      assert.equal(metrics.code, 0, metrics.stderr);
      assert.match(metrics.stdout, /^status: ok$/m);

      const missing = await run(["api", "/api/v1/monitor/999999"]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /404.*Monitor not found/);

      const usage = await run(["logs", "query"]);
      assert.equal(usage.code, 2);

      for (const r of runs) {
        assert.ok(!r.stderr.includes("unexpected failure"), r.stderr);
      }
      assertNoSecrets(fake, runs);
      // Every API call carried the session's bearer token and pup's User-Agent.
      const apiCalls = fake.requests.filter((r) => r.path.startsWith("/api/"));
      assert.ok(apiCalls.length >= 6);
      for (const r of apiCalls) {
        assert.match(r.headers.authorization, /^Bearer fake_at_/);
        assert.match(
          r.headers["user-agent"],
          /^pup\/\d+\.\d+\.\d+ \(bun [\d.]+; os \w+; arch \w+\)$/,
        );
      }
    }),
);

test(
  "the binary uses API keys when there is no session",
  { skip },
  () =>
    withFakeDatadogServer(async (fake, dir) => {
      fake.knobs.apiKey = KEYS.DD_API_KEY;
      fake.knobs.appKey = KEYS.DD_APP_KEY;
      const r = await pup(["monitors", "list", "--name", "cpu", "-o", "json"], {
        ...localEnv(fake.site, dir.path),
        ...KEYS,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout).map((m: { id: number }) => m.id), [1001]);
      const [req] = fake.requests;
      assert.equal(req.headers["dd-api-key"], KEYS.DD_API_KEY);
      assert.equal(req.headers.authorization, undefined);
      assertNoSecrets(fake, [r]);
    }),
);

test(
  "the binary exits 4 with guidance when not authenticated",
  { skip },
  () =>
    withFakeDatadogServer(async (fake, dir) => {
      const r = await pup(["api", "/api/v1/validate"], localEnv(fake.site, dir.path));
      assert.equal(r.code, 4);
      assert.match(r.stderr, /not logged in/);
      assert.match(r.stderr, /pup auth login/);
      assert.match(r.stderr, /DD_API_KEY and DD_APP_KEY/);
      assert.equal(fake.requests.length, 0);
    }),
);

test("the binary refreshes a rejected token once, stores it, and redacts it in -v output", {
  skip,
}, () =>
  withFakeDatadogServer(async (fake, dir) => {
    const issued = await storeSession(fake, dir.path);
    fake.expireAccessToken(issued.access_token);
    fake.knobs.rateLimitNext = 1; // and one 429 (Retry-After: 1) on the way
    const r = await pup(["api", "/api/v1/validate", "-v"], localEnv(fake.site, dir.path));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fake.count("POST", "/oauth2/v1/token"), 1);
    assert.match(r.stderr, /> Authorization: Bearer \[redacted\]/);
    assert.match(r.stderr, /< 401/);
    assert.match(r.stderr, /\* 429: waiting 1 s before retry 1 of 3/);
    assert.match(r.stderr, /< 200 OK/);
    const stored = JSON.parse(
      await readFile(join(dir.path, `tokens_${siteKey(fake.site)}.json`), "utf8"),
    ).__default__;
    assert.notEqual(stored.access_token, issued.access_token);
    assertNoSecrets(fake, [r]);
  }));

test(
  "the binary refuses to send credentials to an untrusted site",
  { skip },
  () =>
    withFakeDatadogServer(async (fake, dir) => {
      const env: Record<string, string> = { ...localEnv(fake.site, dir.path), ...KEYS };
      delete env.PUP_TRUST_SITE;
      const r = await pup(["monitors", "list"], env);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /refusing to send credentials/);
      assert.equal(fake.requests.length, 0);
      assertNoSecrets(fake, [r]);
    }),
);
