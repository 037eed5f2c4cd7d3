import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startFakeDatadog } from "./fakes/datadog.ts";
import { fetchingBrowser, localEnv, runPup, tempDir, testDeps } from "./helpers.ts";
import { siteKey } from "../lib/store/state_store.ts";

async function loggedIn(args: string[] = []) {
  const fake = await startFakeDatadog();
  const dir = await tempDir();
  const env = localEnv(fake.site, dir.path);
  const r = await runPup(["auth", "login", ...args], testDeps(env, { launch: fetchingBrowser }));
  assert.equal(r.code, 0, r.stderr);
  return {
    fake,
    env,
    dir: dir.path,
    tokensPath: join(dir.path, `tokens_${siteKey(fake.site)}.json`),
    done: async () => {
      await fake.close();
      await dir.remove();
    },
  };
}

test("auth status -o json describes a usable session and exits 0", async () => {
  const t = await loggedIn(["--org", "prod", "--org-uuid", "11111111-2222-3333-4444-555555555555"]);
  try {
    const r = await runPup(["auth", "status", "--org", "prod", "-o", "json"], testDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.authenticated, true);
    assert.equal(s.status, "valid");
    assert.equal(s.site, t.fake.site);
    assert.equal(s.org, "prod");
    assert.equal(s.org_uuid, "11111111-2222-3333-4444-555555555555");
    assert.equal(s.token_storage, "file");
    assert.equal(s.storage_location, t.dir);
    assert.ok(s.expires_in_seconds > 3500 && s.expires_in_seconds <= 3600);
    const tokens = JSON.parse(await readFile(t.tokensPath, "utf8"));
    assert.ok(!r.stdout.includes(tokens.prod.access_token));
    assert.ok(!r.stdout.includes(tokens.prod.refresh_token));
  } finally {
    await t.done();
  }
});

test("auth status without a session says so, tells how to log in, and exits 4", async () => {
  const t = await loggedIn();
  try {
    const r = await runPup(["auth", "status", "--org", "other"], testDeps(t.env));
    assert.equal(r.code, 4);
    assert.match(r.stdout, /Not authenticated/);
    assert.match(r.stdout, /pup auth login --org other/);
    const j = await runPup(["auth", "status", "--org", "other", "-o", "json"], testDeps(t.env));
    assert.equal(j.code, 4);
    assert.equal(JSON.parse(j.stdout).authenticated, false);
  } finally {
    await t.done();
  }
});

test("auth status refreshes a token within five minutes of expiry and stays usable", async () => {
  const t = await loggedIn();
  try {
    const tokens = JSON.parse(await readFile(t.tokensPath, "utf8"));
    tokens.__default__.expires_at = new Date(Date.now() + 60_000).toISOString();
    await writeFile(t.tokensPath, JSON.stringify(tokens));
    const r = await runPup(["auth", "status", "-o", "json"], testDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).status, "valid (refreshed)");
    assert.equal(t.fake.count("POST", "/oauth2/v1/token"), 2);
  } finally {
    await t.done();
  }
});

test("auth status of an expired session whose refresh token was revoked exits 4", async () => {
  const t = await loggedIn();
  try {
    const tokens = JSON.parse(await readFile(t.tokensPath, "utf8"));
    tokens.__default__.expires_at = new Date(Date.now() - 1000).toISOString();
    tokens.__default__.refresh_token = "not-a-valid-refresh-token";
    await writeFile(t.tokensPath, JSON.stringify(tokens));
    const r = await runPup(["auth", "status"], testDeps(t.env));
    assert.equal(r.code, 4);
    assert.match(r.stdout, /token expired/);
  } finally {
    await t.done();
  }
});

test("auth status --site wins over DD_SITE", async () => {
  const t = await loggedIn();
  try {
    const r = await runPup(
      ["auth", "status", "--site", "datadoghq.eu", "-o", "json"],
      testDeps(t.env),
    );
    assert.equal(r.code, 4);
    assert.equal(JSON.parse(r.stdout).site, "datadoghq.eu");
  } finally {
    await t.done();
  }
});

test("auth status -o yaml prints YAML", async () => {
  const t = await loggedIn();
  try {
    const r = await runPup(["auth", "status", "-o", "yaml"], testDeps(t.env));
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^authenticated: true$/m);
  } finally {
    await t.done();
  }
});

test("a tokens file or folder open to others is tightened to 0600 / 0700 when read", async () => {
  const t = await loggedIn();
  try {
    const { chmod, stat } = await import("node:fs/promises");
    await chmod(t.tokensPath, 0o644);
    await chmod(t.dir, 0o755);
    const r = await runPup(["auth", "status"], testDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await stat(t.tokensPath)).mode & 0o777, 0o600);
    const again = await runPup(["auth", "login"], testDeps(t.env, { launch: fetchingBrowser }));
    assert.equal(again.code, 0);
    assert.equal((await stat(t.dir)).mode & 0o777, 0o700);
  } finally {
    await t.done();
  }
});
