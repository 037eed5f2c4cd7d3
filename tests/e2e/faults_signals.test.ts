/**
 * @module
 * End to end, the write points tests/e2e/signals.test.ts and concurrency.test.ts leave out:
 * SIGTERM and SIGKILL while the compiled binary is inside a login's code exchange, SIGKILL
 * during a client registration and during logout's revocation. The fake Datadog holds the
 * request open (`delayMs`) so the signal lands while the site's lock is held.
 *
 * SIGTERM: exit 143, no lock or temp file, every state file byte for byte as before.
 * SIGKILL: nothing can run at the kill, so the lock stays; every state file is still byte for
 * byte as before and the next run (`pup auth refresh`, which takes the lock) breaks the dead
 * process's lock, succeeds and leaves no lock or temp file.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type FakeDatadog, oauthMetadata } from "../fakes/datadog.ts";
import { NO_BINARY, PUP_BIN, runBinary, seedSession } from "../helpers.ts";
import { tally } from "../fuzz/tally.ts";
import { holdsLock, leftovers, snapshot, spawnHeld, withFakeSite } from "./signal_helpers.ts";

const PREFIX = "pup-e2e-faults-signals-";

interface Case {
  name: string;
  signal: "SIGTERM" | "SIGKILL";
  held: string;
  args: string[];
  /** Whether the site's lock is held while the request is out (not during a code exchange). */
  locked: boolean;
  /** Exit codes after SIGTERM (default 143, 128 + 15). */
  codes?: number[];
  /** The next run after a SIGKILL: it takes the lock, so it must break the dead one's. */
  next: string[];
  prepare(t: { dir: string; fake: FakeDatadog }): Promise<void>;
}

const withSession: Case["prepare"] = async ({ dir, fake }) => {
  await seedSession(dir, fake.site, fake.issueTokens());
  fake.knobs.metadata = oauthMetadata(fake.url);
};

const cases: Case[] = [
  ...(["SIGTERM", "SIGKILL"] as const).map((signal): Case => ({
    name: `${signal} during a login's code exchange`,
    signal,
    held: "/oauth2/v1/token",
    args: ["auth", "login", "--org", "staging", "--timeout", "30"],
    locked: false,
    next: ["auth", "refresh"],
    prepare: withSession,
  })),
  {
    name: "SIGKILL during a client registration",
    signal: "SIGKILL",
    held: "/api/v2/oauth2/register",
    args: ["auth", "login", "--timeout", "30"],
    locked: true,
    next: ["auth", "login", "--timeout", "30"],
    prepare: () => Promise.resolve(),
  },
  {
    name: "SIGKILL during logout's revocation",
    signal: "SIGKILL",
    held: "/oauth2/v1/revoke",
    args: ["auth", "logout"],
    locked: true,
    // The held revocation completes at the server once released: the refresh token is gone
    // there, so the next run is the logout again (it still has the local session to remove).
    next: ["auth", "logout"],
    prepare: withSession,
  },
];

for (const c of cases) {
  test(`${c.name}: nothing stored is lost, and nothing is left that the next run cannot clear`, {
    skip: NO_BINARY,
    timeout: 60_000,
  }, () =>
    withFakeSite(PREFIX, async ({ fake, dir, env }) => {
      await c.prepare({ dir, fake });
      const before = await snapshot(dir);
      const pup = await spawnHeld(fake, c.held, c.args, env);
      if (c.locked) assert.ok(await holdsLock(dir), "no lock was held");
      process.kill(pup.pid, c.signal);
      const end = await pup.exited;
      const stderr = pup.stderr();
      fake.cancelDelays();
      fake.knobs.delayMs = {};
      const after = await snapshot(dir);
      const lost = Object.keys(before).filter((k) => after[k] !== before[k]);
      let left = await leftovers(dir);
      let next = { code: 0 as number | null, stderr: "" };
      if (c.signal === "SIGKILL") {
        next = await runBinary(c.next, env);
        left = await leftovers(dir);
      }
      tally({ suite: "e2e/faults-signals", inputs: 1, faults: 1, killed: 1, lost: lost.length });
      assert.deepEqual(lost, [], "a state file changed");
      if (c.signal === "SIGTERM") assert.ok((c.codes ?? [143]).includes(end.code!), stderr);
      else assert.equal(end.signal, "SIGKILL");
      assert.equal(next.code, 0, `the next run failed: ${next.stderr}`);
      assert.deepEqual(left, [], "a lock or temp file was left behind");
    }));
}

// The login's wait reported every interruption as 130 (lib/auth/wait.ts interruptedError):
// now 128 + the signal's number, as a locked step (and a shell) reports it.
for (const [signal, code] of [["SIGTERM", 143], ["SIGHUP", 129], ["SIGINT", 130]] as const) {
  test(
    `${signal} during a login's code exchange exits ${code}, as ${signal} in a locked step does`,
    {
      skip: NO_BINARY,
      timeout: 60_000,
    },
    () =>
      withFakeSite(PREFIX, async ({ fake, dir, env }) => {
        await withSession({ dir, fake });
        const args = ["auth", "login", "--org", "staging", "--timeout", "30"];
        const pup = await spawnHeld(fake, "/oauth2/v1/token", args, env);
        process.kill(pup.pid, signal);
        assert.equal((await pup.exited).code, code, pup.stderr());
        assert.match(pup.stderr(), /login interrupted/);
      }),
  );
}

test(
  "logins killed with SIGKILL at random moments (the session write included) lose no stored session",
  {
    skip: NO_BINARY,
    timeout: 180_000,
  },
  () =>
    withFakeSite(PREFIX, async ({ fake, dir, env }) => {
      await withSession({ dir, fake });
      const defaultOf = async () =>
        JSON.parse(
          await readFile(
            join(
              dir,
              Object.keys(await snapshot(dir)).find((n) => n.startsWith("tokens_"))!,
            ),
            "utf8",
          ),
        ).__default__;
      const kept = JSON.stringify(await defaultOf());
      // How long a whole login takes here: kills land anywhere in it, the final write included.
      const t0 = Date.now();
      const first = await runBinary(["auth", "login", "--org", "staging", "--timeout", "30"], env);
      assert.equal(first.code, 0, first.stderr);
      const span = Math.max(50, Date.now() - t0);
      const REPS = 16;
      let killed = 0;
      let lost = 0;
      for (let rep = 0; rep < REPS; rep++) {
        const child = spawn(PUP_BIN, ["auth", "login", "--org", `o${rep}`, "--timeout", "30"], {
          env,
          stdio: "ignore",
        });
        const exited = new Promise<string | null>((r) => child.on("close", (_c, s) => r(s)));
        const timer = setTimeout(
          () => child.kill("SIGKILL"),
          Math.floor(((rep + 0.5) / REPS) * span),
        );
        if ((await exited) === "SIGKILL") killed++;
        clearTimeout(timer);
        // Every state file parses and the default session is as it was.
        for (const [name, text] of Object.entries(await snapshot(dir))) {
          assert.doesNotThrow(() => JSON.parse(text), `${name} is torn`);
        }
        if (JSON.stringify(await defaultOf()) !== kept) lost++;
      }
      // A killed login's browser lives on and may still deliver its callback (its state) to port
      // 8000, which ends a login waiting there with a state mismatch (CONTRACT §5): the next
      // login waits on another port.
      const next = await runBinary(
        ["auth", "login", "--org", "after", "--timeout", "30", "--callback-port", "8080"],
        env,
      );
      tally({
        suite: "e2e/faults-signals/login-sigkill",
        inputs: REPS,
        faults: killed,
        killed,
        lost,
      });
      assert.ok(
        killed >= REPS / 2,
        `only ${killed} of ${REPS} logins were killed before they ended`,
      );
      assert.equal(lost, 0, "the default session changed");
      assert.equal(next.code, 0, `the login after the kills failed: ${next.stderr}`);
      assert.deepEqual(
        (await leftovers(dir)).filter((f) => /\.(tmp|new|old)$/.test(f)),
        [],
        "the next write left the killed writers' temp files",
      );
      console.log(`figures: logins=${REPS} kills=${killed} span_ms=${span} lost=${lost}`);
    }),
);
