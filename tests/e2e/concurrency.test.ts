/**
 * Concurrency and crash-safety of the compiled binary (dist/pup) against the fake Datadog:
 * many pup processes at once, and pup processes killed with SIGKILL mid-refresh. Each test
 * prints one `figures:` line with what it measured.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type FakeDatadog } from "../fakes/datadog.ts";
import {
  NO_BINARY,
  runBinary,
  storedClient,
  storedToken,
  withFakeDatadogServer,
} from "../helpers.ts";
import { siteKey } from "../../lib/store/state_store.ts";
import { tally } from "../fuzz/tally.ts";
import { binaryEnv } from "./signal_helpers.ts";

/** Runs dist/pup; `killAfterMs` sends SIGKILL after that long if it is still running. */
const pup = (args: string[], env: Record<string, string>, killAfterMs?: number) =>
  runBinary(args, env, { killAfterMs });

/**
 * Runs `body` with a fake Datadog, a config folder for the binary and the environment of
 * CONTRACT §10; stops the fake and removes the folder afterwards.
 */
function withSetup(body: (t: Setup) => Promise<void>): Promise<void> {
  return withFakeDatadogServer((fake, dir) => {
    const key = siteKey(fake.site);
    return body({
      fake,
      dir: dir.path,
      env: binaryEnv(fake.site, dir.path),
      tokensPath: join(dir.path, `tokens_${key}.json`),
      clientPath: join(dir.path, `client_${key}.json`),
      sessionsPath: join(dir.path, "sessions.json"),
    });
  }, { prefix: "pup-e2e-" });
}

interface Setup {
  fake: FakeDatadog;
  dir: string;
  env: Record<string, string>;
  tokensPath: string;
  clientPath: string;
  sessionsPath: string;
}

/** Writes a client file and an expired default token, as if an hour had passed. */
async function seedExpired(t: { fake: FakeDatadog; tokensPath: string; clientPath: string }) {
  const issued = t.fake.issueTokens();
  await writeFile(t.clientPath, JSON.stringify(storedClient(issued)), { mode: 0o600 });
  await writeFile(t.tokensPath, JSON.stringify({ __default__: storedToken(issued, -60_000) }), {
    mode: 0o600,
  });
  return issued;
}

/** Stores `token` (the default session's, as read back) again, expired a minute ago. */
async function storeExpired(tokensPath: string, token: Record<string, unknown>) {
  token.expires_at = new Date(Date.now() - 60_000).toISOString();
  await writeFile(tokensPath, JSON.stringify({ __default__: token }), { mode: 0o600 });
}

function refreshCount(fake: FakeDatadog): number {
  return fake.requests.filter((r) =>
    r.path === "/oauth2/v1/token" &&
    new URLSearchParams(r.body).get("grant_type") === "refresh_token"
  ).length;
}

/** Parses every state file in the folder; fails the test on any that does not parse. */
async function assertFilesParse(dir: string): Promise<number> {
  let n = 0;
  for (const name of await readdir(dir)) {
    if (!/^(tokens_.*|client_.*|sessions)\.json$/.test(name)) continue;
    const text = await readFile(join(dir, name), "utf8");
    assert.doesNotThrow(() => JSON.parse(text), `${name} does not parse: ${text.slice(0, 80)}`);
    assert.equal((await stat(join(dir, name))).mode & 0o777, 0o600, `${name} is not 0600`);
    n++;
  }
  return n;
}

test("20 concurrent pup processes with an expired token make exactly one refresh request", {
  skip: NO_BINARY,
  timeout: 300_000,
}, () =>
  withSetup(async (t) => {
    await seedExpired(t);
    // Widen the window so every process is waiting while the one refresh is in flight.
    t.fake.knobs.delayMs["/oauth2/v1/token"] = 300;
    const results = await Promise.all(
      Array.from({ length: 20 }, () => pup(["auth", "token"], t.env)),
    );
    tally({
      suite: "e2e/concurrency/refresh",
      inputs: 20,
      // A run that failed lost its answer; so did a run that printed another token than stored.
      lost: results.filter((r) => r.code !== 0).length,
    });
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const printed = new Set(results.map((r) => r.stdout));
    assert.equal(printed.size, 1, "the processes printed different tokens");
    const now = JSON.parse(await readFile(t.tokensPath, "utf8")).__default__;
    assert.equal([...printed][0], `${now.access_token}\n`);
    assert.ok(Date.parse(now.expires_at) > Date.now());
    assert.equal(t.fake.count("POST", "/oauth2/v1/token"), 1);
    console.log(
      `figures: processes=20 refresh_requests=${t.fake.count("POST", "/oauth2/v1/token")}`,
    );
  }));

test("20 concurrent logins on one site keep all 20 sessions, with one client registration", {
  skip: NO_BINARY,
  timeout: 300_000,
}, () =>
  withSetup(async (t) => {
    let attempts = 0;
    let portBusy = 0;
    const loginOrg = async (org: string) => {
      // Only four callback ports exist, so at most four logins wait at a time; the others find
      // no free port, exit 1, and try again a moment later (as a user would).
      for (let i = 0; i < 200; i++) {
        attempts++;
        const r = await pup(["auth", "login", "--org", org, "--timeout", "30"], t.env);
        if (r.code === 0) return r;
        if (!/no free callback port/.test(r.stderr)) return r;
        portBusy++;
        await new Promise((res) => setTimeout(res, 20 + Math.random() * 150));
      }
      throw new Error(`login --org ${org} never found a free callback port`);
    };
    const orgs = Array.from({ length: 20 }, (_, i) => `o${i}`);
    const results = await Promise.all(orgs.map(loginOrg));
    for (const r of results) assert.equal(r.code, 0, r.stderr);

    const tokens = JSON.parse(await readFile(t.tokensPath, "utf8"));
    // Sessions lost: logins that ended well whose org is not in the tokens file.
    tally({
      suite: "e2e/concurrency/logins",
      inputs: attempts,
      lost: orgs.filter((o, i) => results[i].code === 0 && !(o in tokens)).length,
    });
    assert.deepEqual(Object.keys(tokens).sort(), [...orgs].sort());
    for (const org of orgs) {
      assert.ok(t.fake.state.accessTokens.has(tokens[org].access_token), `${org}: unknown token`);
    }
    const sessions = JSON.parse(await readFile(t.sessionsPath, "utf8"));
    assert.deepEqual(
      sessions.map((s: { org: string }) => s.org).sort(),
      [...orgs].sort(),
    );
    assert.ok(sessions.every((s: { site: string }) => s.site === t.fake.site));
    assert.equal(t.fake.count("POST", "/api/v2/oauth2/register"), 1);
    const client = JSON.parse(await readFile(t.clientPath, "utf8"));
    assert.equal(client.client_id, [...t.fake.state.clients.values()][0].client_id);
    await assertFilesParse(t.dir);
    console.log(
      `figures: logins=20 attempts=${attempts} port_busy_retries=${portBusy} ` +
        `sessions_kept=${Object.keys(tokens).length}/${sessions.length} registrations=1`,
    );
  }));

test(
  "pup killed with SIGKILL mid-refresh leaves parseable files and a lock the next run recovers",
  {
    skip: NO_BINARY,
    timeout: 300_000,
  },
  () =>
    withSetup(async (t) => {
      const issued = await seedExpired(t);
      // A refresh the server completed after its client was killed must not poison the next run:
      // without rotation the old refresh token stays valid (as with Datadog's refresh tokens).
      t.fake.knobs.rotateRefreshTokens = false;
      const lock = join(t.dir, `.lock_${siteKey(t.fake.site)}`);
      const KILLS = 24;
      const killedPids = new Set<number>();
      let killed = 0;
      let reps = 0;
      let staleLocks = 0;
      let recovered = 0;
      let brokeStale = 0; // stale locks the next run found, broke and released
      // Kill at a random moment (start-up, waiting for the lock, the refresh in flight, the
      // write), until KILLS runs were killed before they finished.
      for (let rep = 0; killed < KILLS && rep < 4 * KILLS; rep++, reps++) {
        t.fake.knobs.delayMs["/oauth2/v1/token"] = 250;
        const victim = await pup(["auth", "token"], t.env, Math.floor(Math.random() * 400));
        if (victim.signal === "SIGKILL") {
          killed++;
          killedPids.add(victim.pid);
        } else assert.equal(victim.code, 0, victim.stderr);
        await assertFilesParse(t.dir);
        const lockBefore = existsSync(lock);
        if (lockBefore) staleLocks++;

        t.fake.knobs.delayMs["/oauth2/v1/token"] = 0;
        const start = Date.now();
        const next = await pup(["auth", "token"], t.env);
        assert.equal(next.code, 0, `rep ${rep}: ${next.stderr}`);
        const now = JSON.parse(await readFile(t.tokensPath, "utf8")).__default__;
        assert.equal(next.stdout, `${now.access_token}\n`);
        assert.ok(Date.now() - start < 10_000, "recovering the lock took too long");
        // A lock may remain only when the victim died holding it after storing the new token
        // (then this run needed no refresh and no lock); a later repetition must break it.
        if (existsSync(lock)) {
          const holder = JSON.parse(await readFile(lock, "utf8")).pid;
          assert.ok(killedPids.has(holder), "a finished run left its lock behind");
        }
        recovered++;

        if (lockBefore && !existsSync(lock)) brokeStale++;
        // Expire the token again for the next repetition.
        await storeExpired(t.tokensPath, now);
      }
      const kept = JSON.parse(await readFile(t.tokensPath, "utf8")).__default__?.refresh_token;
      tally({
        suite: "e2e/concurrency/sigkill-refresh",
        inputs: reps,
        faults: killed,
        killed,
        lost: kept === issued.refresh_token ? 0 : 1,
      });
      assert.ok(killed >= KILLS, `only ${killed} of ${reps} runs were killed before they finished`);
      assert.equal(recovered, reps);
      // The refresh token in use is still the one issued: nothing was lost or replayed.
      assert.equal(
        JSON.parse(await readFile(t.tokensPath, "utf8")).__default__.refresh_token,
        issued.refresh_token,
      );
      console.log(
        `figures: repetitions=${reps} kills=${killed} stale_locks_left=${staleLocks} ` +
          `stale_locks_broken=${brokeStale} recovered=${recovered} ` +
          `refresh_requests=${refreshCount(t.fake)}`,
      );
    }),
);

test("pup killed with SIGKILL while refreshing with rotation never leaves a torn file", {
  skip: NO_BINARY,
  timeout: 300_000,
}, () =>
  withSetup(async (t) => {
    await seedExpired(t);
    const REPS = 20;
    let killed = 0;
    let fine = 0;
    let expired = 0;
    for (let rep = 0; rep < REPS; rep++) {
      t.fake.knobs.delayMs["/oauth2/v1/token"] = 150;
      const victim = await pup(["auth", "token"], t.env, Math.floor(Math.random() * 300));
      if (victim.signal === "SIGKILL") killed++;
      await assertFilesParse(t.dir);
      t.fake.knobs.delayMs["/oauth2/v1/token"] = 0;
      const next = await pup(["auth", "token"], t.env);
      // A kill after the server rotated the refresh token (but before pup stored the new one)
      // loses that answer; the server then sees the old token reused. pup must say so (exit 4,
      // the document's message) rather than crash or corrupt anything.
      if (next.code === 0) fine++;
      else {
        assert.equal(next.code, 4, next.stderr);
        assert.match(next.stderr, /⚠️ Token expired/);
        expired++;
        await seedExpired(t);
        continue;
      }
      await storeExpired(
        t.tokensPath,
        JSON.parse(await readFile(t.tokensPath, "utf8")).__default__,
      );
    }
    tally({ suite: "e2e/concurrency/sigkill-rotation", inputs: REPS, faults: killed, killed });
    console.log(
      `figures: repetitions=${REPS} kills=${killed} next_run_ok=${fine} ` +
        `next_run_needs_login=${expired}`,
    );
    assert.equal(fine + expired, REPS);
  }));
