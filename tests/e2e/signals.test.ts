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
import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { oauthMetadata, startFakeDatadog } from "../fakes/datadog.ts";
import { writeFileAtomic } from "../../lib/store/files.ts";
import { localEnv, PUP_BIN, seedSession, tempDir } from "../helpers.ts";
import { tally } from "../fuzz/tally.ts";

const SKIP = existsSync(PUP_BIN) ? false : "dist/pup is missing: run `bun scripts/build.ts`";
const VISIT = new URL("../fakes/bin/visit", import.meta.url).pathname;
const CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type Signal = keyof typeof CODES;

interface Case {
  name: string;
  signal: Signal;
  /** The path the fake holds open while the lock is held. */
  held: string;
  args: string[];
  /** Leaves the config folder as the case needs it (a session, an expired token, …). */
  prepare(t: { dir: string; fake: Awaited<ReturnType<typeof startFakeDatadog>> }): Promise<void>;
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
    skip: SKIP,
    timeout: 60_000,
  }, async () => {
    const fake = await startFakeDatadog();
    const tmp = await tempDir("pup-e2e-signals-");
    const dir = join(tmp.path, "config");
    try {
      await c.prepare({ dir, fake });
      const before = await snapshot(dir);
      fake.knobs.delayMs[c.held] = 50_000;
      const env = { ...localEnv(fake.site, dir), BROWSER: VISIT, PATH: process.env.PATH ?? "" };
      const child = spawn(PUP_BIN, c.args, { env, stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
      // Wait until the held request has arrived: pup is inside the lock now.
      while (fake.count("POST", c.held) === 0) {
        await new Promise((r) => setTimeout(r, 20));
        assert.equal(child.exitCode, null, `pup ended before ${c.held}: ${stderr}`);
      }
      assert.ok((await readdir(dir)).some((f) => f.startsWith(".lock_")), "no lock was held");
      // process.kill, not child.kill: Deno reports a child it signalled as killed, whatever its code.
      process.kill(child.pid!, c.signal);
      const code = await exited;
      const left = (await readdir(dir)).filter((f) =>
        f.startsWith(".lock") || /\.(tmp|new|old)$/.test(f)
      );
      const after = await snapshot(dir);
      tally({
        suite: "e2e/signals",
        inputs: 1,
        faults: 1,
        killed: 1,
        lost: Object.keys(before).filter((k) => after[k] !== before[k]).length,
      });
      assert.equal(code, CODES[c.signal], stderr);
      assert.deepEqual(left, [], "a lock or temp file was left behind");
      assert.deepEqual(await snapshot(dir), before, "a state file changed");
    } finally {
      fake.cancelDelays();
      await fake.close();
      await tmp.remove();
    }
  });
}

/** The state files of the folder and their content. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (/^(tokens_.*|client_.*|sessions)\.json$/.test(name)) {
      out[name] = await readFile(join(dir, name), "utf8");
    }
  }
  return out;
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
