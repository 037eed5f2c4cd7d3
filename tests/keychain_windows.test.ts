/**
 * @module
 * The Windows Credential Manager back end. By default against the fake `powershell` / `pwsh`
 * (tests/fakes/powershell.mjs: it runs pup's script protocol over files), run in process
 * through the back end's Spawner — the same code the programs tests/fakes/bin/powershell and
 * pwsh run, without a node start-up per call; the tests marked `spawned` run those programs as
 * real processes (spawning, a missing program, a hang). With `PUP_TEST_REAL_KEYCHAIN=1` (CI on
 * Windows) every test runs against the real `powershell.exe` / `pwsh.exe` and Credential
 * Manager, with account names of this run only and everything removed afterwards. Assertions
 * that need the fake (its argv log, injected failures) run only there.
 */
import assert from "node:assert/strict";
import type { Clock } from "../lib/deps.ts";
import { FakeClock } from "./fakes/clock.ts";
import { Buffer } from "node:buffer";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { PupError } from "../lib/errors.ts";
import { KeychainStateStore, stateAccount } from "../lib/store/keychain_state_store.ts";
import {
  WINDOWS_BLOB_LIMIT,
  WINDOWS_MAX_VALUE_BYTES,
  WindowsCredentialManager,
} from "../lib/store/keychain_windows.ts";
import { WINCRED_SCRIPT } from "../lib/store/keychain_windows_script.ts";
import {
  type FakeTool,
  removeNamed,
  type ToolCall,
  type ToolMode,
  withFakeTool,
} from "./fakes/keychain_tool.ts";
import { runPowerShell } from "./fakes/powershell.mjs";
import { bigState } from "./fakes/site_states.ts";

const BIN = fileURLToPath(new URL("./fakes/bin/", import.meta.url));
const FAKE = join(BIN, "powershell");
/** Against the real PowerShell and Credential Manager (CI on Windows): `PUP_TEST_REAL_KEYCHAIN=1`. */
const REAL = process.env.PUP_TEST_REAL_KEYCHAIN === "1";
/** For tests that need the fake: its argv log, a hang, or an injected Windows failure. */
const fakeOnly = REAL ? "needs the fake powershell (PUP_TEST_REAL_KEYCHAIN=1 is set)" : false;
const POWERSHELL = REAL ? "powershell.exe" : FAKE;
const PWSH = REAL ? "pwsh.exe" : join(BIN, "pwsh");

interface Fake extends Pick<FakeTool, "dir" | "log" | "spawn" | "account" | "site"> {
  store(
    options?: { timeoutMs?: number; program?: string; clock?: Clock },
  ): WindowsCredentialManager;
  calls(): { tool: string; argv: string[] }[];
  /** The targets (`pup:<account>`) of a site's credentials that exist now. */
  items(site: string): Promise<string[]>;
}

/**
 * Runs `fn` against a fresh fake Credential Manager: in process (the fake powershell and pwsh
 * run by {@link runPowerShell}), or with `spawned` through the programs in tests/fakes/bin as
 * real processes (against the real one, always processes).
 */
function withFake(
  fn: (fake: Fake) => Promise<void>,
  env: Record<string, string> = {},
  mode: ToolMode = "in-process",
): Promise<void> {
  const setup = {
    prefix: "pup-wincred-",
    dataDir: "credentials",
    programs: [POWERSHELL, PWSH],
    run: (program: string, call: ToolCall) =>
      runPowerShell({ tool: program.split("/").pop() ?? program, ...call }),
    real: REAL,
    mode,
    env,
  };
  return withFakeTool(setup, async (tool) => {
    const store = (options: { timeoutMs?: number; program?: string; clock?: Clock } = {}) =>
      new WindowsCredentialManager({ spawn: tool.spawn, program: POWERSHELL, ...options });
    const fake: Fake = {
      ...tool,
      store,
      calls: () => tool.calls(),
      items: async (site) => {
        const base = stateAccount(site);
        const mine = (target: string) =>
          target === `pup:${base}` || target.startsWith(`pup:${base}_`);
        if (!REAL) {
          return existsSync(tool.dataDir)
            ? readdirSync(tool.dataDir).map((f) =>
              JSON.parse(readFileSync(join(tool.dataDir, f), "utf8")).target as string
            ).filter(mine).sort()
            : [];
        }
        const names = [base, `${base}_c`, ...Array.from({ length: 60 }, (_, i) => `${base}_${i}`)];
        const s = store(); // one batch: one PowerShell process
        const found = await Promise.all(names.map((a) => s.get(a)));
        return names.filter((_, i) => found[i] !== null).map((a) => `pup:${a}`).sort();
      },
    };
    try {
      await fn(fake);
    } finally {
      if (REAL) {
        const s = store(); // one batch: one PowerShell process
        const accountsOf = async (site: string) =>
          (await fake.items(site)).map((target) => target.slice("pup:".length));
        await removeNamed(tool, accountsOf, (a) => s.delete(a));
      }
    }
  });
}

test("a value written to Credential Manager reads back unchanged", () =>
  withFake(
    async (fake) => {
      const store = fake.store();
      const site = fake.site("example.com");
      const value = `{"a":"line1\\nline2 'q' \\"dq\\" é 日本 🐶"}\r\n`;
      await store.set(stateAccount(site), value);
      assert.equal(await store.get(stateAccount(site)), value);
      assert.deepEqual(await fake.items(site), [`pup:${stateAccount(site)}`]);
    },
    {},
    "spawned",
  ));

test("a missing credential reads as null and deleting it reports false", () =>
  withFake(async (fake) => {
    const store = fake.store();
    const account = fake.account("state_none");
    assert.equal(await store.get(account), null);
    assert.equal(await store.delete(account), false);
  }));

test("deleting a credential removes it and reports true", () =>
  withFake(async (fake) => {
    const store = fake.store();
    const site = fake.site("x");
    await store.set(stateAccount(site), "value");
    assert.equal(await store.delete(stateAccount(site)), true);
    assert.equal(await store.get(stateAccount(site)), null);
    assert.deepEqual(await fake.items(site), []);
  }));

test("Credential Manager shards at 1,000 bytes, well inside the 2,560-byte blob", () =>
  withFake(async (fake) => {
    const store = fake.store();
    const account = fake.account("state_edge");
    assert.equal(store.maxValueBytes, 1000);
    await store.set(account, "e".repeat(WINDOWS_MAX_VALUE_BYTES));
    assert.equal(await store.get(account), "e".repeat(WINDOWS_MAX_VALUE_BYTES));
    await assert.rejects(store.set(account, "e".repeat(WINDOWS_MAX_VALUE_BYTES + 1)), {
      code: "keychain",
      message: /at most 1000 bytes, found 1001/,
    });
  }));

test("the script refuses blobs over 2,560 bytes as CredWrite would", () =>
  withFake(async (fake) => {
    const account = fake.account("state_big");
    const blob = Buffer.alloc(WINDOWS_BLOB_LIMIT + 1, 65).toString("base64");
    const enc = Buffer.from(WINCRED_SCRIPT, "utf16le").toString("base64");
    const r = await fake.spawn(
      POWERSHELL,
      ["-NoProfile", "-NonInteractive", "-EncodedCommand", enc],
      { stdin: `set ${account} ${blob}\nget ${account}\n`, timeoutMs: 60_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.split("\r\n"), ["87", "1168", ""]);
  }));

test("a 40 KB state is sharded through Credential Manager without truncation", () =>
  withFake(async (fake) => {
    const site = fake.site("datadoghq.com");
    const big = bigState(40, 400);
    assert.ok(JSON.stringify(big).length > 40_000);
    await new KeychainStateStore(fake.store()).write(site, big);
    const items = await fake.items(site);
    assert.ok(items.length > 40);
    assert.ok(items.includes(`pup:${stateAccount(site)}_c`));
    assert.deepEqual(plain(await new KeychainStateStore(fake.store()).read(site)), big);
  }));

test(
  "requests made together share one PowerShell process",
  { skip: fakeOnly },
  () =>
    withFake(async (fake) => {
      await new KeychainStateStore(fake.store()).write("datadoghq.com", bigState(40, 400));
      const writes = fake.calls().length;
      // One to learn what is stored, one for the chunks, one for the count record (last).
      assert.ok(writes <= 4, `a sharded write took ${writes} processes`);
      await new KeychainStateStore(fake.store()).read("datadoghq.com");
      // One process for the whole item, the count record and up to 128 chunks (40 KB here).
      assert.equal(fake.calls().length - writes, 1);
    }),
);

test(
  "a state of one or two sessions is read by one PowerShell process",
  { skip: fakeOnly },
  () =>
    withFake(async (fake) => {
      const state = bigState(2, 1000); // about 4.5 KB: five chunks
      await new KeychainStateStore(fake.store()).write("datadoghq.com", state);
      const before = fake.calls().length;
      assert.deepEqual(
        plain(await new KeychainStateStore(fake.store()).read("datadoghq.com")),
        state,
      );
      assert.equal(fake.calls().length - before, 1);
    }),
);

test("a state that shrinks leaves no stale credentials behind", () =>
  withFake(async (fake) => {
    const site = fake.site("datadoghq.com");
    await new KeychainStateStore(fake.store()).write(site, bigState(10, 400));
    assert.ok((await fake.items(site)).length > 10);
    const small = bigState(1, 10);
    await new KeychainStateStore(fake.store()).write(site, small);
    assert.deepEqual(await fake.items(site), [`pup:${stateAccount(site)}`]);
    assert.deepEqual(plain(await new KeychainStateStore(fake.store()).read(site)), small);

    await new KeychainStateStore(fake.store()).write(site, { tokens: {}, client: null });
    assert.deepEqual(await fake.items(site), []);
  }));

test(
  "no secret ever appears in PowerShell's argv or script text",
  { skip: fakeOnly },
  () =>
    withFake(async (fake) => {
      const big = bigState(5, 400);
      await new KeychainStateStore(fake.store()).write("datadoghq.com", big);
      await new KeychainStateStore(fake.store()).read("datadoghq.com");
      const calls = fake.calls();
      assert.ok(calls.length >= 2);
      const log = readFileSync(fake.log, "utf8");
      for (const c of calls) {
        assert.deepEqual(c.argv.slice(0, 3), ["-NoProfile", "-NonInteractive", "-EncodedCommand"]);
        const script = Buffer.from(c.argv[3], "base64").toString("utf16le");
        assert.equal(script, WINCRED_SCRIPT);
      }
      assert.ok(!WINCRED_SCRIPT.includes("at_org-") && !WINCRED_SCRIPT.includes("AAAA"));
      assert.ok(!log.includes("at_org-"));
      assert.ok(!log.includes(Buffer.from("AAAAAAAAAAAA").toString("base64")));
    }),
);

test(
  "a hanging PowerShell becomes a clear timeout error",
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
        assert.match(err.hint ?? "", /DD_TOKEN_STORAGE=file/);
      },
      { PUP_FAKE_HANG: "1" },
      "spawned",
    ),
);

test(
  "a logon session without a credential set (SSH, WinRM) is reported as unavailable",
  { skip: fakeOnly },
  () =>
    withFake(async (fake) => {
      const store = fake.store();
      assert.equal(await store.available(), false);
      assert.match(
        (await store.unavailableReason()) ?? "",
        /ERROR_NO_SUCH_LOGON_SESSION \(1312\)/,
      );
      await assert.rejects(store.set("state_x", "v"), { code: "keychain_unavailable" });
    }, { PUP_FAKE_WINCRED_NO_LOGON: "1" }),
);

test(
  "Constrained Language Mode blocking Add-Type is reported as unavailable",
  { skip: fakeOnly },
  () =>
    withFake(async (fake) => {
      const store = fake.store();
      assert.equal(await store.available(), false);
      assert.match((await store.unavailableReason()) ?? "", /Add-Type/);
    }, { PUP_FAKE_WINCRED_CLM: "1" }),
);

test("Credential Manager is available through powershell or pwsh and not when neither exists", () =>
  withFake(
    async (fake) => {
      assert.equal(await fake.store().available(), true);
      const account = fake.account("state_p");
      const pwsh = fake.store({ program: PWSH });
      await pwsh.set(account, "via pwsh");
      assert.equal(await fake.store().get(account), "via pwsh");
      if (!REAL) {
        assert.deepEqual(fake.calls().map((c) => c.tool).sort(), [
          "powershell",
          "powershell",
          "pwsh",
        ]);
      }
      const missing = fake.store({ program: join(fake.dir, "no-powershell") });
      assert.equal(await missing.available(), false);
      await assert.rejects(missing.get("state_x"), { code: "keychain_unavailable" });
      assert.equal(missing.precheck(), null, "nothing to check without spawning on Windows");
    },
    {},
    "spawned",
  ));

/** A state as plain JSON data (stores key tokens on a prototype-less object). */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

test(
  "41 sessions with Datadog-sized scopes are read by one PowerShell process",
  { skip: fakeOnly },
  () =>
    withFake(async (fake) => {
      const big = bigState(41, 300);
      for (const t of Object.values(big.tokens)) t.scope = "monitors_read ".repeat(110).trim();
      await new KeychainStateStore(fake.store()).write("datadoghq.com", big);
      const before = fake.calls().length;
      const read = await new KeychainStateStore(fake.store()).read("datadoghq.com");
      assert.equal(Object.keys(read.tokens).length, 41);
      assert.equal(fake.calls().length - before, 1);
    }),
);
