import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startFakeDatadog } from "./fakes/datadog.ts";
import { localEnv, runPup, storedToken, tempDir, testDeps } from "./helpers.ts";
import { siteKey } from "../lib/store/state_store.ts";

const MIN = 60_000;

/** A fake Datadog and a config folder with a default and a "prod" session. */
async function seeded(expiresInMs = 50 * MIN) {
  const fake = await startFakeDatadog();
  const dir = await tempDir();
  const env = localEnv(fake.site, dir.path);
  const main = fake.issueTokens();
  const prod = fake.issueTokens({ clientId: main.client_id });
  const key = siteKey(fake.site);
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
    dir: dir.path,
    main,
    prod,
    tokensPath,
    done: async () => {
      await fake.close();
      await dir.remove();
    },
  };
}

function ttyDeps(env: Record<string, string | undefined>) {
  const deps = testDeps(env);
  deps.io.stdoutIsTTY = true;
  deps.io.stderrIsTTY = true;
  return deps;
}

test("auth token into a pipe prints the access token and a newline, and nothing else", async () => {
  const t = await seeded();
  try {
    const r = await runPup(["auth", "token"], testDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${t.main.access_token}\n`);
    assert.equal(r.stderr, "");
  } finally {
    await t.done();
  }
});

test("auth token on a terminal prints no token, says how to use it and exits 0", async () => {
  const t = await seeded();
  try {
    const r = await runPup(["auth", "token"], ttyDeps(t.env));
    assert.equal(r.code, 0);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /\$\(pup auth token\)/);
    assert.match(r.stderr, /--show/);
    for (const s of [t.main.access_token, t.main.refresh_token, t.prod.access_token]) {
      assert.ok(!r.stderr.includes(s), "a token was printed to the terminal");
    }
  } finally {
    await t.done();
  }
});

test("auth token on a terminal with an expired token neither prints nor refreshes it", async () => {
  const t = await seeded(-5 * MIN);
  try {
    const r = await runPup(["auth", "token"], ttyDeps(t.env));
    assert.equal(r.code, 0);
    assert.equal(r.stdout, "");
    assert.equal(t.fake.requests.length, 0);
  } finally {
    await t.done();
  }
});

test("auth token --show prints the token even on a terminal", async () => {
  const t = await seeded();
  try {
    const r = await runPup(["auth", "token", "--show"], ttyDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${t.main.access_token}\n`);
  } finally {
    await t.done();
  }
});

test("auth token --org prints that named session's token", async () => {
  const t = await seeded();
  try {
    const r = await runPup(["auth", "token", "--org", "prod"], testDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${t.prod.access_token}\n`);
  } finally {
    await t.done();
  }
});

test("DD_ORG selects the session for auth token like --org", async () => {
  const t = await seeded();
  try {
    const r = await runPup(["auth", "token"], testDeps({ ...t.env, DD_ORG: "prod" }));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${t.prod.access_token}\n`);
  } finally {
    await t.done();
  }
});

test("auth token refreshes a token within five minutes of expiry and prints the new one", async () => {
  const t = await seeded(2 * MIN);
  try {
    const r = await runPup(["auth", "token"], testDeps(t.env));
    assert.equal(r.code, 0, r.stderr);
    const now = JSON.parse(await readFile(t.tokensPath, "utf8")).__default__;
    assert.notEqual(now.access_token, t.main.access_token);
    assert.equal(r.stdout, `${now.access_token}\n`);
    assert.equal(t.fake.count("POST", "/oauth2/v1/token"), 1);
  } finally {
    await t.done();
  }
});

test("auth token without a session exits 4 with guidance and prints nothing on stdout", async () => {
  const t = await seeded();
  try {
    for (const deps of [testDeps(t.env), ttyDeps(t.env)]) {
      const r = await runPup(["auth", "token", "--org", "staging"], deps);
      assert.equal(r.code, 4);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /not logged in: no session for org "staging"/);
      assert.match(r.stderr, /pup auth login --org staging/);
    }
  } finally {
    await t.done();
  }
});

test("auth token with nothing stored at all exits 4", async () => {
  const dir = await tempDir();
  try {
    const r = await runPup(["auth", "token"], testDeps(localEnv("127.0.0.1:9", dir.path)));
    assert.equal(r.code, 4);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /pup auth login/);
  } finally {
    await dir.remove();
  }
});

test("auth token does not send a refresh token to an untrusted site", async () => {
  const t = await seeded(-5 * MIN);
  try {
    const r = await runPup(["auth", "token"], testDeps({ ...t.env, PUP_TRUST_SITE: undefined }));
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /refusing to send credentials/);
    assert.equal(t.fake.requests.length, 0);
  } finally {
    await t.done();
  }
});

test("auth token rejects a positional argument as a usage error", async () => {
  const t = await seeded();
  try {
    const r = await runPup(["auth", "token", "extra"], testDeps(t.env));
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
  } finally {
    await t.done();
  }
});
