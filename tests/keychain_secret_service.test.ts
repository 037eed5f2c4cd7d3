/**
 * @module
 * The Secret Service back end on a scripted spawner: parsing, the error paths, the precheck.
 * Against the real `secret-tool` and a private gnome-keyring: tests/e2e/secret_service.test.ts.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { PupError } from "../lib/errors.ts";
import type { Spawner, SpawnResult } from "../lib/runtime/spawn.ts";
import {
  hasSessionBus,
  parseSearch,
  SecretServiceKeychain,
} from "../lib/store/keychain_secret_service.ts";
import { FakeClock } from "./fakes/clock.ts";

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
