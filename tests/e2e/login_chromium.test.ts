/**
 * End to end: the compiled binary logs in through a real headless Chromium against the fake
 * Datadog, then `auth status` reports the session. Nothing secret appears in any output.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import {
  assertNoSecretPrinted,
  localEnv,
  NO_BINARY,
  runBinary as pup,
  withFakeDatadogServer,
} from "../helpers.ts";

const VISIT = new URL("../fakes/bin/chromium-visit", import.meta.url).pathname;
const hasChromium = spawnSync("sh", ["-c", "command -v chromium"]).status === 0;
const skip = NO_BINARY
  ? NO_BINARY
  : !hasChromium
  ? "chromium is not installed (apt-get install -y chromium)"
  : false;

test(
  "the binary logs in through headless Chromium and auth status reports the session",
  { skip },
  () =>
    withFakeDatadogServer(async (fake, dir) => {
      const env = { ...localEnv(fake.site, dir.path), BROWSER: VISIT };
      const login = await pup(["auth", "login", "--org", "e2e", "--timeout", "60"], env);
      assert.equal(login.code, 0, login.stderr);
      assert.match(login.stdout, /Logged in: org "e2e"/);

      const status = await pup(["auth", "status", "--org", "e2e", "-o", "json"], env);
      assert.equal(status.code, 0, status.stderr);
      const s = JSON.parse(status.stdout);
      assert.equal(s.authenticated, true);
      assert.equal(s.site, fake.site);
      assert.equal(s.org, "e2e");
      assert.equal(s.token_storage, "file");
      assert.ok(s.scopes.includes("monitors_read"));
      assert.ok(s.expires_in_seconds > 3500);

      const human = await pup(["auth", "status", "--org", "e2e"], env);
      assert.equal(human.code, 0);
      assert.match(human.stdout, /✓ Logged in/);

      const none = await pup(["auth", "status"], env);
      assert.equal(none.code, 4);
      assert.match(none.stdout, /Not authenticated/);

      // Files and modes.
      assert.equal((await stat(dir.path)).mode & 0o777, 0o700);
      for (const f of await readdir(dir.path)) {
        if (f.endsWith(".json")) {
          assert.equal(
            (await stat(join(dir.path, f))).mode & 0o777,
            0o600,
            f,
          );
        }
      }
      // Nothing secret in any output.
      assertNoSecretPrinted([login, status, human, none], fake.secrets());
      assert.equal(fake.count("POST", "/oauth2/v1/token"), 1);
    }),
);
