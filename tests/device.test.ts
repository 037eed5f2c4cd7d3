import { test } from "node:test";
import assert from "node:assert/strict";
import { createFakeDatadog, oauthMetadata } from "./fakes/datadog.ts";
import { localEnv, runPup, tempDir, testDeps, withFakeDatadog } from "./helpers.ts";
import { InstantClock } from "./fakes/clock.ts";

test("--device without a device endpoint in the metadata says so and suggests --no-browser (exit 2)", () =>
  withFakeDatadog(async (fake, dir) => {
    const r = await runPup(["auth", "login", "--device"], testDeps(localEnv(fake.site, dir.path)));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /does not offer a device login/);
    assert.match(r.stderr, /--no-browser/);
    assert.equal(fake.count("GET", "/.well-known/oauth-authorization-server"), 1);
  }));

/**
 * Runs `pup auth login --device …` against a fake that offers device login; the "user"
 * decides as soon as pup shows the code, and the polling wait returns at once (no sleep: the
 * waits themselves are tested on the fake clock in protocol_device.test.ts).
 */
async function deviceLogin(decision: "approve" | "deny", args: string[] = []) {
  const fake = createFakeDatadog();
  const dir = await tempDir();
  fake.knobs.metadata = oauthMetadata(fake.url);
  fake.knobs.deviceIntervalSeconds = 0;
  const env = localEnv(fake.site, dir.path);
  const clock = new InstantClock(Date.now()); // the interval waits are recorded, not slept
  const waits = clock.waits;
  const deps = testDeps(env, { clock });
  const err = deps.io.err;
  deps.io.err = (text) => {
    err(text);
    if (/enter the code/.test(text)) fake.decideDevice(decision);
  };
  const done = async () => {
    await fake.close();
    await dir.remove();
  };
  try {
    return { r: await runPup(["auth", "login", "--device", ...args], deps), env, waits, done };
  } catch (e) {
    await done();
    throw e;
  }
}

test("--device polls until the user approves, then stores the session", async () => {
  const { r, env, waits, done } = await deviceLogin("approve", ["--org", "dev"]);
  try {
    assert.equal(r.code, 0, r.stderr);
    // The fake's interval of 0 is not a busy loop: pup waits the RFC 8628 default.
    assert.deepEqual(waits, [5_000]);
    assert.match(r.stdout, /Logged in: org "dev"/);
    const status = await runPup(["auth", "status", "--org", "dev", "-o", "json"], testDeps(env));
    assert.equal(JSON.parse(status.stdout).authenticated, true);
  } finally {
    await done();
  }
});

test("--device that the user denies ends with exit 4", async () => {
  const { r, done } = await deviceLogin("deny");
  try {
    assert.equal(r.code, 4);
    assert.match(r.stderr, /access_denied/);
  } finally {
    await done();
  }
});

test("--device refuses metadata whose endpoints are on another host", () =>
  withFakeDatadog(async (fake, dir) => {
    fake.knobs.metadata = oauthMetadata("https://evil.example");
    const r = await runPup(["auth", "login", "--device"], testDeps(localEnv(fake.site, dir.path)));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /another host/);
    assert.equal(fake.count("POST", "/api/v2/oauth2/register"), 0);
  }));
