/**
 * @module
 * From source, the way the README shows it: `bun main.ts …` and `deno run -A main.ts …` each
 * run the same end-to-end login against the fake Datadog (CONTRACT §10's environment, the
 * headless tests/fakes/bin/visit as the browser), then `auth status`, `auth token` and
 * `auth logout`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { localEnv, runProgram, withFakeDatadogServer } from "../helpers.ts";
import { ROOT } from "../../scripts/build.ts";

const VISIT = join(ROOT, "tests/fakes/bin/visit");
const RUNTIMES: [string, string, string[]][] = [
  ["bun", join(ROOT, "node_modules/.bin/bun"), ["main.ts"]],
  ["deno", join(ROOT, "node_modules/.bin/deno"), ["run", "-A", "main.ts"]],
];

function run(cmd: string, args: string[], env: Record<string, string>) {
  return runProgram(cmd, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env } });
}

for (const [name, cmd, prefix] of RUNTIMES) {
  test(`from source under ${name}: login, status, token and logout against the fake Datadog`, {
    timeout: 300_000,
  }, () =>
    withFakeDatadogServer(async (fake, dir) => {
      const env = localEnv(fake.site, join(dir.path, "config"), { BROWSER: VISIT });
      const pup = (...args: string[]) => run(cmd, [...prefix, ...args], env);
      const login = await pup("auth", "login", "--timeout", "60");
      assert.equal(login.code, 0, login.stdout + login.stderr);
      assert.match(
        login.stdout + login.stderr,
        /✓ Logged in: the default session on 127\.0\.0\.1:/,
      );
      const status = await pup("auth", "status", "-o", "json");
      assert.equal(status.code, 0, status.stderr);
      assert.equal(JSON.parse(status.stdout).token_storage, "file");
      const token = await pup("auth", "token");
      assert.equal(token.code, 0, token.stderr);
      assert.ok(fake.state.accessTokens.has(token.stdout.trim()), "the token the fake issued");
      const logout = await pup("auth", "logout");
      assert.equal(logout.code, 0, logout.stderr);
      assert.equal((await pup("auth", "status")).code, 4);
    }, { prefix: `pup-source-${name}-` }));
}
