import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { onInterrupt, runtimeName } from "../lib/runtime/process.ts";
import { SIGNAL_EXIT_CODE } from "../lib/deps.ts";

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
const listeners = () => SIGNALS.map((s) => process.listenerCount(s));

test("pup runs on Bun or Deno, and says which", () => {
  assert.ok(runtimeName === "bun" || runtimeName === "deno");
});

for (const signal of SIGNALS) {
  test(`an interrupt handler hears ${signal} by name, once, and then stops listening`, () => {
    const before = listeners();
    const heard: (string | undefined)[] = [];
    const remove = onInterrupt((s) => heard.push(s));
    assert.deepEqual(listeners(), before.map((n) => n + 1));
    process.emit(signal as "SIGINT");
    process.emit(signal as "SIGINT");
    assert.deepEqual(heard, [signal]);
    assert.deepEqual(listeners(), before, "the handler still listens after its signal");
    remove();
    assert.deepEqual(listeners(), before);
  });
}

test("removing an interrupt handler before any signal removes all three listeners", () => {
  const before = listeners();
  const remove = onInterrupt(() => assert.fail("no signal was sent"));
  remove();
  assert.deepEqual(listeners(), before);
});

test("a signal's exit code is 128 plus its number, as shells report it", () => {
  assert.deepEqual(SIGNAL_EXIT_CODE, { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 });
});

test("the real host tells the user id on POSIX and nothing on Windows", async () => {
  const { uid } = await import("../lib/runtime/process.ts");
  if (process.platform === "win32") assert.equal(uid, undefined);
  else assert.equal(uid, process.getuid!());
});
