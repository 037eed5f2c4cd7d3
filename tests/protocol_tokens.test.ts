import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { exchangeCode } from "../lib/auth/oauth_client.ts";
import { MAX_EXPIRES_IN_S, tokenFromAnswer } from "../lib/auth/token_answer.ts";
import { PupError } from "../lib/errors.ts";
import { FileStateStore } from "../lib/store/file_state_store.ts";
import { siteKey } from "../lib/store/state_store.ts";
import { FakeClock, settle } from "./fakes/clock.ts";
import { fetchStub, json } from "./protocol_fetch_stub.ts";
import { localEnv, runPup, testDeps, withTempDir } from "./helpers.ts";

const SITE = "127.0.0.1:9";
const YEAR = 365 * 24 * 3600;

/** Every `expires_in` a hostile or broken server may send, as raw JSON text. */
const EXTREMES: [string, number][] = [
  ["1e13", YEAR],
  ["1e300", YEAR],
  ['"1e300"', YEAR],
  ['"Infinity"', YEAR],
  ["1e400", YEAR], // JSON.parse gives Infinity
  ["-5", 3600],
  ['"NaN"', 3600],
  ['"soon"', 3600],
  ["0", 3600],
  ["null", 3600],
  ['"120"', 120],
];

test("tokenFromAnswer clamps expires_in at its extremes and never makes an invalid date", () => {
  const now = Date.UTC(2026, 0, 1);
  for (const [raw, want] of EXTREMES) {
    const t = tokenFromAnswer(JSON.parse(`{"access_token":"a","expires_in":${raw}}`), now, {
      what: "token refresh",
      status: 200,
      scope: "s",
    });
    assert.equal(t.expires_in, want, raw);
    assert.equal(Date.parse(t.expires_at), now + want * 1000, raw);
  }
  assert.equal(MAX_EXPIRES_IN_S, YEAR);
});

test("tokenFromAnswer keeps the old refresh token only when the answer brings none", () => {
  const base = { what: "token refresh", status: 200, scope: "s", refreshToken: "old" };
  assert.equal(tokenFromAnswer({ access_token: "a" }, 0, base).refresh_token, "old");
  assert.equal(
    tokenFromAnswer({ access_token: "a", refresh_token: "new" }, 0, base).refresh_token,
    "new",
  );
});

test("an access token with control or non-visible-ASCII characters is refused on arrival", () => {
  for (const bad of ["a\nb", "a\rb", "a\x1b[31m", "a b", "tök", "a\u202eb", "\x00"]) {
    assert.throws(
      () =>
        tokenFromAnswer({ access_token: bad }, 0, {
          what: "token exchange",
          status: 200,
          scope: "",
        }),
      (e: PupError) =>
        e.code === "oauth_http" && /token exchange failed: HTTP 200: the access_token has/
          .test(e.message) &&
        !e.message.includes(bad),
      JSON.stringify(bad),
    );
  }
});

test("the code exchange stores a huge expires_in clamped instead of crashing", async () => {
  for (const [raw, want] of EXTREMES) {
    const stub = fetchStub(() =>
      json(200, null, `{"access_token":"acc","refresh_token":"ref","expires_in":${raw}}`)
    );
    const clock = new FakeClock();
    const token = await exchangeCode(
      { fetch: stub.fetch, clock },
      SITE,
      { client_id: "cid", registered_at: "" },
      { code: "c", redirectUri: "http://127.0.0.1:8000/callback", verifier: "v", scope: "s" },
    );
    assert.equal(token.expires_in, want, raw);
    assert.equal(token.refresh_token, "ref");
    assert.equal(stub.seen[0].redirect, "manual");
  }
});

async function seeded(dir: string) {
  await new FileStateStore(dir).write(SITE, {
    tokens: {
      __default__: {
        access_token: "old-access",
        refresh_token: "old-refresh",
        token_type: "Bearer",
        expires_in: 3600,
        expires_at: new Date(Date.now() - 1000).toISOString(),
        scope: "monitors_read",
      },
    },
    client: { client_id: "cid", client_secret: "csecret", registered_at: "" },
  });
}

async function storedTokens(dir: string) {
  return JSON.parse(await readFile(join(dir, `tokens_${siteKey(SITE)}.json`), "utf8"));
}

for (const [raw] of EXTREMES.slice(0, 5)) {
  test(`a refresh answered with expires_in ${raw} stores the rotated refresh token`, () =>
    withTempDir(async (dir) => {
      await seeded(dir.path);
      const stub = fetchStub(() =>
        json(
          200,
          null,
          `{"access_token":"new-access","refresh_token":"rotated","expires_in":${raw}}`,
        )
      );
      const r = await runPup(
        ["auth", "refresh"],
        testDeps(localEnv(SITE, dir.path), { fetch: stub.fetch }),
      );
      assert.equal(r.code, 0, r.stderr);
      const t = (await storedTokens(dir.path)).__default__;
      assert.equal(t.refresh_token, "rotated");
      assert.equal(t.access_token, "new-access");
      assert.equal(t.expires_in, YEAR);
      assert.ok(Number.isFinite(Date.parse(t.expires_at)));
    }));
}

test("a refresh answered with a control character in the token fails and keeps the session", () =>
  withTempDir(async (dir) => {
    await seeded(dir.path);
    const stub = fetchStub(() =>
      json(200, { access_token: "new\r\nX-Evil: 1", refresh_token: "rotated", expires_in: 60 })
    );
    const r = await runPup(
      ["auth", "refresh"],
      testDeps(localEnv(SITE, dir.path), { fetch: stub.fetch }),
    );
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /token refresh failed: HTTP 200: the access_token has characters/);
    assert.equal((await storedTokens(dir.path)).__default__.refresh_token, "old-refresh");
  }));

test("a refresh answered with a redirect is refused and the refresh token is not re-sent", () =>
  withTempDir(async (dir) => {
    await seeded(dir.path);
    const stub = fetchStub((req) =>
      req.url.host === SITE
        ? new Response("", { status: 307, headers: { location: "https://evil.example/t" } })
        : json(200, { access_token: "x" })
    );
    const r = await runPup(
      ["auth", "refresh"],
      testDeps(localEnv(SITE, dir.path), { fetch: stub.fetch }),
    );
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(stub.seen.map((s) => s.url.host), [SITE]);
    assert.equal((await storedTokens(dir.path)).__default__.refresh_token, "old-refresh");
  }));

test("the code exchange stops at once when its signal aborts (Ctrl-C)", async () => {
  const hang: typeof fetch = (_input, init) =>
    new Promise((_resolve, reject) =>
      init?.signal?.addEventListener("abort", () => reject(init.signal!.reason))
    );
  const ac = new AbortController();
  const reason = new PupError("authorization_denied", "login interrupted", { exitCode: 130 });
  const exchange = exchangeCode(
    { fetch: hang, clock: new FakeClock(), signal: ac.signal },
    SITE,
    { client_id: "cid", client_secret: "secret", registered_at: "" },
    { code: "c", redirectUri: "http://127.0.0.1:8000/callback", verifier: "v", scope: "s" },
  );
  const check = assert.rejects(exchange, (e) => e === reason);
  await settle();
  ac.abort(reason);
  await check;
});

test("invalid_scope from the token endpoint is exit 4 like at the redirect: the refused scopes and the retry command", async () => {
  // It was exit 2 (a usage error) with only the flags named, while the same answer at the
  // authorize redirect is exit 4 with the command to run (CONTRACT §9: an error from the
  // authorization server is exit 4).
  const description = "scope monitors_write is \u001b[31mnot allowed for this org";
  const stub = fetchStub(() =>
    json(400, { error: "invalid_scope", error_description: description })
  );
  const params = {
    code: "c",
    redirectUri: "http://127.0.0.1:8000/callback",
    verifier: "v",
    scope: "monitors_read monitors_write",
  };
  const client = { client_id: "cid", registered_at: "" };
  const deps = { fetch: stub.fetch, clock: new FakeClock() };
  const retry = { site: SITE, org: "acme", scopes: ["monitors_read", "monitors_write"] };
  await assert.rejects(exchangeCode(deps, SITE, client, { ...params, retry }), (e: PupError) => {
    assert.equal(e.code, "invalid_scope");
    assert.equal(e.exitCode, 4);
    assert.match(
      e.message,
      /^token exchange failed: the authorization server refused the requested scopes: monitors_write \(scope monitors_write is \?\[31mnot allowed for this org\)$/,
    );
    assert.equal(
      e.hint,
      "retry without them:\n  pup auth login --site 127.0.0.1:9 --org acme --scopes monitors_read",
    );
    return true;
  });
  // Without the login's details: still exit 4, the refused scopes named, the flags to use.
  await assert.rejects(exchangeCode(deps, SITE, client, params), (e: PupError) => {
    assert.equal(e.exitCode, 4);
    assert.match(e.message, /refused the requested scopes: monitors_write \(/);
    assert.match(
      e.hint ?? "",
      /pup auth login with --scopes a,b, --extra-scopes a,b or --read-only/,
    );
    return true;
  });
});
