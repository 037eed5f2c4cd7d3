/**
 * @module
 * The Secret Service back end: the real `secret-tool` against a private gnome-keyring (under
 * scripts/with-keyring.sh), and a scripted spawner for the error paths.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { PupError } from "../lib/errors.ts";
import { type Spawner, spawnProgram, type SpawnResult } from "../lib/runtime/spawn.ts";
import {
  hasSessionBus,
  parseSearch,
  SECRET_SERVICE_MAX_VALUE_BYTES,
  SecretServiceKeychain,
} from "../lib/store/keychain_secret_service.ts";
import { probeKeychain } from "../lib/store/keychain.ts";
import { systemClock } from "../lib/deps.ts";
import { FakeClock } from "./fakes/clock.ts";
import { KeychainStateStore } from "../lib/store/keychain_state_store.ts";
import { bigState } from "./fakes/site_states.ts";

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

/** A spawner that answers from a script and records the calls, for the error paths. */
function scripted(answer: (args: string[], stdin: string) => Partial<SpawnResult>) {
  const calls: { args: string[]; stdin: string }[] = [];
  const spawn: Spawner = (_command, args, options) => {
    calls.push({ args, stdin: options.stdin ?? "" });
    return Promise.resolve({
      code: 0,
      stdout: "",
      stderr: "",
      timedOut: false,
      ...answer(args, options.stdin ?? ""),
    });
  };
  return { spawn, calls };
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

test("no Secret Service is detected without spawning when there is no session bus", async () => {
  const runtime = mkdtempSync(join(tmpdir(), "pup-nobus-"));
  try {
    const { spawn, calls } = scripted(() => ({}));
    const store = new SecretServiceKeychain({
      spawn,
      env: { PATH: process.env.PATH, XDG_RUNTIME_DIR: runtime },
    });
    assert.equal(await store.available(), false);
    assert.equal(calls.length, 0, "detection spawned a process");
    assert.match((await store.unavailableReason()) ?? "", /D-Bus session bus|not found on PATH/);
  } finally {
    rmSync(runtime, { recursive: true, force: true });
  }
});

test("no Secret Service is detected without spawning when secret-tool is not on PATH", async () => {
  const empty = mkdtempSync(join(tmpdir(), "pup-nopath-"));
  try {
    const { spawn, calls } = scripted(() => ({}));
    const store = new SecretServiceKeychain({
      spawn,
      env: { PATH: empty, DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent" },
    });
    assert.equal(await store.available(), false);
    assert.equal(calls.length, 0);
    assert.match((await store.unavailableReason()) ?? "", /"secret-tool" was not found on PATH/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test("a bus socket in XDG_RUNTIME_DIR counts as a session bus", async () => {
  const runtime = mkdtempSync(join(tmpdir(), "pup-bus-"));
  const server = createServer();
  try {
    assert.equal(hasSessionBus({ XDG_RUNTIME_DIR: runtime }), false);
    await new Promise<void>((resolve) => server.listen(join(runtime, "bus"), resolve));
    assert.equal(hasSessionBus({ XDG_RUNTIME_DIR: runtime }), true);
    assert.equal(hasSessionBus({ DBUS_SESSION_BUS_ADDRESS: "unix:path=/x" }), true);
  } finally {
    await new Promise((resolve) => server.close(resolve));
    rmSync(runtime, { recursive: true, force: true });
  }
});

test("secret-tool's exit 1 means not found only when stderr is empty", async () => {
  const { spawn } = scripted((args) =>
    args[0] === "lookup"
      ? { code: 1, stderr: "secret-tool: Cannot autolaunch D-Bus without X11 $DISPLAY\n" }
      : { code: 1 }
  );
  const store = new SecretServiceKeychain({ spawn, env: {} });
  await assert.rejects(store.get("state_x"), (err: unknown) => {
    assert.ok(err instanceof PupError);
    assert.equal(err.code, "keychain");
    assert.match(err.message, /found exit 1: secret-tool: Cannot autolaunch D-Bus/);
    assert.match(err.hint ?? "", /DD_TOKEN_STORAGE=file/);
    return true;
  });
  assert.equal(await store.delete("state_x"), false);
});

test("a store that reports 'password is too long' is a failure even with exit 0", async () => {
  const { spawn, calls } = scripted(() => ({
    code: 0,
    stderr: "secret-tool: password is too long\n",
  }));
  const store = new SecretServiceKeychain({ spawn, env: {} });
  await assert.rejects(store.set("state_x", "v"), { code: "keychain", message: /too long/ });
  assert.deepEqual(calls[0].args, [
    "store",
    "--label=pup: state_x",
    "service",
    "pup",
    "account",
    "state_x",
  ]);
  assert.equal(calls[0].stdin, "v", "the value goes on stdin, not argv");
});

test("a probe that finds no collection to write to reports the Secret Service unavailable", async () => {
  const { spawn, calls } = scripted((args) =>
    args[0] === "search" || args[0] === "clear" ? { code: args[0] === "search" ? 0 : 1 } : {
      code: 1,
      stderr:
        "secret-tool: Object does not exist at path “/org/freedesktop/secrets/collection/login”\n",
    }
  );
  const store = new SecretServiceKeychain({
    spawn,
    env: { DBUS_SESSION_BUS_ADDRESS: "unix:path=/x" },
    program: process.execPath, // any executable file: the spawner is scripted
  });
  assert.equal(await store.available(), false);
  assert.match((await store.unavailableReason()) ?? "", /collection\/login/);
  assert.deepEqual(calls.map((c) => c.args[0]), ["search", "store", "clear"]);
});

test("a probe that finds pup items needs no write, and its search serves the first read", async () => {
  const out = '[/1]\nlabel = pup: state_a\nsecret = {"tokens":{}}\ncreated = x\nmodified = x\n';
  const attrs = "attribute.account = state_a\nattribute.service = pup\n";
  const { spawn, calls } = scripted((args) =>
    args[0] === "search" ? { stdout: out, stderr: attrs } : {}
  );
  const store = new SecretServiceKeychain({
    spawn,
    env: { DBUS_SESSION_BUS_ADDRESS: "unix:path=/x" },
    program: process.execPath,
  });
  assert.equal(await store.probe(), null);
  assert.equal((await store.getMany([]))?.get("state_a"), '{"tokens":{}}');
  assert.deepEqual(calls.map((c) => c.args), [["search", "--all", "service", "pup"]]);
  // The next read asks again.
  await store.getMany([]);
  assert.equal(calls.length, 2);
});

test("search output is parsed by item, and a locked item (no secret) makes it untrusted", () => {
  // secret-tool prints each item's block on stdout and its attributes on stderr.
  const item = (account: string, secret?: string) =>
    `[/org/freedesktop/secrets/collection/login/${account}]\nlabel = pup: ${account}\n` +
    (secret === undefined ? "" : `secret = ${secret}\n`) +
    `created = 2026-12-02 06:13:51\nmodified = 2026-12-02 06:13:51\n` +
    `schema = org.freedesktop.Secret.Generic\n`;
  const attrs = (account: string) => `attribute.service = pup\nattribute.account = ${account}\n`;
  const value = '{"a":"x\\ny = 2","b":"[/1]"}';
  const found = parseSearch(
    item("state_a", value) + item("state_b", "") + item("state_c", "2:ab"),
    attrs("state_a") + attrs("state_b") + attrs("state_c"),
  );
  assert.deepEqual([...found!.entries()], [["state_a", value], ["state_b", ""], [
    "state_c",
    "2:ab",
  ]]);
  assert.equal(
    parseSearch(item("state_a", "v") + item("state_b"), attrs("state_a") + attrs("state_b")),
    null,
    "a locked item",
  );
  assert.equal(parseSearch(item("state_a", "v"), ""), null, "blocks without accounts");
  assert.equal(parseSearch(item("state_a", "v"), attrs("state_b")), null, "a label that disagrees");
  assert.equal(parseSearch("", "")?.size, 0);
});

test("a Secret Service call that hangs becomes keychain_timeout on the clock's timeout", async () => {
  const clock = new FakeClock();
  const spawn: Spawner = () => new Promise(() => {}); // never answers
  const store = new SecretServiceKeychain({ spawn, clock, env: {}, timeoutMs: 250 });
  const failed = store.get("state_x").then(() => assert.fail("answered"), (e) => e);
  await clock.advance(250);
  const err = await failed;
  assert.ok(err instanceof PupError);
  assert.equal(err.code, "keychain_timeout");
  assert.match(err.message, /within 0\.25 s \(timed out\)/);
  assert.match(err.hint ?? "", /DD_TOKEN_STORAGE=file/);
});

test("a call the spawner killed for its timeout is keychain_timeout too", async () => {
  const { spawn } = scripted(() => ({ code: null, timedOut: true }));
  const store = new SecretServiceKeychain({ spawn, env: {}, timeoutMs: 250 });
  await assert.rejects(store.get("state_x"), { code: "keychain_timeout" });
});

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

test("the Secret Service precheck needs secret-tool on PATH and a session bus", () => {
  const store = (env: Record<string, string>) =>
    new SecretServiceKeychain({ spawn: scripted(() => ({})).spawn, env });
  assert.match(store({ PATH: "" }).precheck() ?? "", /not found on PATH/);
  assert.match(
    store({ PATH: process.env.PATH ?? "" }).precheck() ?? "",
    /D-Bus|not found on PATH/,
  );
  const tool = new SecretServiceKeychain({
    spawn: scripted(() => ({})).spawn,
    env: { DBUS_SESSION_BUS_ADDRESS: "unix:path=/x" },
    program: process.execPath, // any executable file
  });
  assert.equal(tool.precheck(), null);
});

/** A state as plain JSON data (stores key tokens on a prototype-less object). */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}
