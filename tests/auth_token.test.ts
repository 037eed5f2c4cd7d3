import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createFakeDatadogCore, fakeDatadogApp } from "./fakes/datadog.ts";
import { fetchVia } from "./fakes/serve.ts";
import {
  localEnv,
  runPup,
  storedToken,
  tempDir,
  type TestDeps,
  testDeps,
  withFixture,
  withTempDir,
} from "./helpers.ts";
import { siteKey } from "../lib/store/state_store.ts";
import type { Deps } from "../lib/deps.ts";
import { FakeClock } from "./fakes/clock.ts";

const MIN = 60_000;
/** Nothing listens there: every request goes to the fake app. */
const SITE = "127.0.0.1:9";

/** A fake Datadog and a config folder with a default and a "prod" session. */
async function seeded(expiresInMs = 50 * MIN) {
  const fake = createFakeDatadogCore();
  const fetch = fetchVia(fakeDatadogApp(fake));
  const dir = await tempDir();
  const env = localEnv(SITE, dir.path);
  const main = fake.issueTokens();
  const prod = fake.issueTokens({ clientId: main.client_id });
  const key = siteKey(SITE);
  await writeFile(
    join(dir.path, `client_${key}.json`),
    JSON.stringify({ client_id: main.client_id, client_secret: main.client_secret }),
  );
  const tokensPath = join(dir.path, `tokens_${key}.json`);
  await writeFile(
    tokensPath,
    JSON.stringify({
      __default__: storedToken(main, expiresInMs),
      prod: storedToken(prod, expiresInMs),
    }),
  );
  return {
    fake,
    env,
    deps: (e: Record<string, string | undefined> = env, more: Partial<Deps> = {}) =>
      testDeps(e, { fetch, ...more }),
    dir: dir.path,
    main,
    prod,
    tokensPath,
    done: () => dir.remove(),
  };
}

function ttyDeps(t: { deps: (e?: Record<string, string | undefined>) => TestDeps }) {
  const deps = t.deps();
  deps.io.stdoutIsTTY = true;
  deps.io.stderrIsTTY = true;
  return deps;
}

test("auth token into a pipe prints the access token and a newline, and nothing else", () =>
  withFixture(seeded(), async (t) => {
    const r = await runPup(["auth", "token"], t.deps());
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${t.main.access_token}\n`);
    assert.equal(r.stderr, "");
  }));

test("auth token on a terminal prints no token, says how to use it and exits 0", () =>
  withFixture(seeded(), async (t) => {
    const r = await runPup(["auth", "token"], ttyDeps(t));
    assert.equal(r.code, 0);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /\$\(pup auth token\)/);
    assert.match(r.stderr, /--show/);
    for (const s of [t.main.access_token, t.main.refresh_token, t.prod.access_token]) {
      assert.ok(!r.stderr.includes(s), "a token was printed to the terminal");
    }
  }));

test("auth token on a terminal with an expired token neither prints nor refreshes it", () =>
  withFixture(seeded(-5 * MIN), async (t) => {
    const r = await runPup(["auth", "token"], ttyDeps(t));
    assert.equal(r.code, 0);
    assert.equal(r.stdout, "");
    assert.equal(t.fake.requests.length, 0);
  }));

test("auth token --show prints the token even on a terminal", () =>
  withFixture(seeded(), async (t) => {
    const r = await runPup(["auth", "token", "--show"], ttyDeps(t));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${t.main.access_token}\n`);
  }));

test("auth token --org prints that named session's token", () =>
  withFixture(seeded(), async (t) => {
    const r = await runPup(["auth", "token", "--org", "prod"], t.deps());
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${t.prod.access_token}\n`);
  }));

test("DD_ORG selects the session for auth token like --org", () =>
  withFixture(seeded(), async (t) => {
    const r = await runPup(["auth", "token"], t.deps({ ...t.env, DD_ORG: "prod" }));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${t.prod.access_token}\n`);
  }));

test("auth token refreshes a token within five minutes of expiry and prints the new one", () =>
  withFixture(seeded(2 * MIN), async (t) => {
    const r = await runPup(["auth", "token"], t.deps());
    assert.equal(r.code, 0, r.stderr);
    const now = JSON.parse(await readFile(t.tokensPath, "utf8")).__default__;
    assert.notEqual(now.access_token, t.main.access_token);
    assert.equal(r.stdout, `${now.access_token}\n`);
    assert.equal(t.fake.count("POST", "/oauth2/v1/token"), 1);
  }));

test("auth token without a session exits 4 with guidance and prints nothing on stdout", () =>
  withFixture(seeded(), async (t) => {
    for (const deps of [t.deps(), ttyDeps(t)]) {
      const r = await runPup(["auth", "token", "--org", "staging"], deps);
      assert.equal(r.code, 4);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /not logged in: no session for org "staging"/);
      assert.match(r.stderr, /pup auth login --org staging/);
    }
  }));

test("auth token with nothing stored at all exits 4", () =>
  withTempDir(async (dir) => {
    const r = await runPup(["auth", "token"], testDeps(localEnv("127.0.0.1:9", dir.path)));
    assert.equal(r.code, 4);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /pup auth login/);
  }));

test("auth token does not send a refresh token to an untrusted site", () =>
  withFixture(seeded(-5 * MIN), async (t) => {
    const r = await runPup(["auth", "token"], t.deps({ ...t.env, PUP_TRUST_SITE: undefined }));
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /refusing to send credentials/);
    assert.equal(t.fake.requests.length, 0);
  }));

test("auth token rejects a positional argument as a usage error", () =>
  withFixture(seeded(), async (t) => {
    const r = await runPup(["auth", "token", "extra"], t.deps());
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
  }));

/** Runs `pup auth token` through its parse + run (the flags --json and --min-ttl are parsed
 * here directly until the command table declares them). */
async function token(deps: TestDeps, values: Record<string, string | boolean>) {
  const mod = await import("../lib/commands/auth_token.ts");
  const { Context } = await import("../lib/cli/context.ts");
  const { report } = await import("../lib/cli/run.ts");
  let code: number;
  try {
    const options = mod.parse({ values, positionals: [] });
    code = await mod.run(options, new Context(deps, { trustSite: false, verbose: false }));
  } catch (err) {
    code = report(deps, err);
  }
  return { code, stdout: deps.stdout(), stderr: deps.stderr() };
}

test("auth token --json prints one object with the token, expiry, site, org and scopes", () =>
  withFixture(seeded(), async (t) => {
    const r = await token(t.deps(), { json: true });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.endsWith("}\n") && r.stdout.split("\n").length === 2);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(doc), ["access_token", "expires_at", "site", "org", "scopes"]);
    assert.equal(doc.access_token, t.main.access_token);
    assert.equal(doc.site, SITE);
    assert.equal(doc.org, null);
    assert.deepEqual(doc.scopes, t.main.scope.split(" "));
    assert.equal(r.stderr, "");
  }));

test("auth token --json on a terminal prints nothing secret, like the plain token", () =>
  withFixture(seeded(), async (t) => {
    const r = await token(ttyDeps(t), { json: true });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, "");
    assert.ok(!r.stderr.includes(t.main.access_token));
  }));

test("auth token --min-ttl refreshes first when the token expires sooner, once", () =>
  withFixture(seeded(20 * MIN), async (t) => {
    const keep = await token(t.deps(), { "min-ttl": "600" });
    assert.equal(keep.stdout, `${t.main.access_token}\n`, "20 minutes left is more than 600 s");
    assert.equal(t.fake.count("POST", "/oauth2/v1/token"), 0);
    const r = await token(t.deps(), { "min-ttl": "1800" });
    assert.equal(r.code, 0, r.stderr);
    const now = JSON.parse(await readFile(t.tokensPath, "utf8")).__default__;
    assert.notEqual(now.access_token, t.main.access_token);
    assert.equal(r.stdout, `${now.access_token}\n`);
    assert.equal(t.fake.count("POST", "/oauth2/v1/token"), 1);
    // The new token lives an hour: a second caller with the same --min-ttl makes no refresh.
    const again = await token(t.deps(), { "min-ttl": "1800" });
    assert.equal(again.stdout, `${now.access_token}\n`);
    assert.equal(t.fake.count("POST", "/oauth2/v1/token"), 1);
  }));

test("five concurrent auth token --min-ttl callers make exactly one refresh", async () => {
  // --min-ttl is judged under the site's lock after the re-read (usableToken's minTtlMs), so
  // the callers that waited find the token the first one fetched.
  const t = await seeded(20 * MIN);
  try {
    // Five callers on one clock: time moves only when each waits for the lock.
    const clock = new FakeClock(Date.now());
    const pending = Array.from(
      { length: 5 },
      () => token(t.deps(t.env, { clock }), { "min-ttl": "1800" }),
    );
    await clock.run(pending);
    const runs = await Promise.all(pending);
    assert.equal(t.fake.count("POST", "/oauth2/v1/token"), 1);
    const now = JSON.parse(await readFile(t.tokensPath, "utf8")).__default__;
    assert.notEqual(now.access_token, t.main.access_token);
    for (const r of runs) {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${now.access_token}\n`);
    }
  } finally {
    await t.done();
  }
});

test("auth token --min-ttl longer than the server's tokens live says so on stderr", () =>
  withFixture(seeded(20 * MIN), async (t) => {
    const r = await token(t.deps(), { "min-ttl": "7200" });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /sooner than --min-ttl 7200/);
    assert.equal(t.fake.count("POST", "/oauth2/v1/token"), 1);
    // The fresh token lives as long as the server gives: asking again makes no second refresh.
    const again = await token(t.deps(), { "min-ttl": "7200" });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(t.fake.count("POST", "/oauth2/v1/token"), 1);
    assert.match(again.stderr, /sooner than --min-ttl 7200/);
  }));

test("a bad --min-ttl is a usage error naming the value", () =>
  withFixture(seeded(), async (t) => {
    for (const v of ["-1", "abc", "1.5", "99999999999"]) {
      const r = await token(t.deps(), { "min-ttl": v });
      assert.equal(r.code, 2, v);
      assert.match(r.stderr, /invalid --min-ttl/);
    }
  }));

test("auth token --org constructor is not logged in and leaves the tokens file as it was", async () => {
  // Issue 9, second pass: it wrote into the site's tokens file, breaking every session there.
  const t = await seeded(2 * MIN);
  try {
    const before = await readFile(t.tokensPath, "utf8");
    for (const org of ["constructor", "toString", "__proto__"]) {
      const r = await runPup(["auth", "token", "--org", org], t.deps());
      assert.notEqual(r.code, 0, org);
      assert.equal(r.stdout, "");
    }
    assert.equal(await readFile(t.tokensPath, "utf8"), before);
  } finally {
    await t.done();
  }
});

test("a site planted in sessions.json gets no refresh token from auth token or auth status", async () => {
  // Issue 9 defect 1 reaching these commands: "127.0.0.1#.datadoghq.com" passed the trust gate
  // as Datadog's, and the refresh went to 127.0.0.1.
  const planted = "127.0.0.1#.datadoghq.com";
  const fake = createFakeDatadogCore();
  return await withTempDir(async (dir) => {
    const issued = fake.issueTokens();
    const key = siteKey(planted);
    await writeFile(
      join(dir.path, `client_${key}.json`),
      JSON.stringify({ client_id: issued.client_id, client_secret: issued.client_secret }),
    );
    await writeFile(
      join(dir.path, `tokens_${key}.json`),
      JSON.stringify({ victim: storedToken(issued, MIN) }),
    );
    await writeFile(
      join(dir.path, "sessions.json"),
      JSON.stringify([{ site: planted, org: "victim" }]),
    );
    const sent: string[] = [];
    const env = { ...localEnv(SITE, dir.path), DD_SITE: undefined, PUP_TRUST_SITE: undefined };
    const deps = () =>
      testDeps(env, {
        fetch: (input) => {
          sent.push(String(input));
          return Promise.reject(new TypeError("fetch failed"));
        },
      });
    // The invalid site makes sessions.json malformed: exit 1, naming the file (CONTRACT §1, §9).
    const tok = await runPup(["auth", "token", "--org", "victim"], deps());
    assert.equal(tok.code, 1, tok.stderr);
    assert.ok(tok.stderr.includes("sessions.json"), tok.stderr);
    assert.equal(tok.stdout, "");
    const status = await runPup(["auth", "status", "--org", "victim"], deps());
    assert.equal(status.code, 1, status.stderr);
    assert.ok(status.stderr.includes("sessions.json"), status.stderr);
    assert.deepEqual(sent, [], "nothing may be sent anywhere");
  });
});
