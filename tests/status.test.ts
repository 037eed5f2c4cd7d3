import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createFakeDatadogCore, fakeDatadogApp } from "./fakes/datadog.ts";
import { FakeServe, fetchVia } from "./fakes/serve.ts";
import { localEnv, runPup, tempDir, type TestDeps, testDeps, withFixture } from "./helpers.ts";
import { siteKey } from "../lib/store/state_store.ts";
import type { Deps } from "../lib/deps.ts";
import { safeText } from "../lib/text.ts";
import { summarizeScopes } from "../lib/commands/auth_status.ts";

/** Nothing listens there: every request goes to the fake app, the callback to the fake serve. */
const SITE = "127.0.0.1:9";

async function loggedIn(args: string[] = []) {
  const fake = createFakeDatadogCore();
  const app = fakeDatadogApp(fake);
  const net = new FakeServe();
  const dir = await tempDir();
  const env = localEnv(SITE, dir.path);
  const deps = (e: Record<string, string | undefined> = env, more: Partial<Deps> = {}): TestDeps =>
    testDeps(e, { fetch: fetchVia(app), serve: net.serve, launch: net.browser(app), ...more });
  const r = await runPup(["auth", "login", ...args], deps());
  assert.equal(r.code, 0, r.stderr);
  return {
    fake,
    env,
    deps,
    dir: dir.path,
    tokensPath: join(dir.path, `tokens_${siteKey(SITE)}.json`),
    done: () => dir.remove(),
  };
}

test("auth status -o json describes a usable session and exits 0", () =>
  withFixture(
    loggedIn(["--org", "prod", "--org-uuid", "11111111-2222-3333-4444-555555555555"]),
    async (t) => {
      const r = await runPup(["auth", "status", "--org", "prod", "-o", "json"], t.deps());
      assert.equal(r.code, 0, r.stderr);
      const s = JSON.parse(r.stdout);
      assert.equal(s.authenticated, true);
      assert.equal(s.status, "valid");
      assert.equal(s.site, SITE);
      assert.equal(s.org, "prod");
      assert.equal(s.org_uuid, "11111111-2222-3333-4444-555555555555");
      assert.equal(s.token_storage, "file");
      assert.equal(s.storage_location, t.dir);
      assert.ok(s.expires_in_seconds > 3500 && s.expires_in_seconds <= 3600);
      const tokens = JSON.parse(await readFile(t.tokensPath, "utf8"));
      assert.ok(!r.stdout.includes(tokens.prod.access_token));
      assert.ok(!r.stdout.includes(tokens.prod.refresh_token));
    },
  ));

test("auth status without a session says so, tells how to log in, and exits 4", () =>
  withFixture(loggedIn(), async (t) => {
    const r = await runPup(["auth", "status", "--org", "other"], t.deps());
    assert.equal(r.code, 4);
    assert.match(r.stdout, /Not authenticated/);
    assert.match(r.stdout, /pup auth login --org other/);
    const j = await runPup(["auth", "status", "--org", "other", "-o", "json"], t.deps());
    assert.equal(j.code, 4);
    assert.equal(JSON.parse(j.stdout).authenticated, false);
  }));

test("auth status refreshes a token within five minutes of expiry and stays usable", () =>
  withFixture(loggedIn(), async (t) => {
    const tokens = JSON.parse(await readFile(t.tokensPath, "utf8"));
    tokens.__default__.expires_at = new Date(Date.now() + 60_000).toISOString();
    await writeFile(t.tokensPath, JSON.stringify(tokens));
    const r = await runPup(["auth", "status", "-o", "json"], t.deps());
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).status, "valid (refreshed)");
    assert.equal(t.fake.count("POST", "/oauth2/v1/token"), 2);
  }));

test("auth status of an expired session whose refresh token was revoked exits 4", () =>
  withFixture(loggedIn(), async (t) => {
    const tokens = JSON.parse(await readFile(t.tokensPath, "utf8"));
    tokens.__default__.expires_at = new Date(Date.now() - 1000).toISOString();
    tokens.__default__.refresh_token = "not-a-valid-refresh-token";
    await writeFile(t.tokensPath, JSON.stringify(tokens));
    const r = await runPup(["auth", "status"], t.deps());
    assert.equal(r.code, 4);
    assert.match(r.stdout, /token expired/);
  }));

test("auth status --site wins over DD_SITE", () =>
  withFixture(loggedIn(), async (t) => {
    const r = await runPup(
      ["auth", "status", "--site", "datadoghq.eu", "-o", "json"],
      t.deps(),
    );
    assert.equal(r.code, 4);
    assert.equal(JSON.parse(r.stdout).site, "datadoghq.eu");
  }));

test("auth status -o yaml prints YAML", () =>
  withFixture(loggedIn(), async (t) => {
    const r = await runPup(["auth", "status", "-o", "yaml"], t.deps());
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^authenticated: true$/m);
  }));

test("a tokens file or folder open to others is tightened to 0600 / 0700 when read", () =>
  withFixture(loggedIn(), async (t) => {
    const { chmod, stat } = await import("node:fs/promises");
    await chmod(t.tokensPath, 0o644);
    await chmod(t.dir, 0o755);
    const r = await runPup(["auth", "status"], t.deps());
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await stat(t.tokensPath)).mode & 0o777, 0o600);
    const again = await runPup(["auth", "login"], t.deps());
    assert.equal(again.code, 0);
    assert.equal((await stat(t.dir)).mode & 0o777, 0o700);
  }));

const HOSTILE = [
  "\u001b]52;c;SGVsbG8=\u0007", // OSC 52: write the clipboard
  "\u001b]0;pwned\u001b\\", // OSC 0: set the window title
  "\u001b[2J\u001b[31m", // CSI: clear the screen, turn red
  "\u009b31m", // a C1 CSI
];
const BIDI = ["\u202e", "\u2066", "\u2067", "\u2068", "\u2069"];

async function hostileSession(t: Awaited<ReturnType<typeof loggedIn>>, extra: string[]) {
  const tokens = JSON.parse(await readFile(t.tokensPath, "utf8"));
  tokens.prod.scope = `monitors_read ${extra.join("x ")}x dashboards_read`;
  await writeFile(t.tokensPath, JSON.stringify(tokens));
  const sessionsFile = join(t.dir, "sessions.json");
  const sessions = JSON.parse(await readFile(sessionsFile, "utf8"));
  sessions[0].org_uuid = `1111${extra.join("")}-uuid`;
  await writeFile(sessionsFile, JSON.stringify(sessions));
}

test("auth status neutralises terminal escapes in the server's scope and the stored org UUID", async () => {
  // Issue 9 defect 3: the scope and the Org UUID line were printed raw.
  const t = await loggedIn(["--org", "prod", "--org-uuid", "11111111-2222-3333-4444-555555555555"]);
  try {
    await hostileSession(t, HOSTILE);
    const r = await runPup(["auth", "status", "--org", "prod", "-o", "table"], t.deps());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Org UUID: +1111/);
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(r.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    assert.match(r.stdout, /\\u001b\]52;c;SGVsbG8=\\u0007/, "shown as visible escapes");
  } finally {
    await t.done();
  }
});

test(
  "auth status neutralises bidi overrides in the scope and org UUID",
  {
    // The neutraliser (lib/text.ts, engineer "session") learns bidi controls in its own change;
    // this test runs as soon as it does.
    skip: BIDI.some((c) => safeText(c) === c) ? "safeText does not neutralise bidi yet" : false,
  },
  () =>
    withFixture(
      loggedIn(["--org", "prod", "--org-uuid", "11111111-2222-3333-4444-555555555555"]),
      async (t) => {
        await hostileSession(t, BIDI);
        const r = await runPup(["auth", "status", "--org", "prod", "-o", "table"], t.deps());
        assert.equal(r.code, 0, r.stderr);
        for (const c of BIDI) assert.ok(!r.stdout.includes(c), `U+${c.charCodeAt(0).toString(16)}`);
      },
    ),
);

test("the table view summarises scopes; -o json keeps the full array", async () => {
  const { DEFAULT_SCOPES, READ_ONLY_SCOPES } = await import("../lib/auth/scopes.ts");
  const t = await loggedIn();
  try {
    const table = await runPup(["auth", "status", "-o", "table"], t.deps());
    assert.match(
      table.stdout,
      new RegExp(`^  Scopes: +${DEFAULT_SCOPES.length} \\(the default set\\)$`, "m"),
    );
    assert.match(table.stdout, /pup auth scopes/);
    const json = JSON.parse((await runPup(["auth", "status", "-o", "json"], t.deps())).stdout);
    assert.deepEqual(json.scopes, [...DEFAULT_SCOPES]);
  } finally {
    await t.done();
  }
  assert.equal(
    summarizeScopes([...READ_ONLY_SCOPES, "a_x", "b_y"]),
    "the read-only set + 2: a_x, b_y",
  );
  assert.equal(
    summarizeScopes([...READ_ONLY_SCOPES]),
    `${READ_ONLY_SCOPES.length} (the read-only set)`,
  );
  assert.equal(
    summarizeScopes(DEFAULT_SCOPES.filter((s) => s !== "monitors_write")),
    "the default set without 1: monitors_write",
  );
  assert.equal(
    summarizeScopes(["monitors_read", "dashboards_read"]),
    "monitors_read, dashboards_read",
  );
  assert.equal(summarizeScopes([]), "(none)");
  assert.match(
    summarizeScopes(Array.from({ length: 20 }, (_, i) => `s${i}_read`)),
    /^20: s0_read, s1_read, s2_read, …$/,
  );
});

test("the auth status -o json schema is stable: these fields, these types", () =>
  withFixture(loggedIn(), async (t) => {
    const s = JSON.parse((await runPup(["auth", "status", "-o", "json"], t.deps())).stdout);
    assert.deepEqual(Object.keys(s), [
      "authenticated",
      "status",
      "site",
      "org",
      "org_uuid",
      "expires_at",
      "expires_in_seconds",
      "scopes",
      "token_storage",
      "storage_location",
    ]);
    assert.equal(typeof s.authenticated, "boolean");
    assert.equal(typeof s.expires_in_seconds, "number");
    assert.ok(Array.isArray(s.scopes));
  }));

test("auth status takes no positional argument", () =>
  withFixture(loggedIn(), async (t) => {
    const r = await runPup(["auth", "status", "extra"], t.deps());
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unexpected argument "extra" for 'pup auth status'/);
  }));

test("an org named like an Object prototype key is not logged in until it logs in", async () => {
  // Issue 9, second pass: `auth status --org constructor` reported a session that does not exist.
  const t = await loggedIn();
  try {
    for (const org of ["constructor", "toString", "valueOf", "hasOwnProperty"]) {
      const r = await runPup(["auth", "status", "--org", org, "-o", "json"], t.deps());
      assert.equal(r.code, 4, `${org}: ${r.stdout}${r.stderr}`);
      assert.equal(JSON.parse(r.stdout).authenticated, false);
    }
  } finally {
    await t.done();
  }
});
