import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmod, readFile, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { localEnv, runPup, testDeps, withFakeDatadog, withTempDir } from "./helpers.ts";
import { FakeClock } from "./fakes/clock.ts";
import { PupError } from "../lib/errors.ts";
import {
  readSessions,
  removeSession,
  sessionsPath,
  updateSessions,
  upsertSession,
  validateOrgName,
} from "../lib/session/sessions.ts";
import { siteKey } from "../lib/store/state_store.ts";
import {
  DEFAULT_ORG_KEY,
  hasOrg,
  isSession,
  orgKey,
  orgOfKey,
  plainRecord,
  registryOrg,
  sessionId,
  sessionLabel,
  tokenFor,
} from "../lib/session/identity.ts";
import { resolveTarget } from "../lib/session/resolve.ts";
import { Context } from "../lib/cli/context.ts";

let nextPid = 20_000;
/** A process's view of the site lock, on a fake clock (`clock`, or one of its own). */
const lockDeps = (clock = new FakeClock()) => ({
  clock,
  pid: nextPid++,
  processExists: () => true,
});

async function withDir(fn: (dir: string) => Promise<void>) {
  return await withTempDir(async (dir) => {
    await fn(dir.path);
  });
}

test("a missing sessions.json is an empty registry", async () => {
  await withDir(async (dir) => assert.deepEqual(await readSessions(dir), []));
});

test("upsertSession adds a session once and updates its org_uuid in place", () => {
  let e = upsertSession([], { site: "datadoghq.com", org: null });
  e = upsertSession(e, { site: "datadoghq.eu", org: "prod", org_uuid: "u1" });
  e = upsertSession(e, { site: "datadoghq.eu", org: "prod", org_uuid: "u2" });
  assert.deepEqual(e, [
    { site: "datadoghq.com", org: null },
    { site: "datadoghq.eu", org: "prod", org_uuid: "u2" },
  ]);
});

test("removeSession forgets exactly one (site, org) pair", () => {
  const e = [
    { site: "a", org: null },
    { site: "a", org: "x" },
    { site: "b", org: "x" },
  ];
  assert.deepEqual(removeSession(e, "a", "x"), [{ site: "a", org: null }, { site: "b", org: "x" }]);
  assert.deepEqual(removeSession(e, "a", null), [{ site: "a", org: "x" }, { site: "b", org: "x" }]);
});

test("updateSessions writes sessions.json atomically with mode 0600", async () => {
  await withDir(async (dir) => {
    await updateSessions(dir, lockDeps(), (e) => upsertSession(e, { site: "s", org: "o" }));
    assert.deepEqual(JSON.parse(await readFile(sessionsPath(dir), "utf8")), [
      { site: "s", org: "o" },
    ]);
    assert.equal((await stat(sessionsPath(dir))).mode & 0o777, 0o600);
  });
});

test("concurrent updates of sessions.json lose no session", async () => {
  await withDir(async (dir) => {
    // Thirty processes at once: all but one wait for the lock, backing off on the fake clock.
    const clock = new FakeClock();
    const writers = Array.from(
      { length: 30 },
      (_, i) =>
        updateSessions(dir, lockDeps(clock), (e) => upsertSession(e, { site: "s", org: `o${i}` })),
    );
    await clock.run(writers); // time moves only when every writer waits on the clock
    await Promise.all(writers);
    const orgs = (await readSessions(dir)).map((s) => s.org).sort();
    assert.equal(orgs.length, 30);
    assert.equal(new Set(orgs).size, 30);
  });
});

test("a sessions.json that is not an array is an error naming the file and the fault", async () => {
  await withDir(async (dir) => {
    await writeFile(sessionsPath(dir), `{"site":"x"}`);
    await assert.rejects(readSessions(dir), (err: PupError) => {
      assert.equal(err.code, "corrupt_file");
      assert.ok(err.message.includes(sessionsPath(dir)));
      assert.match(err.message, /expected an array of sessions/);
      assert.match(err.hint!, /fix or delete that file/);
      return true;
    });
  });
});

test("a sessions.json entry without a site is an error naming the entry", async () => {
  await withDir(async (dir) => {
    await writeFile(sessionsPath(dir), `[{"site":"a","org":null},{"org":"x"}]`);
    await assert.rejects(readSessions(dir), /entry 1 has no site/);
  });
});

test("a malformed sessions.json is never overwritten by an update", async () => {
  await withDir(async (dir) => {
    await writeFile(sessionsPath(dir), "[{");
    await assert.rejects(
      updateSessions(dir, lockDeps(), (e) => upsertSession(e, { site: "s", org: "o" })),
      /not valid JSON/,
    );
    assert.equal(await readFile(sessionsPath(dir), "utf8"), "[{");
  });
});

test("org names follow the contract: 1-64 of letters, digits, '.', '_', '-', no leading '.'", () => {
  for (const ok of ["prod", "a", "prod-child", "ap2_prod.1", "x".repeat(64), "-x", "_x"]) {
    assert.equal(validateOrgName(ok), ok);
  }
  for (const bad of ["", ".hidden", "__default__", "x".repeat(65), "a b", "a/b", "é"]) {
    assert.throws(() => validateOrgName(bad), (e: PupError) => e.code === "usage", bad);
  }
});

test("an invalid --org is a usage error before anything is read or sent", async () => {
  await withDir(async (dir) => {
    const r = await runPup(
      ["auth", "token", "--org", "../etc"],
      testDeps({ PUP_CONFIG_DIR: dir, HOME: dir, DD_TOKEN_STORAGE: "file" }),
    );
    assert.equal(r.code, 2);
    assert.match(r.stderr, /invalid org name "\.\.\/etc"/);
  });
});

test("login records each session with site, org and org_uuid, and no secret", () =>
  withFakeDatadog(async (fake, dir) => {
    const env = localEnv(fake.site, dir.path);
    const deps = () => testDeps(env);
    const uuid = "11111111-2222-3333-4444-555555555555";
    assert.equal((await runPup(["auth", "login"], deps())).code, 0);
    assert.equal(
      (await runPup(["auth", "login", "--org", "a", "--org-uuid", uuid], deps())).code,
      0,
    );
    assert.equal((await runPup(["auth", "login", "--org", "a"], deps())).code, 0);
    const text = await readFile(sessionsPath(dir.path), "utf8");
    assert.deepEqual(JSON.parse(text), [
      { site: fake.site, org: null },
      { site: fake.site, org: "a", org_uuid: uuid },
    ]);
    for (const secret of fake.secrets()) assert.ok(!text.includes(secret));
  }));

test("a session survives in its own process: a new run reads it back from sessions.json", () =>
  withFakeDatadog(async (fake, dir) => {
    const env = localEnv(fake.site, dir.path);
    assert.equal(
      (await runPup(["auth", "login", "--org", "keep"], testDeps(env)))
        .code,
      0,
    );
    // Another "process" without DD_SITE finds the site from the registry alone.
    const r = await runPup(
      ["auth", "token", "--org", "keep"],
      testDeps({ ...env, DD_SITE: undefined }),
    );
    assert.equal(r.code, 0, r.stderr);
    const tokens = JSON.parse(
      await readFile(join(dir.path, `tokens_${siteKey(fake.site)}.json`), "utf8"),
    );
    assert.equal(r.stdout, tokens.keep.access_token + "\n");
  }));

// Issue 9, defect 1: a site recorded in sessions.json passes CONTRACT §1 validation before use.
const PLANTED_SITES = [
  "127.0.0.1#.datadoghq.com",
  "127.0.0.1/.datadoghq.com",
  "127.0.0.1?.datadoghq.com",
  "127.0.0.1\\.datadoghq.com",
  "user@127.0.0.1.datadoghq.com",
  "datadoghq.com@127.0.0.1",
];

test("a planted site in sessions.json is refused when read, naming the file and the entry", async () => {
  for (const site of PLANTED_SITES) {
    await withDir(async (dir) => {
      const text = JSON.stringify([{ site: "datadoghq.com", org: null }, { site, org: "victim" }]);
      await writeFile(sessionsPath(dir), text);
      await assert.rejects(readSessions(dir), (err: PupError) => {
        assert.equal(err.code, "corrupt_file", site);
        assert.equal(err.exitCode, 1);
        assert.ok(err.message.includes(sessionsPath(dir)), err.message);
        assert.match(err.message, /entry 1: invalid site/);
        return true;
      });
      assert.equal(await readFile(sessionsPath(dir), "utf8"), text, "the file is kept as it was");
    });
  }
});

test("a planted site in sessions.json never receives DD_API_KEY: the command fails naming the file", async () => {
  for (const site of PLANTED_SITES) {
    await withDir(async (dir) => {
      await writeFile(sessionsPath(dir), JSON.stringify([{ site, org: "victim" }]));
      const sent: string[] = [];
      const deps = testDeps(
        {
          PUP_CONFIG_DIR: dir,
          HOME: dir,
          DD_TOKEN_STORAGE: "file",
          DD_API_KEY: "planted-api-key",
          DD_APP_KEY: "planted-app-key",
        },
        {
          fetch: (input) => {
            sent.push(input instanceof Request ? input.url : String(input));
            return Promise.resolve(new Response("{}", { status: 200 }));
          },
        },
      );
      const r = await runPup(["api", "/api/v1/validate", "--org", "victim"], deps);
      assert.deepEqual(sent, [], `nothing is sent for ${site}`);
      assert.equal(r.code, 1, r.stderr);
      assert.ok(r.stderr.includes(sessionsPath(dir)), r.stderr);
      assert.ok(!r.stdout.includes("planted") && !r.stderr.includes("planted-api-key"));
    });
  }
});

test("a site in sessions.json is normalised like --site before use", async () => {
  await withDir(async (dir) => {
    await writeFile(
      sessionsPath(dir),
      JSON.stringify([{ site: " https://app.DatadogHQ.eu/ ", org: "prod", org_uuid: "u" }]),
    );
    assert.deepEqual(await readSessions(dir), [
      { site: "datadoghq.eu", org: "prod", org_uuid: "u" },
    ]);
  });
});

test("an org in sessions.json that is not an org name is refused naming the entry", async () => {
  await withDir(async (dir) => {
    await writeFile(sessionsPath(dir), JSON.stringify([{ site: "datadoghq.com", org: "../x" }]));
    await assert.rejects(readSessions(dir), /entry 0: org "\.\.\/x" is not an org name/);
  });
});

// Issue 9, second pass: org names that are Object prototype keys are valid and plain data.
const PROTO_ORGS = ["constructor", "__proto__", "toString", "valueOf", "hasOwnProperty"];

test("org names that are Object prototype keys are valid org names", () => {
  for (const org of PROTO_ORGS) assert.equal(validateOrgName(org), org);
});

test("keyed session state is looked up as own data only", () => {
  const tokens = plainRecord(JSON.parse('{"__proto__": 1, "prod": 2}') as Record<string, number>);
  assert.equal(tokenFor(tokens, "__proto__"), 1);
  assert.equal(tokenFor(tokens, "prod"), 2);
  for (const org of PROTO_ORGS.filter((o) => o !== "__proto__")) {
    assert.equal(tokenFor(tokens, org), undefined, org);
    assert.equal(tokenFor({}, org), undefined, org);
    assert.equal(hasOrg({}, org), false, org);
  }
  assert.equal(tokenFor({ [DEFAULT_ORG_KEY]: 3 }, undefined), 3);
  assert.equal(tokenFor({ [DEFAULT_ORG_KEY]: 3 }, null), 3);
});

test("sessions named like prototype keys are recorded, found and removed as plain data", async () => {
  await withDir(async (dir) => {
    for (const org of PROTO_ORGS) {
      await updateSessions(dir, lockDeps(), (e) => upsertSession(e, { site: "s", org }));
    }
    const entries = await readSessions(dir);
    assert.deepEqual(entries.map((e) => e.org), PROTO_ORGS);
    assert.deepEqual(removeSession(entries, "s", "constructor").map((e) => e.org), [
      "__proto__",
      "toString",
      "valueOf",
      "hasOwnProperty",
    ]);
  });
});

test(
  "auth status --org constructor does not report a session that does not exist",
  async () => {
    await withDir(async (dir) => {
      for (const org of PROTO_ORGS) {
        const r = await runPup(
          ["auth", "status", "--org", org, "-o", "json"],
          testDeps({ PUP_CONFIG_DIR: dir, HOME: dir, DD_TOKEN_STORAGE: "file" }),
        );
        assert.equal(r.code, 4, `${org}: ${r.stdout}${r.stderr}`);
        assert.doesNotMatch(r.stdout, /"authenticated":\s*true/);
      }
    });
  },
);

test("one session identity: the default session has one key, one registry spelling, one label", () => {
  for (const none of [undefined, null]) {
    assert.equal(orgKey(none), DEFAULT_ORG_KEY);
    assert.equal(registryOrg(none), null);
    assert.deepEqual(sessionId("datadoghq.eu", none), {
      site: "datadoghq.eu",
      org: undefined,
      orgKey: DEFAULT_ORG_KEY,
    });
    assert.equal(sessionLabel("datadoghq.eu", none), "the default session on datadoghq.eu");
  }
  assert.equal(DEFAULT_ORG_KEY, "__default__");
  assert.equal(orgOfKey(DEFAULT_ORG_KEY), undefined);
  assert.equal(orgOfKey("prod"), "prod");
  assert.deepEqual(sessionId("s", "prod"), { site: "s", org: "prod", orgKey: "prod" });
  assert.ok(isSession({ site: "s", org: null }, "s", undefined));
  assert.ok(!isSession({ site: "s", org: null }, "s", "prod"));
  assert.throws(() => validateOrgName(DEFAULT_ORG_KEY), /not __default__/);
});

test("resolveTarget gives the session's orgKey with its site", async () => {
  await withDir(async (dir) => {
    await writeFile(sessionsPath(dir), JSON.stringify([{ site: "datadoghq.eu", org: "prod" }]));
    const deps = testDeps({ PUP_CONFIG_DIR: dir, HOME: dir });
    const ctx = new Context(deps, { org: "prod", trustSite: false, verbose: false });
    assert.deepEqual(await resolveTarget(ctx), {
      site: "datadoghq.eu",
      org: "prod",
      orgKey: "prod",
      siteSource: "sessions",
    });
  });
});

test("a FIFO as sessions.json is refused at once, naming the file, instead of blocking", async () => {
  await withDir(async (dir) => {
    assert.equal(spawnSync("mkfifo", [sessionsPath(dir)]).status, 0, "mkfifo is needed");
    await assert.rejects(readSessions(dir), (err: PupError) => {
      assert.equal(err.code, "corrupt_file");
      assert.equal(err.exitCode, 1);
      assert.ok(err.message.includes(sessionsPath(dir)));
      assert.match(err.message, /expected a regular file, found a FIFO/);
      return true;
    });
  });
});

test("a symlinked sessions.json is read through and its target's mode is left alone", async () => {
  await withDir(async (dir) => {
    const target = join(dir, "elsewhere.json");
    await writeFile(target, JSON.stringify([{ site: "datadoghq.eu", org: "prod" }]));
    await chmod(target, 0o644);
    await symlink(target, sessionsPath(dir));
    assert.deepEqual(await readSessions(dir), [{ site: "datadoghq.eu", org: "prod" }]);
    assert.equal((await stat(target)).mode & 0o777, 0o644);
  });
});
