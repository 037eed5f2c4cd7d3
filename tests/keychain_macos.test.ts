/**
 * @module
 * The macOS Keychain back end. By default against the fake `security` (tests/fakes/security.mjs:
 * it reproduces the `-i` line limit, exit codes and hex output of the real one), run in process
 * through the back end's Spawner — the same code the program tests/fakes/bin/security runs,
 * without a node start-up per call; the tests marked `spawned` run that program as a real
 * process (spawning, a missing program, a hang). With `PUP_TEST_REAL_KEYCHAIN=1` (CI on macOS)
 * every test runs against the real `/usr/bin/security` and the login keychain, with account
 * names of this run only and everything removed afterwards. Assertions that need the fake (its
 * argv log, a hanging tool) run only against the fake.
 */
import assert from "node:assert/strict";
import type { Clock } from "../lib/deps.ts";
import { FakeClock } from "./fakes/clock.ts";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { PupError } from "../lib/errors.ts";
import type { Spawner } from "../lib/runtime/spawn.ts";
import { MacKeychain } from "../lib/store/keychain_macos.ts";
import {
  MAC_LINE_LIMIT,
  MAC_MAX_VALUE_BYTES,
  MAC_VALUE_PREFIX,
  macCommandLine,
} from "../lib/store/keychain_macos_lines.ts";
import { KeychainStateStore, stateAccount } from "../lib/store/keychain_state_store.ts";
import {
  type FakeTool,
  removeNamed,
  RUN,
  type ToolCall,
  type ToolMode,
  withFakeTool,
} from "./fakes/keychain_tool.ts";
import { runSecurity } from "./fakes/security.mjs";
import { bigState, sizedToken } from "./fakes/site_states.ts";

const FAKE = fileURLToPath(new URL("./fakes/bin/security", import.meta.url));
/** Against the real `security` (CI on macOS): `PUP_TEST_REAL_KEYCHAIN=1`. */
const REAL = process.env.PUP_TEST_REAL_KEYCHAIN === "1";
/** For tests that need the fake: its argv log, or a tool that hangs. */
const fakeOnly = REAL ? "needs the fake security (PUP_TEST_REAL_KEYCHAIN=1 is set)" : false;

interface Fake extends Pick<FakeTool, "dir" | "log" | "spawn" | "account" | "site"> {
  store(options?: { timeoutMs?: number; program?: string; clock?: Clock }): MacKeychain;
  calls(): { argv: string[]; stdinLineBytes?: number[] }[];
  /** Runs the tool directly, as a naive client would. */
  raw(args: string[], stdin?: string): ReturnType<Spawner>;
  /** The pup items of a site that exist now: whole, count record and chunks. */
  items(site: string): Promise<string[]>;
}

/**
 * Runs `fn` against a fresh fake keychain: in process (the fake `security` run by
 * {@link runSecurity}), or with `spawned` through the program tests/fakes/bin/security as a
 * real process (against the real keychain, always a process).
 */
function withFake(
  fn: (fake: Fake) => Promise<void>,
  env: Record<string, string> = {},
  mode: ToolMode = "in-process",
): Promise<void> {
  const setup = {
    prefix: "pup-security-",
    dataDir: "keychain",
    programs: [FAKE],
    run: (_program: string, call: ToolCall) => runSecurity(call),
    real: REAL,
    mode,
    env,
  };
  return withFakeTool(setup, async (tool) => {
    const program = REAL ? "security" : FAKE;
    const store = (options: { timeoutMs?: number; program?: string; clock?: Clock } = {}) =>
      new MacKeychain({ spawn: tool.spawn, program, ...options });
    const fake: Fake = {
      ...tool,
      store,
      calls: () => tool.calls(),
      raw: (args, stdin) => tool.spawn(program, args, { stdin, timeoutMs: 10_000 }),
      items: async (site) => {
        const base = stateAccount(site);
        if (!REAL) {
          const all = existsSync(tool.dataDir)
            ? readdirSync(tool.dataDir).filter((f) => f.endsWith(".json")).map((f) =>
              JSON.parse(readFileSync(join(tool.dataDir, f), "utf8")).account as string
            )
            : [];
          return all.filter((a) => a === base || a.startsWith(`${base}_`)).sort();
        }
        const names = [base, `${base}_c`, ...Array.from({ length: 40 }, (_, i) => `${base}_${i}`)];
        const found = await Promise.all(names.map((a) => store().get(a)));
        return names.filter((_, i) => found[i] !== null).sort();
      },
    };
    try {
      await fn(fake);
    } finally {
      if (REAL) await removeNamed(tool, fake.items, (a) => store().delete(a));
    }
  });
}

test("a value written to the macOS keychain reads back unchanged", () =>
  withFake(
    async (fake) => {
      const store = fake.store();
      const account = fake.account("state_example.com");
      const value = `{"a":"line1\\nline2 'single' \\"double\\" back\\\\slash é 日本 🐶"}\n\t`;
      await store.set(account, value);
      assert.equal(await store.get(account), value);
    },
    {},
    "spawned",
  ));

test("a missing keychain item reads as null and deleting it reports false", () =>
  withFake(async (fake) => {
    const store = fake.store();
    const account = fake.account("state_nothing");
    assert.equal(await store.get(account), null);
    assert.equal(await store.delete(account), false);
  }));

test("deleting a keychain item removes it and reports true", () =>
  withFake(async (fake) => {
    const store = fake.store();
    const account = fake.account("state_x");
    await store.set(account, "v");
    assert.equal(await store.delete(account), true);
    assert.equal(await store.get(account), null);
  }));

test("writing an existing keychain item replaces its value", () =>
  withFake(async (fake) => {
    const store = fake.store();
    const account = fake.account("state_x");
    await store.set(account, "first");
    await store.set(account, "second");
    assert.equal(await store.get(account), "second");
  }));

test("values are stored base64-encoded and a value without the prefix reads as printed", () =>
  withFake(async (fake) => {
    const store = fake.store();
    const enc = fake.account("state_enc");
    await store.set(enc, "hello\nworld");
    const printed = await fake.raw(["find-generic-password", "-s", "pup", "-a", enc, "-w"]);
    // Tagged with its account, so one `security -i` session can read many items.
    assert.equal(printed.stdout, `pup-item:${enc}:aGVsbG8Kd29ybGQ=\n`);
    const older = fake.account("older");
    await fake.raw([
      "add-generic-password",
      "-s",
      "pup",
      "-a",
      older,
      "-w",
      `${MAC_VALUE_PREFIX}aGVsbG8Kd29ybGQ=`,
    ]);
    assert.equal(await store.get(older), "hello\nworld", "what earlier versions wrote");

    const legacy = fake.account("legacy");
    const plain = await fake.raw(["add-generic-password", "-s", "pup", "-a", legacy, "-w", "x"]);
    assert.equal(plain.code, 0);
    assert.equal(await store.get(legacy), "x");
  }));

test("security -i cuts command lines at 4,095 bytes (the fake does what the real one does)", () =>
  withFake(async (fake) => {
    // What a client that ignores the limit gets: a truncated value and exit 1 from the rest
    // of the line parsed as a command — or exit 0 when the cut lands just before a newline.
    const cut = fake.account("cut");
    const prefix = `add-generic-password -s pup -a ${cut} -w `;
    const r = await fake.raw(["-i"], prefix + "A".repeat(5000) + "\n");
    assert.equal(r.code, 1);
    const stored = await fake.raw(["find-generic-password", "-s", "pup", "-a", cut, "-w"]);
    assert.equal(stored.stdout.length, 4095 - prefix.length + 1);

    const exact = prefix + "B\n";
    const padded = exact.slice(0, -1) + "B".repeat(4096 - exact.length) + "\n";
    const hidden = await fake.raw(["-i"], padded);
    assert.equal(hidden.code, 0, "the duplicate-item failure is hidden by the empty command");
    assert.match(hidden.stderr, /already exists/);
  }));

test("no command line sent to security -i reaches the 4,095-byte limit", () =>
  withFake(async (fake) => {
    const store = fake.store();
    // The longest account the limit allows with a value of maxValueBytes (336 characters).
    const account = fake.account("state_" + "s".repeat(330 - (REAL ? RUN.length + 1 : 0)));
    assert.equal(account.length, 336);
    await store.set(account, "v".repeat(MAC_MAX_VALUE_BYTES));
    assert.equal(await store.get(account), "v".repeat(MAC_MAX_VALUE_BYTES));
    if (REAL) return; // the rest reads the fake's log
    const lines = fake.calls().flatMap((c) => c.stdinLineBytes ?? []);
    assert.ok(lines.length >= 2);
    for (const n of lines) assert.ok(n <= MAC_LINE_LIMIT, `a line of ${n} bytes was sent`);
    // One command per process, so the exit status is that command's.
    for (const c of fake.calls()) assert.equal(c.stdinLineBytes?.length, 1);
  }));

test("a value over maxValueBytes or a line over the limit is refused before anything runs", () =>
  withFake(async (fake) => {
    const store = fake.store();
    await assert.rejects(
      store.set(fake.account("state_big"), "v".repeat(MAC_MAX_VALUE_BYTES + 1)),
      { code: "keychain" },
    );
    await assert.rejects(
      store.set(fake.account("state_" + "s".repeat(600)), "v".repeat(MAC_MAX_VALUE_BYTES)),
      { code: "keychain", message: /at most 4095 bytes/ },
    );
    if (!REAL) assert.deepEqual(fake.calls(), []);
  }));

test("command lines quote arguments the way security's split_line reads them", () => {
  assert.equal(
    macCommandLine("add-generic-password", ["-a", 'a "b" \\c', "-w", "x/y+z="]),
    'add-generic-password -a "a \\"b\\" \\\\c" -w x/y+z=\n',
  );
  assert.throws(() => macCommandLine("x", ["a\nb"]), PupError);
});

test("a 40 KB state is sharded through the macOS keychain without truncation", () =>
  withFake(async (fake) => {
    const site = fake.site("datadoghq.com");
    const state = new KeychainStateStore(fake.store());
    const big = bigState(40, 400);
    assert.ok(JSON.stringify(big).length > 40_000);
    await state.write(site, big);
    const items = await fake.items(site);
    assert.ok(items.length >= 17, `expected many chunks, found ${items.length} items`);
    assert.ok(!items.includes(stateAccount(site)), "no whole-value item beside the chunks");
    const writes = fake.calls().length;
    if (!REAL) {
      // One session to learn what is stored, one for every chunk, one for the count record.
      assert.ok(writes <= 3, `a sharded write took ${writes} security processes`);
    }
    const again = await new KeychainStateStore(fake.store()).read(site);
    assert.deepEqual(plain(again), big);
    for (const c of fake.calls()) {
      for (const n of c.stdinLineBytes ?? []) assert.ok(n <= MAC_LINE_LIMIT);
    }
  }));

test("a state that shrinks leaves no stale chunks in the macOS keychain", () =>
  withFake(async (fake) => {
    const site = fake.site("datadoghq.com");
    const state = new KeychainStateStore(fake.store());
    await state.write(site, bigState(8, 400));
    assert.equal((await fake.items(site)).length, 5);
    const small = bigState(1, 50);
    await new KeychainStateStore(fake.store()).write(site, small);
    assert.deepEqual(await fake.items(site), [stateAccount(site)]);
    assert.deepEqual(plain(await new KeychainStateStore(fake.store()).read(site)), small);
  }));

test("an empty state removes every macOS keychain item of the site", () =>
  withFake(async (fake) => {
    const site = fake.site("datadoghq.com");
    const other = fake.site("datadoghq.eu");
    const state = new KeychainStateStore(fake.store());
    await state.write(site, bigState(6, 400));
    await state.write(other, bigState(1, 10));
    await new KeychainStateStore(fake.store()).write(site, { tokens: {}, client: null });
    assert.deepEqual(await fake.items(site), []);
    assert.equal((await fake.items(other)).length, 1);
    assert.deepEqual(plain(await state.read(site)), { tokens: {}, client: null });
  }));

test(
  "a value stored whole is read with one security call",
  { skip: fakeOnly },
  () =>
    withFake(async (fake) => {
      const site = fake.site("datadoghq.com");
      await new KeychainStateStore(fake.store()).write(site, bigState(1, 10));
      const before = fake.calls().length;
      await new KeychainStateStore(fake.store()).read(site);
      assert.equal(fake.calls().length - before, 1);
    }),
);

test(
  "no secret ever appears in the argv of security",
  { skip: fakeOnly },
  () =>
    withFake(async (fake) => {
      const site = fake.site("datadoghq.com");
      const state = new KeychainStateStore(fake.store());
      const big = bigState(6, 400);
      await state.write(site, big);
      await new KeychainStateStore(fake.store()).read(site);
      const argv = readFileSync(fake.log, "utf8");
      assert.ok(fake.calls().length >= 3, "the write and the read ran security");
      for (const c of fake.calls()) assert.deepEqual(c.argv, ["-i"]);
      assert.ok(!argv.includes("at_org-"), "an access token is in argv");
      assert.ok(!argv.includes("AAAAAAAA"), "part of a token is in argv");
      assert.ok(!argv.includes(MAC_VALUE_PREFIX), "an encoded value is in argv");
    }),
);

test("a damaged state is a corrupt_file error and reading it leaves it in place", () =>
  withFake(async (fake) => {
    const site = fake.site("datadoghq.com");
    const account = stateAccount(site); // removed with the site
    const secrets = fake.store();
    await secrets.set(account, '{"tokens": "secret-ish-not-json');
    const state = new KeychainStateStore(secrets);
    await assert.rejects(state.read(site), (err: unknown) => {
      assert.ok(err instanceof PupError);
      assert.equal(err.code, "corrupt_file");
      assert.ok(err.message.includes(`keychain item "${account}"`));
      assert.doesNotMatch(err.message, /secret-ish/);
      assert.match(err.hint ?? "", /pup auth logout/);
      assert.match(err.hint ?? "", /pup auth login/);
      return true;
    });
    assert.equal(await secrets.get(account), '{"tokens": "secret-ish-not-json');
  }));

test(
  "a hanging security becomes a clear timeout error",
  { skip: fakeOnly },
  () =>
    withFake(
      async (fake) => {
        const clock = new FakeClock();
        const store = fake.store({ timeoutMs: 300, clock });
        const failed = store.get("state_x").then(() => assert.fail("answered"), (e) => e);
        await clock.advance(300);
        const err = await failed;
        assert.ok(err instanceof PupError);
        assert.equal(err.code, "keychain_timeout");
        assert.match(err.message, /timed out/);
        assert.match(err.message, /locked/);
        assert.match(err.hint ?? "", /DD_TOKEN_STORAGE=file/);
      },
      { PUP_FAKE_HANG: "1" },
      "spawned",
    ),
);

test("the macOS keychain is available when security answers and not when it is missing", () =>
  withFake(
    async (fake) => {
      assert.equal(await fake.store().available(), true);
      const missing = fake.store({ program: join(fake.dir, "no-such-security") });
      assert.equal(await missing.available(), false);
      assert.match((await missing.unavailableReason()) ?? "", /expected the program/);
      await assert.rejects(missing.get("state_x"), { code: "keychain_unavailable" });
      assert.equal(missing.precheck(), null, "nothing to check without spawning on macOS");
    },
    {},
    "spawned",
  ));

test("a failing security is reported with its exit status and no piece of the value", async () => {
  const spawn: Spawner = () =>
    Promise.resolve({
      code: 1,
      stdout: "",
      stderr: 'security: unknown command "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="\n',
      timedOut: false,
    });
  const store = new MacKeychain({ spawn });
  await assert.rejects(store.set("state_x", "v"), (err: unknown) => {
    assert.ok(err instanceof PupError);
    assert.equal(err.code, "keychain");
    assert.match(err.message, /expected exit 0, found exit 1: security: unknown command/);
    assert.match(err.message, /\[redacted\]/);
    assert.doesNotMatch(err.message, /QUJDREVG/);
    return true;
  });
});

/** A state as plain JSON data (stores key tokens on a prototype-less object). */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

test(
  "41 sessions with Datadog-sized scopes are read by one security process, and a refresh writes two items",
  { skip: fakeOnly },
  () =>
    withFake(async (fake) => {
      const site = fake.site("datadoghq.com");
      const big = bigState(41, 300);
      for (const t of Object.values(big.tokens)) t.scope = "monitors_read ".repeat(110).trim();
      await new KeychainStateStore(fake.store()).write(site, big);
      let before = fake.calls().length;
      const store = new KeychainStateStore(fake.store());
      const read = await store.read(site);
      assert.equal(Object.keys(read.tokens).length, 41);
      assert.equal(fake.calls().length - before, 1, "one security -i session for the read");
      read.tokens["org-37"] = sizedToken("org-37", 300); // same length, as a refresh
      read.tokens["org-37"].scope = big.tokens["org-37"].scope;
      read.tokens["org-37"].access_token = read.tokens["org-37"].access_token.replace("A", "B");
      before = fake.calls().length;
      await store.write(site, read);
      assert.equal(fake.calls().length - before, 2, "the changed chunk, then the count record");
    }),
);

test(
  "set calls made in the same tick share one security -i session, each line within the limit",
  { skip: fakeOnly },
  () =>
    withFake(async (fake) => {
      const store = fake.store();
      const value = (i: number) => `value ${i} `.repeat(200).slice(0, MAC_MAX_VALUE_BYTES);
      const accounts = Array.from({ length: 12 }, (_, i) => fake.account(`state_many_${i}`));
      await Promise.all(accounts.map((a, i) => store.set(a, value(i))));
      const calls = fake.calls();
      assert.equal(calls.length, 1);
      assert.deepEqual(calls[0].argv, ["-i"]);
      assert.equal(calls[0].stdinLineBytes?.length, 12);
      for (const n of calls[0].stdinLineBytes ?? []) assert.ok(n <= MAC_LINE_LIMIT);
      const read = await store.getMany(accounts);
      assert.deepEqual(accounts.map((a) => read?.get(a)), accounts.map((_, i) => value(i)));

      await store.setMany(accounts.slice(0, 3).map((a) => [a, "again"] as const));
      assert.equal(fake.calls().length, 3, "setMany is one session too");
      assert.equal(await store.get(accounts[2]), "again");
      assert.equal(await store.get(accounts[3]), value(3));
    }),
);

test("a write that fails inside a session of many is reported though -i exits 0", async () => {
  // `security -i` exits with the status of its LAST command (go-keyring#153): here the first
  // add failed and the second succeeded, so only stderr tells.
  const stderr = "security: SecKeychainItemCreateFromContent (<default>): " +
    "User interaction is not allowed.\nadd-generic-password: returned 25\n";
  const sessions: string[] = [];
  const spawn: Spawner = (_command, _args, options) => {
    sessions.push(options.stdin ?? "");
    return Promise.resolve({ code: 0, stdout: "", stderr, timedOut: false });
  };
  const store = new MacKeychain({ spawn });
  const check = (err: unknown) => {
    assert.ok(err instanceof PupError);
    assert.equal(err.code, "keychain");
    assert.match(err.message, /2 keychain items \("state_a", "state_b"\) in one session/);
    assert.match(err.message, /expected exit 0 and nothing on stderr, found exit 0/);
    assert.match(err.message, /User interaction is not allowed/);
    assert.doesNotMatch(err.message, /secret-one|c2VjcmV0/);
    return true;
  };
  await assert.rejects(store.setMany([["state_a", "secret-one"], ["state_b", "two"]]), check);
  const together = [store.set("state_a", "secret-one"), store.set("state_b", "two")];
  for (const write of together) await assert.rejects(write, check);
  assert.equal(sessions.length, 2);
  for (const stdin of sessions) assert.equal(stdin.split("\n").length, 3, "two lines a session");
  // One command alone is judged by its exit status, as before.
  await store.set("state_c", "v");
});

test("setMany refuses a line over the limit before anything runs", async () => {
  let spawned = 0;
  const spawn: Spawner = () => {
    spawned++;
    return Promise.resolve({ code: 0, stdout: "", stderr: "", timedOut: false });
  };
  const store = new MacKeychain({ spawn });
  await assert.rejects(
    store.setMany([["state_a", "v"], [
      "state_" + "s".repeat(600),
      "v".repeat(MAC_MAX_VALUE_BYTES),
    ]]),
    { code: "keychain", message: /at most 4095 bytes/ },
  );
  await assert.rejects(store.setMany([["state_a", "v".repeat(MAC_MAX_VALUE_BYTES + 1)]]), {
    code: "keychain",
  });
  assert.equal(spawned, 0);
});
