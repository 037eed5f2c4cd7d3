/**
 * @module
 * Issue 9, part (2) of the leak suite (part (1) and (3) are tests/leak.test.ts): known secrets
 * reach no output, no `-v` line, no child's argv or environment and no file but the store. It
 * runs the compiled binary (dist/pup) against the fake Datadog over a socket (CONTRACT §10).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type FakeDatadog, startFakeDatadog } from "../fakes/datadog.ts";
import { type BinaryRun, localEnv, NO_BINARY, runBinary, tempDir } from "../helpers.ts";
import { filesOutsideStore } from "../leak_scan.ts";
import { tally } from "../fuzz/tally.ts";

const skip = NO_BINARY;
const VISIT = new URL("../fakes/bin/visit", import.meta.url).pathname;
const KEYS = {
  DD_API_KEY: "leak-test-api-key-5f0c9a",
  DD_APP_KEY: "leak-test-app-key-77d2e1",
};
const ACCESS_TOKEN_ENV = "leak-test-access-token-env-3b9e";

interface LeakWorld {
  fake: FakeDatadog;
  dir: string;
  browserLog: string;
  runs: { argv: string[]; stdout: string; stderr: string; printsToken: boolean }[];
  run(argv: string[], extra?: Record<string, string>): Promise<BinaryRun>;
}

async function leakWorld(fn: (w: LeakWorld) => Promise<void>) {
  const fake = await startFakeDatadog();
  fake.knobs.apiKey = KEYS.DD_API_KEY;
  fake.knobs.appKey = KEYS.DD_APP_KEY;
  const dir = await tempDir();
  const bin = await tempDir("pup-leak-bin-");
  try {
    const browserLog = join(bin.path, "browser.log");
    const browser = join(bin.path, "logging-browser");
    // A $BROWSER that logs its argv and its whole environment, then visits the URL.
    await writeFile(
      browser,
      `#!/bin/sh\n{ printf 'ARGV'; for a in "$@"; do printf ' %s' "$a"; done; printf '\\n'; env; } >> '${browserLog}'\nexec '${VISIT}' "$@"\n`,
    );
    await chmod(browser, 0o755);
    const env = { ...localEnv(fake.site, dir.path), ...KEYS, BROWSER: browser };
    const w: LeakWorld = {
      fake,
      dir: dir.path,
      browserLog,
      runs: [],
      async run(argv, extra = {}) {
        const r = await runBinary(argv, { ...env, ...extra });
        w.runs.push({
          argv,
          stdout: r.stdout,
          stderr: r.stderr,
          printsToken: argv[0] === "auth" && argv[1] === "token",
        });
        return r;
      },
    };
    await fn(w);
  } finally {
    await fake.close();
    await dir.remove();
    await bin.remove();
  }
}

/** Every secret the fake issued or the test set, with where it may legitimately be. */
function knownSecrets(fake: FakeDatadog): string[] {
  return [KEYS.DD_API_KEY, KEYS.DD_APP_KEY, ACCESS_TOKEN_ENV, ...fake.secrets()]
    .filter((s) => s.length >= 8);
}

async function everyCommand(w: LeakWorld) {
  const ok = async (argv: string[], extra?: Record<string, string>) => {
    const r = await w.run(argv, extra);
    assert.equal(r.code, 0, `${argv.join(" ")}: ${r.stderr}`);
  };
  await ok(["auth", "login"]);
  await ok(["auth", "login", "--org", "prod"]);
  for (const v of [[], ["-v"]]) {
    for (const o of [["-o", "table"], ["-o", "json"], ["-o", "yaml"]]) {
      await ok(["auth", "status", ...v, ...o]);
      await ok(["auth", "list", ...v, ...o]);
      await ok(["monitors", "list", ...v, ...o]);
      await ok(["logs", "query", "--query", "*", "--from", "1h", ...v, ...o]);
      await ok([
        "metrics",
        "query",
        "--query",
        "avg:system.cpu.user{*}",
        "--from",
        "1h",
        ...v,
        ...o,
      ]);
    }
    await ok(["auth", "token", ...v]);
    await ok(["auth", "token", "--org", "prod", ...v]);
    await ok(["auth", "refresh", ...v]);
    await ok(["auth", "refresh", "--org", "prod", ...v]);
    await ok(["api", "/api/v1/validate", ...v]);
    await ok(["api", "/api/v1/monitor", "--org", "prod", ...v]);
  }
  // A refresh forced by an API 401, and errors that carry the request's context.
  const before = w.fake.state.accessTokens.size;
  for (const t of [...w.fake.state.accessTokens.keys()]) w.fake.expireAccessToken(t);
  await ok(["monitors", "list", "-v"]);
  assert.ok(w.fake.state.accessTokens.size > before, "the 401 made a refresh");
  w.fake.knobs.failNext.push({ path: "/api/v1/monitor", status: 500 });
  await w.run(["monitors", "list", "-v"]);
  // DD_ACCESS_TOKEN wins over the session (and the fake rejects it: 401, exit 4).
  await w.run(["monitors", "list", "-v"], { DD_ACCESS_TOKEN: ACCESS_TOKEN_ENV });
  await w.run(["api", "/api/v1/validate", "-v"], { DD_ACCESS_TOKEN: ACCESS_TOKEN_ENV });
  await ok(["auth", "logout", "--org", "prod", "-v"]);
  await ok(["auth", "logout", "-v"]);
  // No session left: the API keys are used.
  await ok(["monitors", "list", "-v"]);
  await ok(["api", "/api/v1/validate", "-v"]);
}

test(
  "no known secret reaches stdout, stderr, -v output or a file outside the store",
  { skip },
  async () => {
    await leakWorld(async (w) => {
      await everyCommand(w);
      const secrets = knownSecrets(w.fake);
      assert.ok(secrets.length >= 8, "the runs issued tokens, clients and codes");
      const leaks: string[] = [];
      for (const r of w.runs) {
        for (const s of secrets) {
          // `pup auth token` writes the access token to a pipe: its purpose (CONTRACT §9).
          if (r.stdout.includes(s) && !(r.printsToken && w.fake.state.accessTokens.has(s))) {
            leaks.push(`stdout of ${r.argv.join(" ")}`);
          }
          if (r.stderr.includes(s)) leaks.push(`stderr of ${r.argv.join(" ")}`);
        }
      }
      const files = await filesOutsideStore(w.dir);
      for (const path of files) {
        const text = await readFile(path, "utf8");
        for (const s of secrets) if (text.includes(s)) leaks.push(`file ${path}`);
      }
      // Faults: every access token revoked (an API 401 and a refresh), one API 500.
      tally({ suite: "leak/secrets", inputs: w.runs.length, faults: 2, leaks: leaks.length });
      assert.deepEqual(leaks, []);
      assert.ok(w.runs.filter((r) => r.printsToken).every((r) => r.stdout.trim().length > 0));
    });
  },
);

test(
  "no known secret reaches a child's argv or environment (the $BROWSER program)",
  { skip },
  async () => {
    await leakWorld(async (w) => {
      await w.run(["auth", "login"], { DD_ACCESS_TOKEN: ACCESS_TOKEN_ENV });
      await w.run(["auth", "login", "--org", "prod"]);
      const log = await readFile(w.browserLog, "utf8");
      assert.match(log, /^ARGV /m, "the browser ran");
      const leaks = knownSecrets(w.fake).filter((s) => log.includes(s));
      tally({ suite: "leak/child", inputs: 2, leaks: leaks.length });
      assert.deepEqual(leaks, []);
    });
  },
);
