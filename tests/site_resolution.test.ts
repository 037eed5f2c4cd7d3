import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runPup, tempDir, type TestDeps, testDeps } from "./helpers.ts";
import { Context } from "../lib/cli/context.ts";
import { resolveTarget } from "../lib/session/resolve.ts";
import type { SessionEntry } from "../lib/session/sessions.ts";
import { siteKey } from "../lib/store/state_store.ts";

const EU = "datadoghq.eu";
const AP2 = "ap2.datadoghq.com";
const US1 = "datadoghq.com";

/** A config folder with `sessions` recorded (and a valid token for each, so commands run). */
async function folder(sessions: SessionEntry[], config?: string) {
  const dir = await tempDir();
  await writeFile(join(dir.path, "sessions.json"), JSON.stringify(sessions));
  if (config !== undefined) await writeFile(join(dir.path, "config.yaml"), config);
  const bySite = new Map<string, Record<string, unknown>>();
  for (const s of sessions) {
    const tokens = bySite.get(s.site) ?? {};
    tokens[s.org ?? "__default__"] = {
      access_token: `token-of-${s.org ?? "default"}-at-${s.site}`,
      token_type: "Bearer",
      expires_in: 3600,
      expires_at: new Date(Date.now() + 3600_000).toISOString(),
      scope: "monitors_read",
    };
    bySite.set(s.site, tokens);
  }
  for (const [site, tokens] of bySite) {
    await writeFile(join(dir.path, `tokens_${siteKey(site)}.json`), JSON.stringify(tokens));
  }
  const env = (extra: Record<string, string> = {}) => ({
    PUP_CONFIG_DIR: dir.path,
    HOME: dir.path,
    DD_TOKEN_STORAGE: "file",
    ...extra,
  });
  return { dir: dir.path, env, remove: dir.remove };
}

function context(deps: TestDeps, org?: string): Context {
  return new Context(deps, { org, trustSite: false, verbose: false });
}

async function resolve(env: Record<string, string>, org?: string) {
  const deps = testDeps(env);
  const target = await resolveTarget(context(deps, org));
  return { ...target, stderr: deps.stderr() };
}

test("DD_SITE is used when set, over the site sessions.json records for the org", async () => {
  const f = await folder([{ site: EU, org: "prod" }]);
  try {
    const r = await resolve(f.env({ DD_SITE: AP2 }), "prod");
    assert.equal(r.site, AP2);
    assert.equal(r.siteSource, "env");
  } finally {
    await f.remove();
  }
});

test("site: in config.yaml is used when DD_SITE is not set", async () => {
  const f = await folder([{ site: EU, org: "prod" }], `site: ${AP2}\n`);
  try {
    const r = await resolve(f.env(), "prod");
    assert.equal(r.site, AP2);
    assert.equal(r.siteSource, "config");
  } finally {
    await f.remove();
  }
});

test("DD_SITE wins over site: in config.yaml", async () => {
  const f = await folder([], `site: ${AP2}\n`);
  try {
    assert.equal((await resolve(f.env({ DD_SITE: EU }))).site, EU);
  } finally {
    await f.remove();
  }
});

test("an org that exactly one session has resolves to that session's site", async () => {
  const f = await folder([{ site: US1, org: null }, { site: AP2, org: "ap2-prod" }]);
  try {
    const r = await resolve(f.env(), "ap2-prod");
    assert.equal(r.site, AP2);
    assert.equal(r.siteSource, "sessions");
    assert.equal(r.stderr, "");
  } finally {
    await f.remove();
  }
});

test("an org that sessions on two sites share is ambiguous: pup warns and uses datadoghq.com", async () => {
  const f = await folder([{ site: EU, org: "prod" }, { site: AP2, org: "prod" }]);
  try {
    const r = await resolve(f.env(), "prod");
    assert.equal(r.site, US1);
    assert.equal(r.siteSource, "default");
    assert.match(r.stderr, /⚠️ Org "prod" has sessions on several sites/);
    assert.match(r.stderr, new RegExp(`${AP2.replaceAll(".", "\\.")}`));
    assert.match(r.stderr, /Set DD_SITE to choose one/);
  } finally {
    await f.remove();
  }
});

test("an ambiguous org with DD_SITE set resolves to DD_SITE without a warning", async () => {
  const f = await folder([{ site: EU, org: "prod" }, { site: AP2, org: "prod" }]);
  try {
    const r = await resolve(f.env({ DD_SITE: EU }), "prod");
    assert.equal(r.site, EU);
    assert.equal(r.stderr, "");
  } finally {
    await f.remove();
  }
});

test("an org that no session has resolves to datadoghq.com", async () => {
  const f = await folder([{ site: EU, org: "prod" }, { site: EU, org: null }]);
  try {
    const r = await resolve(f.env(), "unknown");
    assert.equal(r.site, US1);
    assert.equal(r.siteSource, "default");
  } finally {
    await f.remove();
  }
});

test("with no org, the one default session's site is used", async () => {
  const f = await folder([{ site: EU, org: null }, { site: AP2, org: "ap2-prod" }]);
  try {
    const r = await resolve(f.env());
    assert.equal(r.site, EU);
    assert.equal(r.org, undefined);
    assert.equal(r.siteSource, "sessions");
  } finally {
    await f.remove();
  }
});

test("with no org and default sessions on two sites, pup warns and uses datadoghq.com", async () => {
  const f = await folder([{ site: EU, org: null }, { site: AP2, org: null }]);
  try {
    const r = await resolve(f.env());
    assert.equal(r.site, US1);
    assert.match(r.stderr, /⚠️ Default sessions exist on several sites/);
    assert.match(r.stderr, /Set DD_SITE/);
  } finally {
    await f.remove();
  }
});

test("with no org, named sessions alone do not pick a site: datadoghq.com", async () => {
  const f = await folder([{ site: EU, org: "prod" }]);
  try {
    assert.equal((await resolve(f.env())).site, US1);
  } finally {
    await f.remove();
  }
});

test("with nothing recorded and nothing set the site is datadoghq.com", async () => {
  const f = await folder([]);
  try {
    const r = await resolve(f.env());
    assert.equal(r.site, US1);
    assert.equal(r.siteSource, "default");
  } finally {
    await f.remove();
  }
});

test("DD_ORG selects the org like --org, and --org wins over it", async () => {
  const f = await folder([{ site: EU, org: "eu-org" }, { site: AP2, org: "ap2-org" }]);
  try {
    assert.equal((await resolve(f.env({ DD_ORG: "eu-org" }))).site, EU);
    const both = await resolve(f.env({ DD_ORG: "eu-org" }), "ap2-org");
    assert.equal(both.site, AP2);
    assert.equal(both.org, "ap2-org");
  } finally {
    await f.remove();
  }
});

test("org: in config.yaml selects the org when neither --org nor DD_ORG is given", async () => {
  const f = await folder([{ site: AP2, org: "ap2-org" }], "org: ap2-org\n");
  try {
    const r = await resolve(f.env());
    assert.equal(r.org, "ap2-org");
    assert.equal(r.site, AP2);
  } finally {
    await f.remove();
  }
});

test("DD_SITE is normalised like --site (scheme, app. label, trailing slash)", async () => {
  const f = await folder([]);
  try {
    assert.equal((await resolve(f.env({ DD_SITE: "https://app.datadoghq.eu/" }))).site, EU);
  } finally {
    await f.remove();
  }
});

test("an invalid DD_SITE is a usage error that names DD_SITE", async () => {
  const f = await folder([]);
  try {
    const r = await runPup(["auth", "token"], testDeps(f.env({ DD_SITE: "bad site/x" })));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /DD_SITE: invalid site "bad site\/x"/);
  } finally {
    await f.remove();
  }
});

test("a command picks the token of the site sessions.json records for --org", async () => {
  const f = await folder([{ site: US1, org: null }, { site: AP2, org: "ap2-prod" }]);
  try {
    const r = await runPup(["auth", "token", "--org", "ap2-prod"], testDeps(f.env()));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `token-of-ap2-prod-at-${AP2}\n`);
  } finally {
    await f.remove();
  }
});

test("a command with no org uses the one default session's site", async () => {
  const f = await folder([{ site: EU, org: null }]);
  try {
    const r = await runPup(["auth", "token"], testDeps(f.env()));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `token-of-default-at-${EU}\n`);
  } finally {
    await f.remove();
  }
});

test("only auth login and auth status accept --site", async () => {
  const f = await folder([{ site: EU, org: null }]);
  try {
    for (
      const argv of [
        ["auth", "token"],
        ["auth", "refresh"],
        ["auth", "logout"],
        ["auth", "list"],
        ["monitors", "list"],
        ["api", "/api/v1/validate"],
      ]
    ) {
      const r = await runPup([...argv, "--site", AP2], testDeps(f.env()));
      assert.equal(r.code, 2, `${argv.join(" ")} accepted --site`);
      assert.match(r.stderr, /--site/);
    }
    const status = await runPup(["auth", "status", "--site", EU, "-o", "json"], testDeps(f.env()));
    assert.equal(status.code, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).site, EU);
  } finally {
    await f.remove();
  }
});

test("--site on auth status wins over DD_SITE", async () => {
  const f = await folder([{ site: EU, org: null }]);
  try {
    const r = await runPup(
      ["auth", "status", "--site", EU, "-o", "json"],
      testDeps(f.env({ DD_SITE: AP2 })),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).site, EU);
  } finally {
    await f.remove();
  }
});
