import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createFakeDatadog, type FakeDatadog } from "./fakes/datadog.ts";
import {
  assertNoSecretPrinted,
  localEnv,
  runPup,
  storedClient,
  storedToken,
  tempDir,
  testDeps,
  withFixture,
} from "./helpers.ts";
import { Context } from "../lib/cli/context.ts";
import { lockPath } from "../lib/store/lock.ts";
import { siteKey, type StateStore } from "../lib/store/state_store.ts";
import { refreshNow, type TokenContext, usableToken } from "../lib/session/tokens.ts";
import { FakeClock } from "./fakes/clock.ts";

const MIN = 60_000;

/** A fake Datadog and a config folder holding one session made by `issueTokens`. */
async function seeded(expiresInMs: number, key = "__default__") {
  const fake = createFakeDatadog();
  const dir = await tempDir();
  const env = localEnv(fake.site, dir.path);
  const issued = fake.issueTokens();
  const tokensPath = join(dir.path, `tokens_${siteKey(fake.site)}.json`);
  const clientPath = join(dir.path, `client_${siteKey(fake.site)}.json`);
  await writeFile(clientPath, JSON.stringify(storedClient(issued)), { mode: 0o600 });
  await writeFile(tokensPath, JSON.stringify({ [key]: storedToken(issued, expiresInMs) }), {
    mode: 0o600,
  });
  return {
    fake,
    env,
    dir: dir.path,
    issued,
    tokensPath,
    clientPath,
    tokens: async () => JSON.parse(await readFile(tokensPath, "utf8")),
    done: async () => {
      await fake.close();
      await dir.remove();
    },
  };
}

function refreshes(fake: FakeDatadog): number {
  return fake.requests.filter((r) =>
    r.path === "/oauth2/v1/token" &&
    new URLSearchParams(r.body).get("grant_type") === "refresh_token"
  ).length;
}

test("a token within five minutes of expiry is refreshed automatically before it is used", () =>
  withFixture(seeded(4 * MIN), async (t) => {
    const r = await runPup(["auth", "token"], testDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(refreshes(t.fake), 1);
    const now = (await t.tokens()).__default__;
    assert.notEqual(now.access_token, t.issued.access_token);
    assert.equal(r.stdout, now.access_token + "\n");
    assert.ok(Date.parse(now.expires_at) - Date.now() > 50 * MIN);
    // The refresh request: form-encoded, client_secret_post, the stored refresh token.
    const req = t.fake.requests.find((q) => q.path === "/oauth2/v1/token")!;
    const form = new URLSearchParams(req.body);
    assert.equal(form.get("refresh_token"), t.issued.refresh_token);
    assert.equal(form.get("client_id"), t.issued.client_id);
    assert.equal(form.get("client_secret"), t.issued.client_secret);
  }));

test("a token with more than five minutes left is used as it is, without a refresh", () =>
  withFixture(seeded(6 * MIN), async (t) => {
    const r = await runPup(["auth", "token"], testDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, t.issued.access_token + "\n");
    assert.equal(t.fake.requests.length, 0);
  }));

test("an expired token is refreshed automatically before it is used", () =>
  withFixture(seeded(-10 * MIN), async (t) => {
    const r = await runPup(["auth", "token"], testDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(refreshes(t.fake), 1);
    assert.equal(r.stdout, (await t.tokens()).__default__.access_token + "\n");
  }));

test("pup auth refresh refreshes a valid token now and prints the new expiry but no token", () =>
  withFixture(seeded(50 * MIN), async (t) => {
    const r = await runPup(["auth", "refresh"], testDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(refreshes(t.fake), 1);
    const now = (await t.tokens()).__default__;
    assert.match(r.stdout, /Refreshed: the default session on 127\.0\.0\.1:\d+/);
    assert.ok(r.stdout.includes(`Token expires ${now.expires_at}`));
    assertNoSecretPrinted([r], [now.access_token, now.refresh_token!, t.issued.client_secret!]);
  }));

test("pup auth refresh -o json reports the site, org and new expiry", () =>
  withFixture(seeded(50 * MIN, "prod"), async (t) => {
    const r = await runPup(["auth", "refresh", "--org", "prod", "-o", "json"], testDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.site, t.fake.site);
    assert.equal(j.org, "prod");
    assert.equal(j.expires_at, (await t.tokens()).prod.expires_at);
    assert.ok(j.expires_in_seconds > 3500);
  }));

test("a refresh answer without a refresh_token keeps the old refresh token", () =>
  withFixture(seeded(50 * MIN), async (t) => {
    t.fake.knobs.rotateRefreshTokens = false;
    const r = await runPup(["auth", "refresh"], testDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    const now = (await t.tokens()).__default__;
    assert.notEqual(now.access_token, t.issued.access_token);
    assert.equal(now.refresh_token, t.issued.refresh_token);
    // And the kept token still works.
    assert.equal((await runPup(["auth", "refresh"], testDeps(t.env))).code, 0);
    assert.equal(refreshes(t.fake), 2);
  }));

test("with rotation each refresh stores the new refresh token, so the next refresh works too", () =>
  withFixture(seeded(50 * MIN), async (t) => {
    const seen = new Set([t.issued.refresh_token]);
    for (let i = 0; i < 3; i++) {
      const r = await runPup(["auth", "refresh"], testDeps(t.env));
      assert.equal(r.code, 0, r.stderr);
      const rt = (await t.tokens()).__default__.refresh_token;
      assert.ok(!seen.has(rt), "the refresh token was not rotated");
      seen.add(rt);
    }
    assert.equal(t.fake.state.refreshTokens.get(t.issued.refresh_token)!.status, "rotated");
    // No reuse was detected: the family is alive.
    assert.equal([...t.fake.state.families.values()][0].revoked, false);
  }));

test("invalid_grant ends pup auth refresh with the document's Token expired message and exit 4", () =>
  withFixture(seeded(50 * MIN), async (t) => {
    t.fake.state.refreshTokens.get(t.issued.refresh_token)!.status = "revoked";
    const r = await runPup(["auth", "refresh"], testDeps(t.env));
    assert.equal(r.code, 4);
    assert.match(r.stderr, /^⚠️ Token expired$/m);
    assert.match(
      r.stderr,
      /^Run 'pup auth refresh' to refresh or 'pup auth login' to re-authenticate$/m,
    );
    assert.match(r.stderr, /invalid_grant/);
    // The failure is recorded (non-secret) on the stored token; the token is otherwise kept.
    const now = (await t.tokens()).__default__;
    assert.equal(now.refresh_error, "invalid_grant");
    assert.ok(!Number.isNaN(Date.parse(now.refresh_failed_at)));
    assert.equal(now.access_token, t.issued.access_token);
  }));

test("an automatic refresh refused with invalid_grant exits 4 with the same message", () =>
  withFixture(seeded(-1 * MIN), async (t) => {
    t.fake.state.refreshTokens.get(t.issued.refresh_token)!.status = "revoked";
    const r = await runPup(["auth", "token"], testDeps(t.env));
    assert.equal(r.code, 4);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^⚠️ Token expired$/m);
  }));

test("invalid_client at refresh exits 4 and says the client registration is no longer valid", () =>
  withFixture(seeded(50 * MIN), async (t) => {
    t.fake.knobs.failNext.push({
      path: "/oauth2/v1/token",
      status: 401,
      body: JSON.stringify({ error: "invalid_client" }),
    });
    const r = await runPup(["auth", "refresh"], testDeps(t.env));
    assert.equal(r.code, 4);
    assert.match(r.stderr, /⚠️ Token expired/);
    assert.match(r.stderr, /invalid_client/);
    assert.equal((await t.tokens()).__default__.refresh_error, "invalid_client");
  }));

test("a 500 from the token endpoint exits 1, names the cause and leaves the stored files byte for byte", () =>
  withFixture(seeded(50 * MIN), async (t) => {
    const tokensBefore = await readFile(t.tokensPath);
    const clientBefore = await readFile(t.clientPath);
    t.fake.knobs.failNext.push({ path: "/oauth2/v1/token", status: 500 });
    const r = await runPup(["auth", "refresh"], testDeps(t.env));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /token refresh failed: HTTP 500/);
    assert.deepEqual(await readFile(t.tokensPath), tokensBefore);
    assert.deepEqual(await readFile(t.clientPath), clientBefore);
  }));

test("an unreachable token endpoint exits 1, says it cannot reach it and leaves the tokens untouched", () =>
  withFixture(seeded(-1 * MIN), async (t) => {
    await t.fake.close();
    const before = await readFile(t.tokensPath);
    const r = await runPup(["auth", "token"], testDeps(t.env));
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /token refresh failed: cannot reach http:\/\/127\.0\.0\.1:\d+/);
    assert.deepEqual(await readFile(t.tokensPath), before);
  }));

test("pup auth refresh without a session exits 4 and says how to log in, without calling the server", () =>
  withFixture(seeded(50 * MIN), async (t) => {
    const r = await runPup(["auth", "refresh", "--org", "nobody"], testDeps(t.env));
    assert.equal(r.code, 4);
    assert.match(r.stderr, /not logged in: no session for org "nobody"/);
    assert.match(r.stderr, /pup auth login --org nobody/);
    assert.equal(t.fake.requests.length, 0);
  }));

test("pup auth refresh --org refreshes that named session and leaves the default one alone", () =>
  withFixture(seeded(50 * MIN), async (t) => {
    const other = t.fake.issueTokens({ clientId: t.issued.client_id });
    const all = await t.tokens();
    all.prod = storedToken(other, 50 * MIN);
    await writeFile(t.tokensPath, JSON.stringify(all));
    const r = await runPup(["auth", "refresh", "--org", "prod"], testDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    const now = await t.tokens();
    assert.deepEqual(now.__default__, all.__default__);
    assert.notEqual(now.prod.access_token, other.access_token);
  }));

test("a successful refresh clears a recorded refresh failure", () =>
  withFixture(seeded(50 * MIN), async (t) => {
    const all = await t.tokens();
    all.__default__.refresh_error = "invalid_grant";
    all.__default__.refresh_failed_at = new Date().toISOString();
    await writeFile(t.tokensPath, JSON.stringify(all));
    assert.equal((await runPup(["auth", "refresh"], testDeps(t.env))).code, 0);
    const now = (await t.tokens()).__default__;
    assert.equal(now.refresh_error, undefined);
    assert.equal(now.refresh_failed_at, undefined);
  }));

test("a token the API rejected is refreshed even though its expiry says it is good", () =>
  withFixture(seeded(50 * MIN), async (t) => {
    const ctx = new Context(testDeps(t.env), { trustSite: false, verbose: false });
    const r = await usableToken(ctx, t.fake.site, undefined, {
      rejected: t.issued.access_token,
    });
    assert.equal(r.refreshed, true);
    assert.notEqual(r.token.access_token, t.issued.access_token);
    assert.equal(refreshes(t.fake), 1);
  }));

test("a rejected token another process already replaced is not refreshed again", () =>
  withFixture(seeded(50 * MIN), async (t) => {
    const ctx = new Context(testDeps(t.env), { trustSite: false, verbose: false });
    const first = await usableToken(ctx, t.fake.site, undefined, {
      rejected: t.issued.access_token,
    });
    // A second caller that still holds the old token reports it rejected too.
    const ctx2 = new Context(testDeps(t.env), { trustSite: false, verbose: false });
    const second = await usableToken(ctx2, t.fake.site, undefined, {
      rejected: t.issued.access_token,
    });
    assert.equal(second.refreshed, false);
    assert.equal(second.token.access_token, first.token.access_token);
    assert.equal(refreshes(t.fake), 1);
  }));

test("concurrent refreshes in one process make one refresh request and agree on the token", () =>
  withFixture(seeded(-1 * MIN), async (t) => {
    // Eight callers on one clock, as processes share the machine's: time moves only when each
    // waits (for the lock), so the race is real and nothing sleeps.
    const clock = new FakeClock(Date.now());
    const runs = Array.from(
      { length: 8 },
      () => runPup(["auth", "token"], testDeps(t.env, { clock })),
    );
    await clock.run(runs);
    const results = await Promise.all(runs);
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    assert.equal(new Set(results.map((r) => r.stdout)).size, 1);
    assert.equal(refreshes(t.fake), 1);
  }));

/**
 * A fake clock that reads 1 ms later each time it is read, shared by every context as
 * processes share the machine's clock: "issued after this call began" then never ties two
 * events into one millisecond. Time moves otherwise only through `run`.
 */
class TickingClock extends FakeClock {
  #ticks = 0;
  override now(): number {
    return super.now() + ++this.#ticks;
  }
}
const tickingClock = new TickingClock(Date.now());

/**
 * A command context whose store records, for its choice and each read, whether the site's
 * lock file existed at that moment.
 */
function recordingContext(t: Awaited<ReturnType<typeof seeded>>) {
  const clock = tickingClock;
  const ctx = new Context(testDeps(t.env, { clock }), { trustSite: false, verbose: false });
  const lock = lockPath(t.dir, t.fake.site);
  const events: string[] = [];
  const held = () => (existsSync(lock) ? "locked" : "unlocked");
  let store: Promise<StateStore> | undefined;
  const tc: TokenContext = {
    deps: ctx.deps,
    dir: ctx.dir,
    globals: ctx.globals,
    lockDeps: ctx.lockDeps,
    oauth: ctx.oauth,
    config: () => ctx.config(),
    store: () => {
      events.push(`choose ${held()}`);
      return store ??= ctx.store().then((s): StateStore => ({
        kind: s.kind,
        location: s.location,
        read: (site, options) => {
          events.push(`read ${held()}`);
          return s.read(site, options);
        },
        write: (site, state) => s.write(site, state),
      }));
    },
  };
  return { tc, events };
}

test("a forced refresh takes the site's lock first, then chooses the store and reads the entry once", () =>
  withFixture(seeded(50 * MIN), async (t) => {
    const { tc, events } = recordingContext(t);
    const r = await usableToken(tc, t.fake.site, undefined, { force: true });
    assert.equal(r.refreshed, true);
    assert.notEqual(r.token.access_token, t.issued.access_token);
    // One read, under the lock: with the lock taken first it is CONTRACT §8's re-read. On the
    // Secret Service the store's choice is a search that serves that read: one process.
    assert.deepEqual(events, ["choose locked", "read locked"]);
    assert.equal(refreshes(t.fake), 1);
    assert.equal((await t.tokens()).__default__.access_token, r.token.access_token);
  }));

test("a forced refresh of a missing session says not logged in before the trust check or any request", () =>
  withFixture(seeded(50 * MIN), async (t) => {
    const { tc } = recordingContext(t);
    let checked = 0;
    await assert.rejects(
      refreshNow(tc, t.fake.site, "nobody", {
        beforeRefresh: () => Promise.resolve(void checked++),
      }),
      /not logged in: no session for org "nobody"/,
    );
    assert.equal(checked, 0);
    assert.equal(t.fake.requests.length, 0);
    assert.ok(!existsSync(lockPath(t.dir, t.fake.site)), "the lock was left behind");
  }));

test("a refused trust check under the lock sends nothing and releases the lock", () =>
  withFixture(seeded(50 * MIN), async (t) => {
    const { tc } = recordingContext(t);
    const before = await readFile(t.tokensPath);
    await assert.rejects(
      refreshNow(tc, t.fake.site, undefined, {
        beforeRefresh: () => Promise.reject(new Error("not trusted")),
      }),
      /not trusted/,
    );
    assert.equal(t.fake.requests.length, 0);
    assert.deepEqual(await readFile(t.tokensPath), before);
    assert.ok(!existsSync(lockPath(t.dir, t.fake.site)), "the lock was left behind");
  }));

test("concurrent forced refreshes make one refresh request and agree on the token", () =>
  withFixture(seeded(50 * MIN), async (t) => {
    const pending = Array.from(
      { length: 6 },
      () => refreshNow(recordingContext(t).tc, t.fake.site, undefined),
    );
    await tickingClock.run(pending); // time moves only when each waits for the lock
    const results = await Promise.all(pending);
    assert.equal(refreshes(t.fake), 1);
    assert.equal(results.filter((r) => r.refreshed).length, 1);
    assert.equal(new Set(results.map((r) => r.token.access_token)).size, 1);
    assert.notEqual(results[0].token.access_token, t.issued.access_token);
  }));

test("a forced refresh after another one finished refreshes again", () =>
  withFixture(seeded(50 * MIN), async (t) => {
    const first = await refreshNow(recordingContext(t).tc, t.fake.site, undefined);
    const second = await refreshNow(recordingContext(t).tc, t.fake.site, undefined);
    assert.equal(first.refreshed && second.refreshed, true);
    assert.notEqual(second.token.access_token, first.token.access_token);
    assert.equal(refreshes(t.fake), 2);
  }));

test("a stored token whose expires_in and expires_at put its issue in the future is refreshed", () =>
  withFixture(seeded(50 * MIN), async (t) => {
    const all = await t.tokens();
    // 2 hours left on a 1-hour token: "issued" an hour from now — not another process's refresh.
    all.__default__.expires_at = new Date(Date.now() + 120 * MIN).toISOString();
    await writeFile(t.tokensPath, JSON.stringify(all));
    const r = await refreshNow(recordingContext(t).tc, t.fake.site, undefined);
    assert.equal(r.refreshed, true);
    assert.equal(refreshes(t.fake), 1);
  }));
