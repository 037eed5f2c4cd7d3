import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createFakeDatadog, type FakeDatadog, oauthMetadata } from "./fakes/datadog.ts";
import {
  assertNoSecretPrinted,
  localEnv,
  runPup,
  tempDir,
  testDeps,
  withFixture,
} from "./helpers.ts";
import { siteKey } from "../lib/store/state_store.ts";

/** A fake Datadog and a config folder where `logins` (org names, "" = default) logged in. */
async function loggedIn(logins: string[]) {
  const fake = createFakeDatadog();
  const dir = await tempDir();
  const env = localEnv(fake.site, dir.path);
  for (const org of logins) {
    const r = await runPup(
      ["auth", "login", ...(org ? ["--org", org] : [])],
      testDeps(env),
    );
    assert.equal(r.code, 0, r.stderr);
  }
  return {
    fake,
    env,
    dir: dir.path,
    ...paths(dir.path, fake),
    done: async () => {
      await fake.close();
      await dir.remove();
    },
  };
}

function paths(dir: string, fake: FakeDatadog) {
  const key = siteKey(fake.site);
  return {
    tokensPath: join(dir, `tokens_${key}.json`),
    clientPath: join(dir, `client_${key}.json`),
    sessionsPath: join(dir, "sessions.json"),
  };
}

async function json(path: string) {
  return JSON.parse(await readFile(path, "utf8"));
}

async function exists(path: string): Promise<boolean> {
  return await stat(path).then(() => true, () => false);
}

function login(env: Record<string, string>, org?: string) {
  return runPup(
    ["auth", "login", ...(org ? ["--org", org] : [])],
    testDeps(env),
  );
}

test("logout of the default session deletes its token and the site's client credentials", () =>
  withFixture(loggedIn(["", "prod"]), async (t) => {
    const prodBefore = (await json(t.tokensPath)).prod;
    const r = await runPup(["auth", "logout"], testDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Logged out: the default session on 127\.0\.0\.1:\d+/);
    assert.equal(await exists(t.clientPath), false);
    assert.deepEqual(await json(t.tokensPath), { prod: prodBefore });
    assert.deepEqual(await json(t.sessionsPath), [{ site: t.fake.site, org: "prod" }]);
  }));

test("logout of the default session warns that named sessions on the site cannot refresh", () =>
  withFixture(loggedIn(["", "prod", "staging"]), async (t) => {
    const r = await runPup(["auth", "logout"], testDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Removed pup's client registration/);
    assert.match(r.stderr, /\(prod, staging\) keep their access tokens but cannot refresh/);
  }));

test("logout of the only session removes the tokens file and the client file", () =>
  withFixture(loggedIn([""]), async (t) => {
    const r = await runPup(["auth", "logout"], testDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await exists(t.tokensPath), false);
    assert.equal(await exists(t.clientPath), false);
    assert.deepEqual(await json(t.sessionsPath), []);
  }));

test("logout --org deletes that session only and leaves the client credentials untouched", () =>
  withFixture(loggedIn(["", "prod", "staging"]), async (t) => {
    const clientBefore = await readFile(t.clientPath);
    const before = await json(t.tokensPath);
    const r = await runPup(["auth", "logout", "--org", "staging"], testDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Logged out: org "staging"/);
    assert.deepEqual(await readFile(t.clientPath), clientBefore);
    assert.deepEqual(await json(t.tokensPath), {
      __default__: before.__default__,
      prod: before.prod,
    });
    assert.deepEqual(await json(t.sessionsPath), [
      { site: t.fake.site, org: null },
      { site: t.fake.site, org: "prod" },
    ]);
    // The others still work, refresh included.
    assert.equal((await runPup(["auth", "refresh", "--org", "prod"], testDeps(t.env))).code, 0);
    assert.equal((await runPup(["auth", "refresh"], testDeps(t.env))).code, 0);
  }));

test("DD_ORG selects the session to log out like --org", () =>
  withFixture(loggedIn(["", "prod"]), async (t) => {
    const r = await runPup(["auth", "logout"], testDeps({ ...t.env, DD_ORG: "prod" }));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(Object.keys(await json(t.tokensPath)), ["__default__"]);
    assert.equal(await exists(t.clientPath), true);
  }));

test("logout takes no --site flag: it is a usage error that names the flag", () =>
  withFixture(loggedIn([""]), async (t) => {
    const r = await runPup(["auth", "logout", "--site", t.fake.site], testDeps(t.env));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--site/);
    assert.equal(await exists(t.tokensPath), true);
  }));

test("DD_SITE picks which site's default session logout clears", async () => {
  const a = await loggedIn([""]);
  const b = createFakeDatadog();
  try {
    const envB = { ...a.env, DD_SITE: b.site };
    assert.equal((await login(envB)).code, 0);
    const pb = paths(a.dir, b);
    const r = await runPup(["auth", "logout"], testDeps(envB));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await exists(pb.tokensPath), false);
    assert.equal(await exists(pb.clientPath), false);
    assert.equal(await exists(a.tokensPath), true);
    assert.equal(await exists(a.clientPath), true);
    assert.deepEqual(await json(a.sessionsPath), [{ site: a.fake.site, org: null }]);
  } finally {
    await b.close();
    await a.done();
  }
});

test("without DD_SITE logout finds a named session's site in sessions.json", async () => {
  const a = await loggedIn([""]);
  const b = createFakeDatadog();
  try {
    assert.equal((await login({ ...a.env, DD_SITE: b.site }, "eu-prod")).code, 0);
    const env = { ...a.env, DD_SITE: undefined };
    const r = await runPup(["auth", "logout", "--org", "eu-prod"], testDeps(env));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`org "eu-prod" on ${b.site.replaceAll(".", "\\.")}`));
    assert.equal(await exists(paths(a.dir, b).tokensPath), false);
    assert.equal(await exists(paths(a.dir, b).clientPath), true);
  } finally {
    await b.close();
    await a.done();
  }
});

test("after the default logout a named sibling's next refresh fails, without a network call", () =>
  withFixture(loggedIn(["", "prod"]), async (t) => {
    assert.equal((await runPup(["auth", "logout"], testDeps(t.env))).code, 0);
    const requests = t.fake.requests.length;
    // Its access token is still there and still printed...
    const tok = await runPup(["auth", "token", "--org", "prod"], testDeps(t.env));
    assert.equal(tok.code, 0, tok.stderr);
    // ...but it cannot be refreshed: the client credentials are gone.
    const r = await runPup(["auth", "refresh", "--org", "prod"], testDeps(t.env));
    assert.equal(r.code, 4);
    assert.match(r.stderr, /⚠️ Token expired/);
    assert.match(r.stderr, /client credentials are gone/);
    assert.equal(t.fake.requests.length, requests);
  }));

test("the next login on the site, of any org, registers pup again and the siblings' refresh is sent with it", () =>
  withFixture(loggedIn(["", "prod"]), async (t) => {
    assert.equal((await runPup(["auth", "logout"], testDeps(t.env))).code, 0);
    assert.equal((await runPup(["auth", "refresh", "--org", "prod"], testDeps(t.env))).code, 4);
    // A login of another named org re-registers (a second DCR request) and stores the client.
    assert.equal((await login(t.env, "staging")).code, 0);
    assert.equal(t.fake.count("POST", "/api/v2/oauth2/register"), 2);
    const client = await json(t.clientPath);
    assert.equal(client.client_id, [...t.fake.state.clients.values()][1].client_id);
    // The new registration's sessions refresh.
    assert.equal((await runPup(["auth", "refresh", "--org", "staging"], testDeps(t.env))).code, 0);
    // The sibling's refresh now goes out with the new client. A server that binds refresh
    // tokens to their client (RFC 6749 §6, as Datadog's and this fake do) refuses the old one,
    // and pup says to log in again.
    const before = t.fake.count("POST", "/oauth2/v1/token");
    const r = await runPup(["auth", "refresh", "--org", "prod"], testDeps(t.env));
    assert.equal(t.fake.count("POST", "/oauth2/v1/token"), before + 1);
    const sent = new URLSearchParams(t.fake.requests.at(-1)!.body);
    assert.equal(sent.get("client_id"), client.client_id);
    assert.equal(r.code, 4);
    assert.match(r.stderr, /Run 'pup auth refresh' to refresh or 'pup auth login'/);
    // Logging that org in again makes it refreshable like the others.
    assert.equal((await login(t.env, "prod")).code, 0);
    assert.equal((await runPup(["auth", "refresh", "--org", "prod"], testDeps(t.env))).code, 0);
    assert.equal(t.fake.count("POST", "/api/v2/oauth2/register"), 2);
  }));

test("as the document promises, siblings refresh again after the next login re-registers, where the server accepts the new client", () =>
  withFixture(loggedIn(["", "prod"]), async (t) => {
    t.fake.knobs.bindRefreshTokensToClient = false;
    assert.equal((await runPup(["auth", "logout"], testDeps(t.env))).code, 0);
    assert.equal((await runPup(["auth", "refresh", "--org", "prod"], testDeps(t.env))).code, 4);
    assert.equal((await login(t.env, "staging")).code, 0);
    const r = await runPup(["auth", "refresh", "--org", "prod"], testDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    const sent = new URLSearchParams(t.fake.requests.at(-1)!.body);
    assert.equal(sent.get("client_id"), (await json(t.clientPath)).client_id);
  }));

test("a default login after the default logout registers again too", () =>
  withFixture(loggedIn([""]), async (t) => {
    assert.equal((await runPup(["auth", "logout"], testDeps(t.env))).code, 0);
    assert.equal((await login(t.env)).code, 0);
    assert.equal(t.fake.count("POST", "/api/v2/oauth2/register"), 2);
    assert.equal((await runPup(["auth", "refresh"], testDeps(t.env))).code, 0);
  }));

test("logout revokes the refresh token first where the server's metadata offers revocation", () =>
  withFixture(loggedIn(["prod"]), async (t) => {
    t.fake.knobs.metadata = oauthMetadata(t.fake.url);
    const token = (await json(t.tokensPath)).prod;
    const client = await json(t.clientPath);
    const r = await runPup(["auth", "logout", "--org", "prod"], testDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Revoked the refresh token/);
    const revoke = t.fake.requests.filter((q) => q.path === "/oauth2/v1/revoke");
    assert.equal(revoke.length, 1);
    assert.match(revoke[0].headers["content-type"], /application\/x-www-form-urlencoded/);
    const form = new URLSearchParams(revoke[0].body);
    assert.equal(form.get("token"), token.refresh_token);
    assert.equal(form.get("token_type_hint"), "refresh_token");
    assert.equal(form.get("client_id"), client.client_id);
    assert.equal(form.get("client_secret"), client.client_secret);
    assert.equal(t.fake.state.refreshTokens.get(token.refresh_token)!.status, "revoked");
    assertNoSecretPrinted([r], [token.refresh_token, token.access_token, client.client_secret!]);
  }));

test("a failed revocation only warns: the session is still logged out locally", () =>
  withFixture(loggedIn([""]), async (t) => {
    t.fake.knobs.metadata = oauthMetadata(t.fake.url);
    t.fake.knobs.failNext.push({ path: "/oauth2/v1/revoke", status: 503 });
    const r = await runPup(["auth", "logout"], testDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /⚠️ Could not revoke the token .*HTTP 503/);
    assert.equal(await exists(t.tokensPath), false);
    assert.equal(await exists(t.clientPath), false);
  }));

test("without metadata (as Datadog today) logout makes no revocation request", () =>
  withFixture(loggedIn([""]), async (t) => {
    const r = await runPup(["auth", "logout"], testDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(t.fake.count("POST", "/oauth2/v1/revoke"), 0);
    assert.equal(t.fake.count("GET", "/.well-known/oauth-authorization-server"), 1);
  }));

test("a revocation endpoint on another host is not sent the refresh token", () =>
  withFixture(loggedIn([""]), async (t) => {
    t.fake.knobs.metadata = {
      ...oauthMetadata(t.fake.url),
      revocation_endpoint: "http://127.0.0.1:9/oauth2/v1/revoke",
    };
    const r = await runPup(["auth", "logout"], testDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Not revoking/);
    assert.equal(await exists(t.tokensPath), false);
  }));

test("logging out of a session that does not exist says so, changes nothing and exits 0", () =>
  withFixture(loggedIn([""]), async (t) => {
    const tokens = await readFile(t.tokensPath);
    const client = await readFile(t.clientPath);
    const sessions = await readFile(t.sessionsPath);
    const r = await runPup(["auth", "logout", "--org", "ghost"], testDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Not logged in to org "ghost" on .*nothing to log out/);
    assert.deepEqual(await readFile(t.tokensPath), tokens);
    assert.deepEqual(await readFile(t.clientPath), client);
    assert.deepEqual(await readFile(t.sessionsPath), sessions);
  }));

test("logging out twice is idempotent: the second time exits 0 too", () =>
  withFixture(loggedIn(["", "prod"]), async (t) => {
    assert.equal((await runPup(["auth", "logout", "--org", "prod"], testDeps(t.env))).code, 0);
    const again = await runPup(["auth", "logout", "--org", "prod"], testDeps(t.env));
    assert.equal(again.code, 0);
    assert.match(again.stdout, /nothing to log out/);
  }));

test("a default logout with no default session keeps the client the named sessions need", () =>
  withFixture(loggedIn(["prod"]), async (t) => {
    const r = await runPup(["auth", "logout"], testDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /nothing to log out/);
    assert.equal(await exists(t.clientPath), true);
    assert.equal((await runPup(["auth", "refresh", "--org", "prod"], testDeps(t.env))).code, 0);
  }));

test("a session recorded in sessions.json without a token leaves the registry on logout", () =>
  withFixture(loggedIn([""]), async (t) => {
    await writeFile(
      t.sessionsPath,
      JSON.stringify([{ site: t.fake.site, org: null }, { site: t.fake.site, org: "stale" }]),
    );
    const r = await runPup(["auth", "logout", "--org", "stale"], testDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /removed its entry from sessions\.json/);
    assert.deepEqual(await json(t.sessionsPath), [{ site: t.fake.site, org: null }]);
  }));

test("logout -o json reports what it removed", () =>
  withFixture(loggedIn(["", "prod"]), async (t) => {
    const r = await runPup(["auth", "logout", "-o", "json"], testDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      site: t.fake.site,
      org: null,
      logged_out: true,
      revocation: "not_offered",
      client_removed: true,
      sessions_without_client: ["prod"],
    });
  }));

test("logout from a site that is not trusted still removes the session, without revoking", () =>
  withFixture(loggedIn([""]), async (t) => {
    t.fake.knobs.metadata = oauthMetadata(t.fake.url);
    const requests = t.fake.requests.length;
    const r = await runPup(["auth", "logout"], testDeps({ ...t.env, PUP_TRUST_SITE: undefined }));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Not revoking .*not trusted/);
    assert.equal(t.fake.requests.length, requests);
    assert.equal(await exists(t.tokensPath), false);
  }));

test("a malformed tokens file stops logout with its path, and the file is not touched", () =>
  withFixture(loggedIn([""]), async (t) => {
    await writeFile(t.tokensPath, "{torn");
    const r = await runPup(["auth", "logout"], testDeps(t.env));
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(t.tokensPath));
    assert.match(r.stderr, /not valid JSON/);
    assert.match(r.stderr, /move the file aside/);
    assert.equal(await readFile(t.tokensPath, "utf8"), "{torn");
    assert.equal(await exists(t.clientPath), true);
  }));
