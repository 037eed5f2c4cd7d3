import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createFakeDatadog } from "./fakes/datadog.ts";
import { runPup, tempDir, testDeps, withTempDir } from "./helpers.ts";
import type { SessionEntry } from "../lib/session/sessions.ts";
import { siteKey } from "../lib/store/state_store.ts";

const MIN = 60_000;
const EU = "datadoghq.eu";
const US1 = "datadoghq.com";
const UUID = "11111111-2222-3333-4444-555555555555";

function token(expiresInMs: number, extra: Record<string, unknown> = {}) {
  return {
    access_token: `at-${Math.random().toString(36).slice(2)}`,
    refresh_token: `rt-${Math.random().toString(36).slice(2)}`,
    token_type: "Bearer",
    expires_in: 3600,
    expires_at: new Date(Date.now() + expiresInMs).toISOString(),
    scope: "monitors_read dashboards_read logs_read_data",
    ...extra,
  };
}

/** A config folder with sessions.json, tokens and (optionally) client files written directly. */
async function folder(
  sessions: SessionEntry[],
  tokens: Record<string, Record<string, unknown>>,
  clients: string[] = Object.keys(tokens),
) {
  const dir = await tempDir();
  await writeFile(join(dir.path, "sessions.json"), JSON.stringify(sessions));
  for (const [site, t] of Object.entries(tokens)) {
    await writeFile(join(dir.path, `tokens_${siteKey(site)}.json`), JSON.stringify(t));
  }
  for (const site of clients) {
    await writeFile(
      join(dir.path, `client_${siteKey(site)}.json`),
      JSON.stringify({ client_id: "cid", client_secret: "cs-secret" }),
    );
  }
  return {
    dir: dir.path,
    env: { PUP_CONFIG_DIR: dir.path, HOME: dir.path, DD_TOKEN_STORAGE: "file" } as Record<
      string,
      string
    >,
    remove: dir.remove,
  };
}

async function listJson(env: Record<string, string>) {
  const r = await runPup(["auth", "list", "-o", "json"], testDeps(env));
  assert.equal(r.code, 0, r.stderr);
  return { ...JSON.parse(r.stdout), stderr: r.stderr };
}

test("auth list shows every session with site, org, org_uuid, scope count, expiry and status", async () => {
  const valid = token(50 * MIN);
  const f = await folder(
    [{ site: US1, org: null }, { site: US1, org: "prod", org_uuid: UUID }],
    { [US1]: { __default__: valid, prod: token(40 * MIN) } },
  );
  try {
    const r = await runPup(["auth", "list", "-o", "table"], testDeps(f.env));
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n");
    assert.match(lines[0], /^SITE\s+ORG\s+ORG UUID\s+SCOPES\s+EXPIRES\s+STATUS$/);
    assert.match(lines[1], /^datadoghq\.com\s+\(default\)\s+3\s+\S+Z \(in (49|50)m\)\s+valid$/);
    assert.match(lines[2], new RegExp(`^datadoghq\\.com\\s+prod\\s+${UUID}\\s+3\\s+.*valid$`));
    assert.ok(!r.stdout.includes(valid.access_token) && !r.stdout.includes(valid.refresh_token));
    assert.ok(!r.stdout.includes("cs-secret"));
  } finally {
    await f.remove();
  }
});

test("auth list -o json lists scopes in full and names the storage", async () => {
  const t = token(50 * MIN);
  const f = await folder([{ site: EU, org: "eu", org_uuid: UUID }], { [EU]: { eu: t } });
  try {
    const j = await listJson(f.env);
    assert.equal(j.token_storage, "file");
    assert.equal(j.storage_location, f.dir);
    assert.deepEqual(j.sessions, [{
      site: EU,
      org: "eu",
      org_uuid: UUID,
      scopes: ["monitors_read", "dashboards_read", "logs_read_data"],
      expires_at: t.expires_at,
      status: "valid",
    }]);
  } finally {
    await f.remove();
  }
});

test("a token within five minutes of expiry is listed as expiring", async () => {
  const f = await folder([{ site: US1, org: null }], { [US1]: { __default__: token(4 * MIN) } });
  try {
    assert.equal((await listJson(f.env)).sessions[0].status, "expiring");
  } finally {
    await f.remove();
  }
});

test("a token past its expiry is listed as expired", async () => {
  const f = await folder([{ site: US1, org: null }], { [US1]: { __default__: token(-MIN) } });
  try {
    assert.equal((await listJson(f.env)).sessions[0].status, "expired");
  } finally {
    await f.remove();
  }
});

test("a token whose last refresh was refused is listed as refresh failed, with the reason", async () => {
  const failedAt = new Date().toISOString();
  const f = await folder([{ site: US1, org: "prod" }], {
    [US1]: {
      prod: token(30 * MIN, { refresh_error: "invalid_grant", refresh_failed_at: failedAt }),
    },
  });
  try {
    const row = (await listJson(f.env)).sessions[0];
    assert.equal(row.status, "refresh failed");
    assert.equal(row.refresh_error, "invalid_grant");
    assert.equal(row.refresh_failed_at, failedAt);
    const table = await runPup(["auth", "list", "-o", "table"], testDeps(f.env));
    assert.match(table.stdout, /refresh failed \(invalid_grant\)/);
  } finally {
    await f.remove();
  }
});

test("a refresh that failed for want of client credentials stops counting once a client exists", async () => {
  const marked = token(30 * MIN, {
    refresh_error: "client_missing",
    refresh_failed_at: new Date().toISOString(),
  });
  const f = await folder([{ site: US1, org: "prod" }], { [US1]: { prod: marked } }, []);
  try {
    assert.equal((await listJson(f.env)).sessions[0].status, "refresh failed");
    await writeFile(
      join(f.dir, `client_${siteKey(US1)}.json`),
      JSON.stringify({ client_id: "new" }),
    );
    assert.equal((await listJson(f.env)).sessions[0].status, "valid");
  } finally {
    await f.remove();
  }
});

test("a recorded session without a token is listed as not logged in", async () => {
  const f = await folder([{ site: US1, org: null }, { site: US1, org: "gone" }], {
    [US1]: { __default__: token(50 * MIN) },
  });
  try {
    const rows = (await listJson(f.env)).sessions;
    assert.deepEqual(rows.map((r: { org: string | null; status: string }) => [r.org, r.status]), [
      [null, "valid"],
      ["gone", "not logged in"],
    ]);
  } finally {
    await f.remove();
  }
});

test("auth list covers every site in sessions.json and tokens it does not record", async () => {
  const f = await folder(
    [{ site: US1, org: null }, { site: EU, org: "eu" }],
    { [US1]: { __default__: token(50 * MIN), orphan: token(50 * MIN) }, [EU]: { eu: token(-MIN) } },
  );
  try {
    const rows = (await listJson(f.env)).sessions;
    assert.deepEqual(
      rows.map((r: { site: string; org: string | null; status: string }) => [
        r.site,
        r.org,
        r.status,
      ]),
      [[US1, null, "valid"], [US1, "orphan", "valid"], [EU, "eu", "expired"]],
    );
  } finally {
    await f.remove();
  }
});

test("auth list also reads the DD_SITE site when sessions.json does not name it", async () => {
  const f = await folder([], { [EU]: { __default__: token(50 * MIN) } });
  try {
    const rows = (await listJson({ ...f.env, DD_SITE: EU })).sessions;
    assert.equal(rows.length, 1);
    assert.equal(rows[0].site, EU);
  } finally {
    await f.remove();
  }
});

test("auth list neither refreshes nor calls the network", async () => {
  const fake = createFakeDatadog();
  const expired = token(-MIN);
  const f = await folder([{ site: fake.site, org: null }], {
    [fake.site]: { __default__: expired },
  });
  try {
    const path = join(f.dir, `tokens_${siteKey(fake.site)}.json`);
    const before = await readFile(path);
    const r = await runPup(["auth", "list"], testDeps({ ...f.env, DD_SITE: fake.site }));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fake.requests.length, 0);
    assert.deepEqual(await readFile(path), before);
  } finally {
    await fake.close();
    await f.remove();
  }
});

test("auth list says where tokens are stored and warns that plain files are used", async () => {
  const f = await folder([{ site: US1, org: null }], { [US1]: { __default__: token(50 * MIN) } });
  try {
    const r = await runPup(["auth", "list", "-o", "table"], testDeps(f.env));
    assert.ok(r.stdout.includes(`Tokens are stored in plain files under ${f.dir} (mode 0600).`));
    assert.match(r.stderr, /⚠️ No OS keychain holds these tokens/);
  } finally {
    await f.remove();
  }
});

test("auth list with no sessions says how to log in and exits 0", () =>
  withTempDir(async (dir) => {
    const env = { PUP_CONFIG_DIR: dir.path, HOME: dir.path, DD_TOKEN_STORAGE: "file" };
    const r = await runPup(["auth", "list", "-o", "table"], testDeps(env));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /No sessions\. Run 'pup auth login' to log in\./);
    const j = await listJson(env);
    assert.deepEqual(j.sessions, []);
  }));

test("auth list -o yaml prints YAML", async () => {
  const f = await folder([{ site: US1, org: null }], { [US1]: { __default__: token(50 * MIN) } });
  try {
    const r = await runPup(["auth", "list", "-o", "yaml"], testDeps(f.env));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^token_storage: file$/m);
    assert.match(r.stdout, /status: valid/);
  } finally {
    await f.remove();
  }
});

test("a site whose tokens file is unreadable is reported with its path; the others are listed", async () => {
  const f = await folder(
    [{ site: US1, org: null }, { site: EU, org: "eu" }],
    { [US1]: { __default__: token(50 * MIN) } },
  );
  try {
    const bad = join(f.dir, `tokens_${siteKey(EU)}.json`);
    await writeFile(bad, "{oops");
    const r = await runPup(["auth", "list", "-o", "json"], testDeps(f.env));
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(bad));
    assert.equal(JSON.parse(r.stdout).sessions.length, 1);
    assert.equal(await readFile(bad, "utf8"), "{oops");
  } finally {
    await f.remove();
  }
});

test("a refresh refused by the server shows up in auth list as refresh failed", async () => {
  const fake = createFakeDatadog();
  const issued = fake.issueTokens();
  const f = await folder([{ site: fake.site, org: null }], {
    [fake.site]: {
      __default__: {
        access_token: issued.access_token,
        refresh_token: issued.refresh_token,
        token_type: "Bearer",
        expires_in: 3600,
        expires_at: new Date(Date.now() + 50 * MIN).toISOString(),
        scope: issued.scope,
      },
    },
  }, []);
  try {
    await writeFile(
      join(f.dir, `client_${siteKey(fake.site)}.json`),
      JSON.stringify({ client_id: issued.client_id, client_secret: issued.client_secret }),
    );
    const env = { ...f.env, DD_SITE: fake.site, PUP_TRUST_SITE: "1" };
    fake.state.refreshTokens.get(issued.refresh_token)!.status = "revoked";
    assert.equal((await runPup(["auth", "refresh"], testDeps(env))).code, 4);
    const row = (await listJson(env)).sessions[0];
    assert.equal(row.status, "refresh failed");
    assert.equal(row.refresh_error, "invalid_grant");
  } finally {
    await fake.close();
    await f.remove();
  }
});

// Issue 9: text that forges output. Every field a file holds reaches the screen neutralised.
const HOSTILE = "u\x1b]52;c;cHduZWQ=\x07\x1b[2J\u202e\u2066evil\u2069\r\nprod  FORGED  ROW";
// deno-lint-ignore no-control-regex
const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/u;

test("a newline or escape in a table cell cannot forge a row or reach the terminal", async () => {
  const f = await folder(
    [{ site: US1, org: "prod", org_uuid: HOSTILE }],
    { [US1]: { prod: token(50 * MIN, { scope: `a ${HOSTILE}` }) } },
  );
  try {
    const r = await runPup(["auth", "list", "-o", "table"], testDeps(f.env));
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.equal(lines.filter((l) => l.includes("FORGED")).length, 1, r.stdout);
    assert.ok(!lines.some((l) => l.startsWith("prod")), `a forged row: ${r.stdout}`);
    assert.doesNotMatch(r.stdout, RAW);
    assert.ok(lines[1].includes("\\u001b]52;c;cHduZWQ=\\u0007"), lines[1]);
    assert.ok(lines[1].includes("\\u202e\\u2066evil\\u2069\\u000d\\u000aprod"), lines[1]);
  } finally {
    await f.remove();
  }
});

test("auth list -o json and -o yaml escape bidi and control characters, keeping the value", async () => {
  const f = await folder(
    [{ site: US1, org: "prod", org_uuid: HOSTILE }],
    { [US1]: { prod: token(50 * MIN) } },
  );
  try {
    const json = await runPup(["auth", "list", "-o", "json"], testDeps(f.env));
    assert.doesNotMatch(json.stdout, RAW);
    assert.ok(json.stdout.includes("\\u202e"));
    assert.equal(JSON.parse(json.stdout).sessions[0].org_uuid, HOSTILE);
    const yaml = await runPup(["auth", "list", "-o", "yaml"], testDeps(f.env));
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.doesNotMatch(yaml.stdout, RAW);
    const { parse } = await import("yaml");
    assert.equal(parse(yaml.stdout).sessions[0].org_uuid, HOSTILE);
  } finally {
    await f.remove();
  }
});
