import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type FakeDatadog, startFakeDatadog } from "./fakes/datadog.ts";
import { fetchingBrowser, localEnv, runPup, tempDir, testDeps } from "./helpers.ts";
import type { Deps } from "../lib/deps.ts";
import { siteKey } from "../lib/store/state_store.ts";

async function setup(
  extraEnv: Record<string, string> = {},
  overrides: Partial<Deps> & { stdinLines?: string[] } = {},
) {
  const fake = await startFakeDatadog();
  const dir = await tempDir();
  const env = localEnv(fake.site, dir.path, extraEnv);
  const deps = () => testDeps(env, { launch: fetchingBrowser, ...overrides });
  return {
    fake,
    dir: dir.path,
    env,
    deps,
    key: siteKey(fake.site),
    async done() {
      await fake.close();
      await dir.remove();
    },
  };
}

function secretsOf(fake: FakeDatadog): string[] {
  const out: string[] = [];
  for (const c of fake.state.clients.values()) if (c.client_secret) out.push(c.client_secret);
  for (const t of fake.state.accessTokens.keys()) out.push(t);
  for (const t of fake.state.refreshTokens.keys()) out.push(t);
  for (const c of fake.state.codes.keys()) out.push(c);
  return out;
}

function assertNoSecrets(fake: FakeDatadog, ...texts: string[]) {
  for (const s of secretsOf(fake)) {
    for (const t of texts) assert.ok(!t.includes(s), "a secret was printed");
  }
}

test("login registers a client, exchanges the code with PKCE and stores 0600 files in a 0700 folder", async () => {
  const t = await setup();
  try {
    const r = await runPup(["auth", "login", "--timeout", "20"], t.deps());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Logged in/);
    assertNoSecrets(t.fake, r.stdout, r.stderr);

    // DCR body on the wire, exactly the document's.
    const reg = t.fake.requests.filter((q) => q.path === "/api/v2/oauth2/register");
    assert.equal(reg.length, 1);
    assert.deepEqual(JSON.parse(reg[0].body), {
      client_name: "Datadog Pup CLI",
      redirect_uris: [8000, 8080, 8888, 9000].map((p) => `http://127.0.0.1:${p}/callback`),
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    });

    // The authorize request.
    const auth = t.fake.state.authorizations[0];
    const authReq = t.fake.requests.find((q) => q.path === "/oauth2/v1/authorize")!;
    const q = new URL(authReq.url).searchParams;
    assert.equal(q.get("response_type"), "code");
    assert.equal(q.get("code_challenge_method"), "S256");
    assert.match(q.get("state")!, /^[A-Za-z0-9]{32}$/);
    assert.match(q.get("redirect_uri")!, /^http:\/\/127\.0\.0\.1:(8000|8080|8888|9000)\/callback$/);
    assert.ok(q.get("scope")!.split(" ").includes("monitors_read"));
    assert.equal(q.get("dd_oid"), null);
    assert.equal(auth.codeChallenge, q.get("code_challenge"));

    // The token request: form-encoded, client_secret_post, the verifier.
    const tok = t.fake.requests.find((q) => q.path === "/oauth2/v1/token")!;
    assert.match(tok.headers["content-type"], /application\/x-www-form-urlencoded/);
    const form = new URLSearchParams(tok.body);
    assert.equal(form.get("grant_type"), "authorization_code");
    assert.equal(form.get("redirect_uri"), q.get("redirect_uri"));
    const client = [...t.fake.state.clients.values()][0];
    assert.equal(form.get("client_id"), client.client_id);
    assert.equal(form.get("client_secret"), client.client_secret);
    assert.equal(form.get("code_verifier")!.length, 128);
    assert.equal(form.get("code"), auth.code);

    // Files and modes.
    assert.equal((await stat(t.dir)).mode & 0o777, 0o700);
    for (const f of [`client_${t.key}.json`, `tokens_${t.key}.json`, "sessions.json"]) {
      assert.equal((await stat(join(t.dir, f))).mode & 0o777, 0o600, f);
    }
    const tokens = JSON.parse(await readFile(join(t.dir, `tokens_${t.key}.json`), "utf8"));
    const tk = tokens.__default__;
    assert.ok(t.fake.state.accessTokens.has(tk.access_token));
    assert.equal(tk.token_type, "Bearer");
    assert.equal(tk.expires_in, 3600);
    assert.ok(Math.abs(Date.parse(tk.expires_at) - Date.now() - 3600_000) < 60_000);
    assert.match(tk.expires_at, /Z$/);
    const savedClient = JSON.parse(await readFile(join(t.dir, `client_${t.key}.json`), "utf8"));
    assert.equal(savedClient.client_id, client.client_id);
    assert.ok(savedClient.registered_at);
    const sessions = JSON.parse(await readFile(join(t.dir, "sessions.json"), "utf8"));
    assert.deepEqual(sessions, [{ site: t.fake.site, org: null }]);
    assert.ok(!JSON.stringify(sessions).includes(tk.access_token));
  } finally {
    await t.done();
  }
});

test("a second login reuses the stored client registration", async () => {
  const t = await setup();
  try {
    assert.equal((await runPup(["auth", "login"], t.deps())).code, 0);
    assert.equal((await runPup(["auth", "login", "--org", "second"], t.deps())).code, 0);
    assert.equal(t.fake.count("POST", "/api/v2/oauth2/register"), 1);
    const tokens = JSON.parse(await readFile(join(t.dir, `tokens_${t.key}.json`), "utf8"));
    assert.deepEqual(Object.keys(tokens).sort(), ["__default__", "second"]);
  } finally {
    await t.done();
  }
});

test("--org-uuid is sent as dd_oid, stored with the session and sent again on the next login", async () => {
  const t = await setup();
  try {
    const uuid = "11111111-2222-3333-4444-555555555555";
    assert.equal(
      (await runPup(["auth", "login", "--org", "acme", "--org-uuid", uuid], t.deps())).code,
      0,
    );
    assert.equal(t.fake.state.authorizations[0].ddOid, uuid);
    const sessions = JSON.parse(await readFile(join(t.dir, "sessions.json"), "utf8"));
    assert.deepEqual(sessions, [{ site: t.fake.site, org: "acme", org_uuid: uuid }]);
    assert.equal((await runPup(["auth", "login", "--org", "acme"], t.deps())).code, 0);
    assert.equal(t.fake.state.authorizations[1].ddOid, uuid);
    assert.equal((await runPup(["auth", "login", "--org", "other"], t.deps())).code, 0);
    assert.equal(t.fake.state.authorizations[2].ddOid, null);
  } finally {
    await t.done();
  }
});

test("--scopes, --extra-scopes and --read-only shape the scope parameter", async () => {
  const t = await setup();
  try {
    await runPup(["auth", "login", "--scopes", "monitors_read,monitors_write"], t.deps());
    assert.equal(t.fake.state.authorizations[0].scope, "monitors_read monitors_write");
    await runPup(
      ["auth", "login", "--scopes", "monitors_read,monitors_write", "--read-only"],
      t.deps(),
    );
    assert.equal(t.fake.state.authorizations[1].scope, "monitors_read");
    await runPup(["auth", "login", "--scopes", "a_read", "--extra-scopes", "b_read"], t.deps());
    assert.equal(t.fake.state.authorizations[2].scope, "a_read b_read");
  } finally {
    await t.done();
  }
});

test("a browser that never calls back ends in the document's timeout message and exit 4", async () => {
  const idle: Deps["launch"] = () =>
    Promise.resolve({ exited: new Promise<number | null>(() => {}) });
  const t = await setup({}, { launch: idle });
  try {
    const r = await runPup(["auth", "login", "--timeout", "0.3"], t.deps());
    assert.equal(r.code, 4);
    assert.match(r.stderr, /^Error: timeout waiting for OAuth callback$/m);
    assert.match(r.stderr, /Run pup auth login again to restart the flow\./);
  } finally {
    await t.done();
  }
});

test("an error= redirect (access_denied) ends the login with exit 4 and stores nothing", async () => {
  const t = await setup();
  try {
    t.fake.knobs.authorizeError = "access_denied";
    const r = await runPup(["auth", "login"], t.deps());
    assert.equal(r.code, 4);
    assert.match(r.stderr, /access_denied/);
    await assert.rejects(stat(join(t.dir, `tokens_${t.key}.json`)));
  } finally {
    await t.done();
  }
});

test("a callback with another state ends the login with the CSRF message and exit 4", async () => {
  const t = await setup();
  try {
    t.fake.knobs.authorizeStateOverride = "x".repeat(32);
    const r = await runPup(["auth", "login"], t.deps());
    assert.equal(r.code, 4);
    assert.match(r.stderr, /^Error: state parameter mismatch \(CSRF protection\)$/m);
    assert.match(r.stderr, /Run pup auth login again to start a fresh flow/);
  } finally {
    await t.done();
  }
});

test("when the browser cannot be opened pup prints the URL and keeps waiting", async () => {
  let printedUrl = "";
  const broken: Deps["launch"] = () =>
    Promise.reject(Object.assign(new Error("spawn ENOENT"), { code: "ENOENT" }));
  const t = await setup({}, { launch: broken });
  try {
    const deps = t.deps();
    const origErr = deps.io.err;
    deps.io.err = (text) => {
      origErr(text);
      const m = /Please open this URL manually: (\S+)/.exec(text);
      if (m && !printedUrl) {
        printedUrl = m[1];
        void fetch(printedUrl).then((r) => r.body?.cancel());
      }
    };
    const r = await runPup(["auth", "login", "--timeout", "20"], deps);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /⚠️ Could not open browser automatically/);
    assert.match(printedUrl, /\/oauth2\/v1\/authorize\?/);
  } finally {
    await t.done();
  }
});

test("--no-browser accepts the redirected URL pasted on stdin", async () => {
  const t = await setup();
  try {
    const deps = t.deps();
    let url = "";
    const origErr = deps.io.err;
    deps.io.err = (text) => {
      origErr(text);
      url ||= /^\s+(http\S+authorize\S+)$/m.exec(text)?.[1] ?? "";
    };
    let asked = 0;
    deps.io.readLine = async () => {
      asked++;
      if (asked === 1) return "not a url";
      if (asked === 2) return "http://127.0.0.1:1/elsewhere?code=x";
      if (asked > 3) return null;
      while (!url) await new Promise((r) => setTimeout(r, 5));
      const res = await fetch(url, { redirect: "manual" });
      await res.body?.cancel();
      return res.headers.get("location")!;
    };
    let launched = false;
    deps.launch = () => {
      launched = true;
      return Promise.reject(new Error("must not launch"));
    };
    const r = await runPup(["auth", "login", "--no-browser", "--timeout", "20"], deps);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(launched, false);
    assert.equal(t.fake.count("POST", "/oauth2/v1/token"), 1);
    assert.match(r.stderr, /That is not a URL/);
    assert.match(r.stderr, /not this login's callback/);
  } finally {
    await t.done();
  }
});

test("a token endpoint that answers 500 fails with exit 1, names the status and stores no token", async () => {
  const t = await setup();
  try {
    t.fake.knobs.failNext.push({ path: "/oauth2/v1/token", status: 500 });
    const r = await runPup(["auth", "login"], t.deps());
    assert.equal(r.code, 1);
    assert.match(r.stderr, /token exchange failed: HTTP 500/);
    await assert.rejects(stat(join(t.dir, `tokens_${t.key}.json`)));
  } finally {
    await t.done();
  }
});

test("a registration endpoint that answers malformed JSON fails clearly with exit 1", async () => {
  const t = await setup();
  try {
    t.fake.knobs.failNext.push({ path: "/api/v2/oauth2/register", status: 201, body: "{not json" });
    const r = await runPup(["auth", "login"], t.deps());
    assert.equal(r.code, 1);
    assert.match(r.stderr, /client registration failed/);
  } finally {
    await t.done();
  }
});

test("an unreachable site fails with exit 1 and says it cannot reach it", async () => {
  const dir = await tempDir();
  try {
    const deps = testDeps(localEnv("127.0.0.1:9", dir.path), { launch: fetchingBrowser });
    const r = await runPup(["auth", "login"], deps);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot reach http:\/\/127\.0\.0\.1:9/);
  } finally {
    await dir.remove();
  }
});

test("invalid_client at the token exchange re-registers once and logs in", async () => {
  const t = await setup();
  try {
    t.fake.knobs.failNext.push({
      path: "/oauth2/v1/token",
      status: 401,
      body: JSON.stringify({ error: "invalid_client" }),
    });
    const r = await runPup(["auth", "login"], t.deps());
    assert.equal(r.code, 0, r.stderr);
    assert.equal(t.fake.count("POST", "/api/v2/oauth2/register"), 2);
    const saved = JSON.parse(await readFile(join(t.dir, `client_${t.key}.json`), "utf8"));
    assert.equal(saved.client_id, [...t.fake.state.clients.values()][1].client_id);
  } finally {
    await t.done();
  }
});

test("a public client (no client_secret) never sends one", async () => {
  const t = await setup();
  try {
    t.fake.knobs.publicClient = true;
    const r = await runPup(["auth", "login"], t.deps());
    assert.equal(r.code, 0, r.stderr);
    const tok = t.fake.requests.find((q) => q.path === "/oauth2/v1/token")!;
    assert.equal(new URLSearchParams(tok.body).has("client_secret"), false);
  } finally {
    await t.done();
  }
});

test("a site that is not Datadog's is refused without an opt-in (exit 2)", async () => {
  const t = await setup();
  try {
    const env = { ...t.env, PUP_TRUST_SITE: undefined };
    const r = await runPup(["auth", "login"], testDeps(env, { launch: fetchingBrowser }));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /refusing to send credentials to 127\.0\.0\.1/);
    assert.match(r.stderr, /--trust-site/);
    assert.equal(t.fake.requests.length, 0);
    const ok = await runPup(
      ["auth", "login", "--trust-site"],
      testDeps(env, { launch: fetchingBrowser }),
    );
    assert.equal(ok.code, 0, ok.stderr);
  } finally {
    await t.done();
  }
});

test("trusted_sites in config.yaml is an opt-in too", async () => {
  const t = await setup();
  try {
    await writeFile(join(t.dir, "config.yaml"), `trusted_sites:\n  - ${t.fake.site}\n`);
    const env = { ...t.env, PUP_TRUST_SITE: undefined };
    const r = await runPup(["auth", "login"], testDeps(env, { launch: fetchingBrowser }));
    assert.equal(r.code, 0, r.stderr);
  } finally {
    await t.done();
  }
});

test("a malformed tokens file is reported with its path and is not overwritten by login", async () => {
  const t = await setup();
  try {
    const path = join(t.dir, `tokens_${t.key}.json`);
    await writeFile(path, "{broken", { mode: 0o600 });
    const r = await runPup(["auth", "login"], t.deps());
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(path));
    assert.match(r.stderr, /not valid JSON/);
    assert.equal(await readFile(path, "utf8"), "{broken");
  } finally {
    await t.done();
  }
});

test("a bad --callback-port or PUP_OAUTH_CALLBACK_PORT is a usage error", async () => {
  const t = await setup();
  try {
    assert.equal((await runPup(["auth", "login", "--callback-port", "1234"], t.deps())).code, 2);
    const r = await runPup(
      ["auth", "login"],
      testDeps({ ...t.env, PUP_OAUTH_CALLBACK_PORT: "80" }),
    );
    assert.equal(r.code, 2);
    assert.match(r.stderr, /PUP_OAUTH_CALLBACK_PORT/);
  } finally {
    await t.done();
  }
});

test("--callback-port wins over PUP_OAUTH_CALLBACK_PORT", async () => {
  const t = await setup({ PUP_OAUTH_CALLBACK_PORT: "8000" });
  try {
    const r = await runPup(["auth", "login", "--callback-port", "9000"], t.deps());
    assert.equal(r.code, 0, r.stderr);
    assert.equal(t.fake.state.authorizations[0].redirectUri, "http://127.0.0.1:9000/callback");
  } finally {
    await t.done();
  }
});

test("-v prints each OAuth request and status on stderr, and no code, secret or token", async () => {
  const t = await setup();
  try {
    const r = await runPup(["auth", "login", "-v"], t.deps());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^> POST http:\/\/127\.0\.0\.1:\d+\/api\/v2\/oauth2\/register$/m);
    assert.match(r.stderr, /^> POST http:\/\/127\.0\.0\.1:\d+\/oauth2\/v1\/token$/m);
    assert.match(r.stderr, /^< 200 \(\d+ ms\)$/m);
    assertNoSecrets(t.fake, r.stdout, r.stderr);
    const quiet = await runPup(["auth", "login"], t.deps());
    assert.doesNotMatch(quiet.stderr, /^> POST/m);
  } finally {
    await t.done();
  }
});
