/**
 * @module
 * End to end: a signal while the compiled binary holds a site's lock — during a refresh, a
 * client registration, the refresh after an API 401, logout's revocation — removes the lock
 * and every temp file, and the process exits with the conventional code (128 + the signal).
 * The fake Datadog holds the request open (`delayMs`) so the signal lands inside the lock.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type FakeDatadog, oauthMetadata } from "../fakes/datadog.ts";
import { writeFileAtomic } from "../../lib/store/files.ts";
import { NO_BINARY, seedSession, tempDir } from "../helpers.ts";
import { tally } from "../fuzz/tally.ts";
import { holdsLock, leftovers, snapshot, spawnHeld, withFakeSite } from "./signal_helpers.ts";

const CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type Signal = keyof typeof CODES;

interface Case {
  name: string;
  signal: Signal;
  /** The path the fake holds open while the lock is held. */
  held: string;
  args: string[];
  /** Leaves the config folder as the case needs it (a session, an expired token, …). */
  prepare(t: { dir: string; fake: FakeDatadog }): Promise<void>;
}

const expiredSession: Case["prepare"] = async ({ dir, fake }) => {
  await seedSession(dir, fake.site, fake.issueTokens(), { expiresInMs: -60_000 });
};

const cases: Case[] = [
  ...(["SIGINT", "SIGTERM", "SIGHUP"] as const).map((signal): Case => ({
    name: `${signal} during a refresh`,
    signal,
    held: "/oauth2/v1/token",
    args: ["auth", "refresh"],
    prepare: expiredSession,
  })),
  {
    name: "SIGTERM during a client registration",
    signal: "SIGTERM",
    held: "/api/v2/oauth2/register",
    args: ["auth", "login", "--timeout", "30"],
    prepare: () => Promise.resolve(),
  },
  {
    name: "SIGHUP during the refresh after an API 401",
    signal: "SIGHUP",
    held: "/oauth2/v1/token",
    args: ["api", "/api/v1/validate"],
    prepare: async ({ dir, fake }) => {
      const issued = fake.issueTokens();
      await seedSession(dir, fake.site, issued);
      fake.expireAccessToken(issued.access_token);
    },
  },
  {
    name: "SIGINT during logout's revocation",
    signal: "SIGINT",
    held: "/oauth2/v1/revoke",
    args: ["auth", "logout"],
    prepare: async ({ dir, fake }) => {
      await seedSession(dir, fake.site, fake.issueTokens());
      fake.knobs.metadata = oauthMetadata(fake.url);
    },
  },
];

for (const c of cases) {
  test(`${c.name} leaves no lock file and no temp file, and exits ${CODES[c.signal]}`, {
    skip: NO_BINARY,
    timeout: 60_000,
  }, () =>
    withFakeSite("pup-e2e-signals-", async ({ fake, dir, env }) => {
      await c.prepare({ dir, fake });
      const before = await snapshot(dir);
      const pup = await spawnHeld(fake, c.held, c.args, env);
      assert.ok(await holdsLock(dir), "no lock was held");
      // process.kill, not child.kill: Deno reports a child it signalled as killed, whatever its code.
      process.kill(pup.pid, c.signal);
      const { code } = await pup.exited;
      const left = await leftovers(dir);
      const after = await snapshot(dir);
      tally({
        suite: "e2e/signals",
        inputs: 1,
        faults: 1,
        killed: 1,
        lost: Object.keys(before).filter((k) => after[k] !== before[k]).length,
      });
      assert.equal(code, CODES[c.signal], pup.stderr());
      assert.deepEqual(left, [], "a lock or temp file was left behind");
      assert.deepEqual(after, before, "a state file changed");
    }));
}

test("temp files of writers killed with SIGKILL are removed by the next write", {
  timeout: 120_000,
}, async () => {
  const tmp = await tempDir("pup-e2e-sigkill-");
  const files = new URL("../../lib/store/files.ts", import.meta.url).pathname;
  const script = join(tmp.path, "writer.ts");
  const path = join(tmp.path, "tokens_datadoghq.com.json");
  await writeFile(
    script,
    `import { writeFileAtomic } from ${JSON.stringify(files)};\n` +
      `const big = "x".repeat(4_000_000);\n` +
      `for (let i = 0;; i++) await writeFileAtomic(${
        JSON.stringify(path)
      }, JSON.stringify({ i, big }));\n`,
  );
  const bun = new URL("../../node_modules/.bin/bun", import.meta.url).pathname;
  try {
    let leftovers = 0;
    for (let kill = 0; kill < 20; kill++) {
      const child = spawn(bun, [script], { stdio: "ignore" });
      const exited = new Promise((r) => child.on("close", r));
      // Kill once the first write has started (a temp file exists), mid-write more often than not.
      while (!(await readdir(tmp.path)).some((f) => f.endsWith(".tmp"))) {
        await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise((r) => setTimeout(r, kill * 7));
      process.kill(child.pid!, "SIGKILL");
      await exited;
      leftovers = Math.max(
        leftovers,
        (await readdir(tmp.path)).filter((f) => f.endsWith(".tmp")).length,
      );
    }
    tally({ suite: "e2e/signals/sigkill-writer", inputs: 20, faults: 20, killed: 20 });
    assert.ok(leftovers > 0, "no kill landed mid-write: the test proved nothing");
    await writeFileAtomic(path, "{}");
    assert.deepEqual((await readdir(tmp.path)).filter((f) => f.endsWith(".tmp")), []);
    assert.equal(await readFile(path, "utf8"), "{}");
  } finally {
    await tmp.remove();
  }
});
