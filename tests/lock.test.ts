import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdir, readFile, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { localEnv, runPup, tempDir, testDeps } from "./helpers.ts";
import { PupError } from "../lib/errors.ts";
import { readJsonFile, writeFileAtomic } from "../lib/store/files.ts";
import { heldCount, type SignalHooks } from "../lib/store/held_files.ts";
import { type LockDeps, lockPath, REGISTRY_LOCK, withSiteLock } from "../lib/store/lock.ts";
import { createFakeDatadog } from "./fakes/datadog.ts";
import { FakeClock, settle } from "./fakes/clock.ts";
import { siteKey } from "../lib/store/state_store.ts";

const SITE = "datadoghq.com";
const DEAD = 4_000_000;

let nextPid = 10_000;

/** Signals that only a test sends: the handler is kept, `exit` records its code. */
function fakeSignals(): SignalHooks & {
  send(signal: string): void;
  exits: number[];
  listening(): boolean;
} {
  let handler: ((signal?: string) => void) | undefined;
  const exits: number[] = [];
  return {
    onInterrupt(h) {
      handler = h;
      return () => {
        if (handler === h) handler = undefined;
      };
    },
    exit: (code) => void exits.push(code),
    send: (signal) => handler?.(signal),
    exits,
    listening: () => handler !== undefined,
  };
}

/** A process's view of the lock on `clock`: its own pid; every pid but DEAD is alive. */
function lockDeps(clock: FakeClock, signals: SignalHooks = fakeSignals()): LockDeps {
  return { clock, pid: nextPid++, processExists: (pid) => pid !== DEAD, signals };
}

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await tempDir();
  try {
    await fn(dir.path);
  } finally {
    await dir.remove();
  }
}

/** Runs `work` (one process) on the fake clock until it settles; returns its result. */
async function drive<T>(clock: FakeClock, work: Promise<T>): Promise<T> {
  await clock.run([work]);
  return await work;
}

/** Runs `n` processes at once on the fake clock (each its own actor) until all settle. */
async function race(
  dir: string,
  clock: FakeClock,
  n: number,
  body: () => Promise<void>,
): Promise<void> {
  const actors = Array.from({ length: n }, () => withSiteLock(dir, SITE, lockDeps(clock), body));
  await clock.run(actors);
  await Promise.all(actors);
}

/** Sets a file's modification time to `ms` (epoch milliseconds on the fake clock). */
async function touch(path: string, ms: number) {
  await utimes(path, new Date(ms), new Date(ms));
}

/** Runs `n` lock holders at once; returns the most that were ever inside together. */
async function contend(dir: string, clock: FakeClock, n: number): Promise<number> {
  let inside = 0;
  let most = 0;
  await race(dir, clock, n, async () => {
    inside++;
    most = Math.max(most, inside);
    await clock.sleep(3);
    inside--;
  });
  return most;
}

test("the site lock lets one holder in at a time and loses no read-modify-write", async () => {
  await withDir(async (dir) => {
    const clock = new FakeClock();
    const counter = join(dir, "counter");
    await writeFile(counter, "0");
    await race(dir, clock, 25, async () => {
      const n = Number(await readFile(counter, "utf8"));
      await clock.sleep(1);
      await writeFile(counter, String(n + 1));
    });
    assert.equal(await readFile(counter, "utf8"), "25");
  });
});

test("the lock file is removed when the holder finishes, and when it throws", async () => {
  await withDir(async (dir) => {
    const clock = new FakeClock();
    await withSiteLock(dir, SITE, lockDeps(clock), () => Promise.resolve());
    await assert.rejects(
      withSiteLock(dir, SITE, lockDeps(clock), () => Promise.reject(new Error("boom"))),
      /boom/,
    );
    assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith(".lock")), []);
  });
});

test("the lock file holds the holder's pid while it is held", async () => {
  await withDir(async (dir) => {
    const deps = lockDeps(new FakeClock());
    await withSiteLock(dir, SITE, deps, async () => {
      const held = JSON.parse(await readFile(lockPath(dir, SITE), "utf8"));
      assert.equal(held.pid, deps.pid);
      assert.equal((await stat(lockPath(dir, SITE))).mode & 0o777, 0o600);
    });
  });
});

test("a lock left by a process that no longer exists is broken without waiting", async () => {
  await withDir(async (dir) => {
    const clock = new FakeClock();
    await writeFile(lockPath(dir, SITE), JSON.stringify({ pid: DEAD, nonce: "x" }));
    // No clock advance: breaking a dead holder's lock needs no timer.
    assert.equal(await withSiteLock(dir, SITE, lockDeps(clock), () => Promise.resolve(7)), 7);
  });
});

test("a lock older than staleMs is broken even when its pid seems alive (pid reuse)", async () => {
  await withDir(async (dir) => {
    const clock = new FakeClock();
    const path = lockPath(dir, SITE);
    await writeFile(path, JSON.stringify({ pid: 1, nonce: "old" }));
    await touch(path, clock.now() - 10_000);
    const done = await withSiteLock(dir, SITE, lockDeps(clock), () => Promise.resolve("ok"), {
      staleMs: 5_000,
    });
    assert.equal(done, "ok");
  });
});

test("an unreadable lock file (killed mid-write) is stale once it is two seconds old", async () => {
  await withDir(async (dir) => {
    const clock = new FakeClock();
    const path = lockPath(dir, SITE);
    await writeFile(path, "");
    await touch(path, clock.now() - 3_000);
    assert.equal(await withSiteLock(dir, SITE, lockDeps(clock), () => Promise.resolve(1)), 1);
  });
});

test("a fresh lock of a live process is waited for, not broken", async () => {
  await withDir(async (dir) => {
    const clock = new FakeClock();
    const path = lockPath(dir, SITE);
    await writeFile(path, JSON.stringify({ pid: 1, nonce: "live" }));
    await touch(path, clock.now());
    let entered = false;
    const waiting = withSiteLock(dir, SITE, lockDeps(clock), () => {
      entered = true;
      return Promise.resolve();
    });
    await clock.run([waiting], { until: clock.now() + 30_000 });
    assert.equal(entered, false, "the live lock was broken");
    assert.equal(await readFile(path, "utf8"), JSON.stringify({ pid: 1, nonce: "live" }));
    await import("node:fs/promises").then((fs) => fs.rm(path));
    await drive(clock, waiting);
    assert.equal(entered, true);
  });
});

test("waiting too long for a live holder fails with lock_timeout naming the lock file", async () => {
  await withDir(async (dir) => {
    const clock = new FakeClock();
    const path = lockPath(dir, SITE);
    await writeFile(path, JSON.stringify({ pid: 1, nonce: "live" }));
    await touch(path, clock.now());
    const err = await drive(
      clock,
      withSiteLock(dir, SITE, lockDeps(clock), () => Promise.resolve(), { timeoutMs: 200 })
        .then(() => undefined, (e) => e),
    );
    assert.ok(err instanceof PupError);
    assert.equal(err.code, "lock_timeout");
    assert.ok(err.message.includes(lockPath(dir, SITE)));
    assert.match(err.hint!, /delete that file/);
  });
});

test("many processes racing to break one stale lock still let one holder in at a time", async () => {
  await withDir(async (dir) => {
    const clock = new FakeClock();
    for (let round = 0; round < 15; round++) {
      await writeFile(lockPath(dir, SITE), JSON.stringify({ pid: DEAD, nonce: `r${round}` }));
      assert.equal(await contend(dir, clock, 12), 1, `round ${round}: two holders at once`);
    }
  });
});

test("a guard left by a breaker that was killed is recovered", async () => {
  await withDir(async (dir) => {
    const clock = new FakeClock();
    const path = lockPath(dir, SITE);
    await writeFile(path, JSON.stringify({ pid: DEAD, nonce: "held" }));
    await writeFile(`${path}.break`, JSON.stringify({ pid: DEAD, nonce: "breaking" }));
    const r = await drive(
      clock,
      withSiteLock(dir, SITE, lockDeps(clock), () => Promise.resolve(1)),
    );
    assert.equal(r, 1);
  });
});

test("breaking a dead holder's lock sweeps temporary files that dead processes left", async () => {
  await withDir(async (dir) => {
    const clock = new FakeClock();
    const old = [".lock_datadoghq.com.k1.0.ab.new", "tokens_datadoghq.com.json.k1ab.tmp"];
    const fresh = "client_datadoghq.com.json.k2cd.tmp";
    const mine = "notes.tmp";
    for (const f of [...old, fresh, mine]) await writeFile(join(dir, f), "x");
    for (const f of [fresh]) await touch(join(dir, f), clock.now());
    for (const f of [...old, mine]) await touch(join(dir, f), clock.now() - 120_000);
    await writeFile(lockPath(dir, SITE), JSON.stringify({ pid: DEAD, nonce: "gone" }));
    await withSiteLock(dir, SITE, lockDeps(clock), () => Promise.resolve());
    assert.deepEqual((await readdir(dir)).sort(), [fresh, mine].sort());
  });
});

test("the sessions.json lock is separate from every site's lock", async () => {
  await withDir(async (dir) => {
    const clock = new FakeClock();
    await withSiteLock(dir, SITE, lockDeps(clock), async () => {
      // Held: the registry lock must still be free, taken with no wait at all.
      const r = await withSiteLock(dir, REGISTRY_LOCK, lockDeps(clock), () => Promise.resolve(2));
      assert.equal(r, 2);
    });
  });
});

for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
  test(`${signal} while a lock is held removes the lock file and exits ${code}`, async () => {
    await withDir(async (dir) => {
      const signals = fakeSignals();
      const deps = lockDeps(new FakeClock(), signals);
      await withSiteLock(dir, SITE, deps, async () => {
        assert.ok(signals.listening(), "no signal handler while the lock is held");
        signals.send(signal);
        assert.deepEqual(signals.exits, [code]);
        assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith(".lock")), []);
      });
      assert.equal(signals.listening(), false, "the handler outlived the lock");
      assert.equal(heldCount(), 0);
    });
  });
}

test("a signal removes only a lock that is still ours", async () => {
  await withDir(async (dir) => {
    const signals = fakeSignals();
    await withSiteLock(dir, SITE, lockDeps(new FakeClock(), signals), async () => {
      // Wrongly broken as stale and taken by another process: its lock must survive.
      await writeFile(lockPath(dir, SITE), JSON.stringify({ pid: 1, nonce: "theirs" }));
      signals.send("SIGTERM");
      assert.equal(await readFile(lockPath(dir, SITE), "utf8"), '{"pid":1,"nonce":"theirs"}');
    });
  });
});

test("no signal handler is left once every lock is released", async () => {
  await withDir(async (dir) => {
    const signals = fakeSignals();
    const clock = new FakeClock();
    await withSiteLock(dir, SITE, lockDeps(clock, signals), async () => {
      await withSiteLock(dir, REGISTRY_LOCK, lockDeps(clock, signals), () => {
        assert.equal(heldCount(), 2);
        return Promise.resolve();
      });
      assert.ok(signals.listening(), "released with a lock still held");
    });
    assert.equal(signals.listening(), false);
  });
});

test("a FIFO where the lock file belongs is removed at once: no hang, no timeout", {
  timeout: 20_000,
}, async () => {
  await withDir(async (dir) => {
    const clock = new FakeClock();
    execFileSync("mkfifo", [lockPath(dir, SITE)]);
    // No clock advance: the FIFO is neither opened nor waited for.
    assert.equal(await withSiteLock(dir, SITE, lockDeps(clock), () => Promise.resolve(3)), 3);
    assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith(".lock")), []);
  });
});

test(
  "a dangling symlink where the lock file belongs costs no wait",
  { timeout: 20_000 },
  async () => {
    await withDir(async (dir) => {
      const clock = new FakeClock();
      await symlink(join(dir, "nowhere"), lockPath(dir, SITE));
      assert.equal(await withSiteLock(dir, SITE, lockDeps(clock), () => Promise.resolve(4)), 4);
      assert.equal(clock.pending, 0);
    });
  },
);

test("a symlink where the lock file belongs is removed, never its target", async () => {
  await withDir(async (dir) => {
    const clock = new FakeClock();
    const target = join(dir, "precious");
    await writeFile(target, "keep");
    await symlink(target, lockPath(dir, SITE));
    await withSiteLock(dir, SITE, lockDeps(clock), () => Promise.resolve());
    assert.equal(await readFile(target, "utf8"), "keep");
  });
});

test("a folder where the lock file belongs is an error naming it, at once", async () => {
  await withDir(async (dir) => {
    const clock = new FakeClock();
    await import("node:fs/promises").then((fs) => fs.mkdir(lockPath(dir, SITE)));
    await assert.rejects(
      withSiteLock(dir, SITE, lockDeps(clock), () => Promise.resolve()),
      (err: PupError) => err.code === "unsafe_file" && err.message.includes(lockPath(dir, SITE)),
    );
  });
});

test("an atomic write leaves a 0600 file, no temporary files, and replaces the old content", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "tokens_x.json");
    await writeFileAtomic(path, "one");
    await writeFileAtomic(path, "two");
    assert.equal(await readFile(path, "utf8"), "two");
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(dir), ["tokens_x.json"]);
  });
});

test("a reader never sees a half-written file during atomic writes", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "big.json");
    const doc = (i: number) => JSON.stringify({ i, pad: "x".repeat(200_000) });
    await writeFileAtomic(path, doc(0));
    let writing = true;
    const writer = (async () => {
      for (let i = 1; i <= 30; i++) await writeFileAtomic(path, doc(i));
      writing = false;
    })();
    let reads = 0;
    while (writing) {
      JSON.parse(await readFile(path, "utf8")); // throws on a torn file
      reads++;
      await settle();
    }
    await writer;
    assert.ok(reads > 0);
  });
});

test("an empty JSON file is reported as empty, with the path and how to recover", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "sessions.json");
    await writeFile(path, "");
    await assert.rejects(
      readJsonFile(path, "session registry", () => null, "delete it"),
      (err: PupError) =>
        err.code === "corrupt_file" && err.message.includes(path) &&
        /is empty/.test(err.message) && err.hint === "delete it",
    );
  });
});

test("a malformed client file is reported with its path and never overwritten by login", async () => {
  const fake = createFakeDatadog();
  const dir = await tempDir();
  try {
    const path = join(dir.path, `client_${siteKey(fake.site)}.json`);
    await writeFile(path, JSON.stringify({ client_secret: 5 }));
    const r = await runPup(
      ["auth", "login"],
      testDeps(localEnv(fake.site, dir.path)),
    );
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(path));
    assert.match(r.stderr, /client file .* is malformed: no client_id/);
    assert.match(r.stderr, /move the file aside/);
    assert.equal(await readFile(path, "utf8"), JSON.stringify({ client_secret: 5 }));
  } finally {
    await fake.close();
    await dir.remove();
  }
});

test("a malformed sessions.json is reported with its path and never overwritten by login", async () => {
  const fake = createFakeDatadog();
  const dir = await tempDir();
  try {
    const path = join(dir.path, "sessions.json");
    await writeFile(path, JSON.stringify({ site: "datadoghq.com" }));
    const r = await runPup(
      ["auth", "login"],
      testDeps(localEnv(fake.site, dir.path)),
    );
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(path));
    assert.match(r.stderr, /session registry .* is malformed: expected an array of sessions/);
    assert.equal(await readFile(path, "utf8"), JSON.stringify({ site: "datadoghq.com" }));
    assert.equal(fake.count("POST", "/oauth2/v1/token"), 0);
  } finally {
    await fake.close();
    await dir.remove();
  }
});
