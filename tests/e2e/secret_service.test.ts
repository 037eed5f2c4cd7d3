/**
 * @module
 * The Secret Service back end against the real `secret-tool` and a private gnome-keyring: run
 * under scripts/with-keyring.sh (npm test does), which sets PUP_TEST_SECRET_SERVICE=1 once the
 * keyring owns org.freedesktop.secrets. The error paths, on a scripted spawner, are
 * tests/keychain_secret_service.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Spawner, spawnProgram } from "../../lib/runtime/spawn.ts";
import {
  SECRET_SERVICE_MAX_VALUE_BYTES,
  SecretServiceKeychain,
} from "../../lib/store/keychain_secret_service.ts";
import { probeKeychain } from "../../lib/store/keychain.ts";
import { systemClock } from "../../lib/deps.ts";
import { KeychainStateStore } from "../../lib/store/keychain_state_store.ts";
import { bigState } from "../fakes/site_states.ts";

// The real `secret-tool` against a private gnome-keyring: run under scripts/with-keyring.sh,
// which sets PUP_TEST_SECRET_SERVICE=1 once the keyring owns org.freedesktop.secrets.
const real = process.env.PUP_TEST_SECRET_SERVICE === "1";
const skip = real ? false : "no Secret Service (run under scripts/with-keyring.sh)";

function realStore(): SecretServiceKeychain {
  return new SecretServiceKeychain({ spawn: spawnProgram, env: { ...process.env } });
}

/** A site name of its own for each test: the keyring is shared by every test of a run. */
function uniqueSite(): string {
  return `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.datadoghq.com`;
}

test("a value written to the Secret Service reads back unchanged", { skip }, async () => {
  const store = realStore();
  const account = `state_${uniqueSite()}`;
  const value = `{"a":"é 日本 🐶 'q' \\"dq\\""}\n`; // the trailing newline must survive too
  await store.set(account, value);
  try {
    assert.equal(await store.get(account), value);
  } finally {
    await store.delete(account);
  }
});

test(
  "a missing Secret Service item reads as null and clearing it reports false",
  { skip },
  async () => {
    const store = realStore();
    const account = `state_${uniqueSite()}`;
    assert.equal(await store.get(account), null);
    assert.equal(await store.delete(account), false);
  },
);

test("clearing a Secret Service item removes it and reports true once", { skip }, async () => {
  const store = realStore();
  const account = `state_${uniqueSite()}`;
  await store.set(account, "v");
  assert.equal(await store.delete(account), true);
  assert.equal(await store.delete(account), false);
  assert.equal(await store.get(account), null);
});

test(
  "the Secret Service takes exactly maxValueBytes in one item and refuses more",
  { skip },
  async () => {
    const store = realStore();
    const account = `state_${uniqueSite()}`;
    const value = "x".repeat(SECRET_SERVICE_MAX_VALUE_BYTES);
    await store.set(account, value);
    try {
      assert.equal(await store.get(account), value);
      await assert.rejects(store.set(account, value + "x"), { code: "keychain" });
    } finally {
      await store.delete(account);
    }
  },
);

test(
  "a value over 8 KB is sharded through the Secret Service without truncation",
  { skip },
  async () => {
    const store = realStore();
    const site = uniqueSite();
    const state = bigState(12, 400); // about 12 KB: two chunks
    assert.ok(JSON.stringify(state).length > 8192);
    await new KeychainStateStore(store).write(site, state);
    try {
      assert.deepEqual(plain(await new KeychainStateStore(store).read(site)), state);
      assert.equal(await store.get(`state_${site}`), null, "no whole-value item");
      assert.match((await store.get(`state_${site}_c`)) ?? "", /^2:/);
    } finally {
      await new KeychainStateStore(store).write(site, { tokens: {}, client: null });
    }
  },
);

test("40 org sessions on one site round-trip through the Secret Service", { skip }, async () => {
  const store = realStore();
  const site = uniqueSite();
  const state = bigState(40, 400);
  assert.ok(JSON.stringify(state).length > 40_000);
  await new KeychainStateStore(store).write(site, state);
  assert.deepEqual(plain(await new KeychainStateStore(store).read(site)), state);

  const one = bigState(1, 10);
  await new KeychainStateStore(store).write(site, one);
  assert.deepEqual(plain(await new KeychainStateStore(store).read(site)), one);
  assert.equal(await store.get(`state_${site}_c`), null);
  assert.equal(await store.get(`state_${site}_0`), null);

  await new KeychainStateStore(store).write(site, { tokens: {}, client: null });
  assert.equal(await store.get(`state_${site}`), null);
});

test("the Secret Service is available under a running keyring, and the probe leaves no item", {
  skip,
}, async () => {
  const store = realStore();
  assert.equal(await store.probe(), null);
  assert.equal(await store.get("__pup_probe__"), null, "the probe item was left behind");
});

test(
  "one search returns every pup item, values that hold any JSON included",
  { skip },
  async () => {
    const store = realStore();
    const site = uniqueSite();
    const tricky = JSON.stringify({
      a: "line\nsecret = no\ncreated = not really\n[/fake]",
      b: "\u202e\u0000 ünï ✓",
    });
    await store.set(`state_${site}`, tricky);
    await store.set(`state_${site}_c`, "2:x");
    try {
      const found = await store.getMany([]);
      assert.ok(found);
      assert.equal(found.get(`state_${site}`), tricky);
      assert.equal(found.get(`state_${site}_c`), "2:x");
    } finally {
      await store.delete(`state_${site}`);
      await store.delete(`state_${site}_c`);
    }
  },
);

test("choosing the Secret Service and reading a sharded state cost one secret-tool process", {
  skip,
}, async () => {
  const site = uniqueSite();
  await new KeychainStateStore(realStore()).write(site, bigState(40, 400));
  try {
    const calls: string[][] = [];
    const spawn: Spawner = (command, args, options) => {
      calls.push(args);
      return spawnProgram(command, args, options);
    };
    const deps = {
      env: { ...process.env },
      spawn,
      clock: systemClock,
      host: { os: "linux" } as Parameters<typeof probeKeychain>[0]["host"],
    };
    const probe = await probeKeychain(deps);
    assert.equal(probe.reason, null);
    const state = new KeychainStateStore(probe.store!);
    assert.deepEqual(JSON.parse(JSON.stringify(await state.read(site))), bigState(40, 400));
    assert.deepEqual(calls, [["search", "--all", "service", "pup"]]);
  } finally {
    await new KeychainStateStore(realStore()).write(site, { tokens: {}, client: null });
  }
});

/** A state as plain JSON data (stores key tokens on a prototype-less object). */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}
