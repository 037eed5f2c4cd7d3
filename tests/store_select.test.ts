/**
 * Choosing the token store (lib/store/select.ts): a discriminated result decided up front, the
 * Secret Service probe that doubles as the first read and leaves no item, and no import of
 * lib/cli from lib/store.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Deps } from "../lib/deps.ts";
import type { Spawner, SpawnResult } from "../lib/runtime/spawn.ts";
import { chooseStore, selectStore, type StoreChoiceDeps } from "../lib/store/select.ts";
import { FakeClock } from "./fakes/clock.ts";

const TOOL = process.execPath; // any executable file: the spawner below is scripted

function world(
  answer: (args: string[]) => Partial<SpawnResult> | Promise<never>,
  env: Record<string, string> = { DBUS_SESSION_BUS_ADDRESS: "unix:path=/x" },
  clock = new FakeClock(),
) {
  const calls: string[][] = [];
  const lines: string[] = [];
  const spawn: Spawner = (_program, args) => {
    calls.push(args);
    const a = answer(args);
    if (a instanceof Promise) return a;
    return Promise.resolve({ code: 0, stdout: "", stderr: "", timedOut: false, ...a });
  };
  const ctx: StoreChoiceDeps = {
    deps: {
      env,
      spawn,
      clock,
      host: { os: "linux" } as Deps["host"],
    },
    dir: "/nonexistent/pup",
    info: (line) => void lines.push(line),
  };
  return { ctx, calls, lines, clock };
}

const item = (account: string, secret: string) => ({
  out: `[/1]\nlabel = pup: ${account}\nsecret = ${secret}\ncreated = x\nmodified = x\n`,
  err: `attribute.account = ${account}\nattribute.service = pup\n`,
});

test("DD_TOKEN_STORAGE=file chooses files with no reason and runs nothing", async () => {
  const w = world(() => ({}), { DD_TOKEN_STORAGE: "file" });
  const choice = await chooseStore(w.ctx, {}, { programs: { secretTool: TOOL } });
  assert.equal(choice.kind, "files");
  assert.equal(choice.kind === "files" && choice.reason, null);
  assert.deepEqual(w.calls, []);
});

test("no session bus: files, with the reason, no process, and one warning from selectStore", async () => {
  const w = world(() => ({}), { PATH: "/nonexistent" });
  const choice = await chooseStore(w.ctx, {});
  assert.equal(choice.kind, "files");
  assert.match(choice.kind === "files" ? choice.reason ?? "" : "", /not found on PATH|D-Bus/);
  assert.deepEqual(w.calls, []);
  const store = await selectStore(w.ctx, {});
  assert.equal(store.kind, "file");
  assert.equal(w.lines.length, 1);
  assert.match(w.lines[0], /No OS keychain available/);
});

test("keychain forced but not answering is an error (exit 2), never files", async () => {
  const w = world(() => ({}), { PATH: "/nonexistent", DD_TOKEN_STORAGE: "keychain" });
  await assert.rejects(chooseStore(w.ctx, {}), { code: "keychain_unavailable", exitCode: 2 });
});

test("a Secret Service with pup items is chosen with one search, which serves the first read", async () => {
  const { out, err } = item("state_datadoghq.com", '{"tokens":{},"client":null}');
  const w = world((args) => args[0] === "search" ? { stdout: out, stderr: err } : {});
  const choice = await chooseStore(w.ctx, {}, { programs: { secretTool: TOOL } });
  assert.equal(choice.kind, "keychain");
  await choice.store.read("datadoghq.com");
  assert.deepEqual(w.calls, [["search", "--all", "service", "pup"]]);
});

test("an empty Secret Service is probed with a write that leaves no probe item", async () => {
  const w = world(() => ({}));
  const choice = await chooseStore(w.ctx, {}, { programs: { secretTool: TOOL } });
  assert.equal(choice.kind, "keychain");
  assert.deepEqual(w.calls.map((c) => [c[0], c[c.length - 1]]), [
    ["search", "pup"],
    ["store", "__pup_probe__"],
    ["clear", "__pup_probe__"],
  ]);
});

test("a Secret Service that does not answer in time: files, with a timeout reason", async () => {
  const w = world(() => new Promise<never>(() => {}));
  const choosing = chooseStore(w.ctx, {}, { programs: { secretTool: TOOL } });
  await w.clock.advance(3_000); // the probe's timeout, on the fake clock
  const choice = await choosing;
  assert.equal(choice.kind, "files");
  assert.match(choice.kind === "files" ? choice.reason ?? "" : "", /timed out/);
});

test("a broken secret-tool: files, with its message as the reason", async () => {
  const w = world(() => ({
    code: 1,
    stderr:
      "secret-tool: The name org.freedesktop.secrets was not provided by any .service files\n",
  }));
  const choice = await chooseStore(w.ctx, {}, { programs: { secretTool: TOOL } });
  assert.equal(choice.kind, "files");
  assert.match(choice.kind === "files" ? choice.reason ?? "" : "", /org\.freedesktop\.secrets/);
});

test("lib/store imports nothing from lib/cli, lib/commands or lib/session", () => {
  const dir = new URL("../lib/store/", import.meta.url).pathname;
  for (const name of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
    const text = readFileSync(join(dir, name), "utf8");
    const imports = [...text.matchAll(/from\s+"([^"]+)"|import\(\s*"([^"]+)"\s*\)/g)]
      .map((m) => m[1] ?? m[2]);
    for (const spec of imports) {
      assert.doesNotMatch(spec, /\.\.\/(cli|commands|session)\//, `${name} imports ${spec}`);
    }
  }
});
