import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fetchingBrowser, localEnv, runPup, tempDir, testDeps } from "./helpers.ts";
import { systemClock } from "../lib/deps.ts";
import { PupError } from "../lib/errors.ts";
import { readJsonFile, writeFileAtomic } from "../lib/store/files.ts";
import { type LockDeps, lockPath, REGISTRY_LOCK, withSiteLock } from "../lib/store/lock.ts";
import { startFakeDatadog } from "./fakes/datadog.ts";
import { siteKey } from "../lib/store/state_store.ts";

const SITE = "datadoghq.com";
const DEAD = 4_000_000;

let nextPid = 10_000;

/** A process's view of the lock: its own pid; every pid but DEAD is alive. */
function lockDeps(): LockDeps {
  return { clock: systemClock, pid: nextPid++, processExists: (pid) => pid !== DEAD };
}

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await tempDir();
  try {
    await fn(dir.path);
  } finally {
    await dir.remove();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `n` lock holders at once; returns the most that were ever inside together. */
async function contend(dir: string, n: number, holdMs = 2): Promise<number> {
  let inside = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: n }, () =>
      withSiteLock(dir, SITE, lockDeps(), async () => {
        inside++;
        most = Math.max(most, inside);
        await sleep(holdMs);
        inside--;
      })),
  );
  return most;
}

test("the site lock lets one holder in at a time and loses no read-modify-write", async () => {
  await withDir(async (dir) => {
    const counter = join(dir, "counter");
    await writeFile(counter, "0");
    await Promise.all(
      Array.from({ length: 25 }, () =>
        withSiteLock(dir, SITE, lockDeps(), async () => {
          const n = Number(await readFile(counter, "utf8"));
          await sleep(1);
          await writeFile(counter, String(n + 1));
        })),
    );
    assert.equal(await readFile(counter, "utf8"), "25");
  });
});

test("the lock file is removed when the holder finishes, and when it throws", async () => {
  await withDir(async (dir) => {
    await withSiteLock(dir, SITE, lockDeps(), () => Promise.resolve());
    await assert.rejects(
      withSiteLock(dir, SITE, lockDeps(), () => Promise.reject(new Error("boom"))),
      /boom/,
    );
    assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith(".lock")), []);
  });
});

test("the lock file holds the holder's pid while it is held", async () => {
  await withDir(async (dir) => {
    const deps = lockDeps();
    await withSiteLock(dir, SITE, deps, async () => {
      const held = JSON.parse(await readFile(lockPath(dir, SITE), "utf8"));
      assert.equal(held.pid, deps.pid);
      assert.equal((await stat(lockPath(dir, SITE))).mode & 0o777, 0o600);
    });
  });
});

test("a lock left by a process that no longer exists is broken at once", async () => {
  await withDir(async (dir) => {
    await writeFile(lockPath(dir, SITE), JSON.stringify({ pid: DEAD, nonce: "x" }));
    const start = Date.now();
    assert.equal(await withSiteLock(dir, SITE, lockDeps(), () => Promise.resolve(7)), 7);
    assert.ok(Date.now() - start < 1000);
  });
});

test("a lock older than staleMs is broken even when its pid seems alive (pid reuse)", async () => {
  await withDir(async (dir) => {
    const path = lockPath(dir, SITE);
    await writeFile(path, JSON.stringify({ pid: 1, nonce: "old" }));
    const past = new Date(Date.now() - 10_000);
    await utimes(path, past, past);
    const done = await withSiteLock(dir, SITE, lockDeps(), () => Promise.resolve("ok"), {
      staleMs: 5_000,
    });
    assert.equal(done, "ok");
  });
});

test("an unreadable lock file (killed mid-write) is stale once it is two seconds old", async () => {
  await withDir(async (dir) => {
    const path = lockPath(dir, SITE);
    await writeFile(path, "");
    const past = new Date(Date.now() - 3_000);
    await utimes(path, past, past);
    assert.equal(await withSiteLock(dir, SITE, lockDeps(), () => Promise.resolve(1)), 1);
  });
});

test("a fresh lock of a live process is waited for, not broken", async () => {
  await withDir(async (dir) => {
    const path = lockPath(dir, SITE);
    await writeFile(path, JSON.stringify({ pid: 1, nonce: "live" }));
    const start = Date.now();
    setTimeout(() => void import("node:fs/promises").then((fs) => fs.rm(path)), 300);
    await withSiteLock(dir, SITE, lockDeps(), () => Promise.resolve());
    assert.ok(Date.now() - start >= 280, "the live lock was not waited for");
  });
});

test("waiting too long for a live holder fails with lock_timeout naming the lock file", async () => {
  await withDir(async (dir) => {
    await writeFile(lockPath(dir, SITE), JSON.stringify({ pid: 1, nonce: "live" }));
    const err = await withSiteLock(dir, SITE, lockDeps(), () => Promise.resolve(), {
      timeoutMs: 200,
    }).then(() => undefined, (e) => e);
    assert.ok(err instanceof PupError);
    assert.equal(err.code, "lock_timeout");
    assert.ok(err.message.includes(lockPath(dir, SITE)));
    assert.match(err.hint!, /delete that file/);
  });
});

test("many processes racing to break one stale lock still let one holder in at a time", async () => {
  await withDir(async (dir) => {
    for (let round = 0; round < 15; round++) {
      await writeFile(lockPath(dir, SITE), JSON.stringify({ pid: DEAD, nonce: `r${round}` }));
      assert.equal(await contend(dir, 12), 1, `round ${round}: two holders at once`);
    }
  });
});

test("a guard left by a breaker that was killed is recovered", async () => {
  await withDir(async (dir) => {
    const path = lockPath(dir, SITE);
    await writeFile(path, JSON.stringify({ pid: DEAD, nonce: "held" }));
    await writeFile(`${path}.break`, JSON.stringify({ pid: DEAD, nonce: "breaking" }));
    const start = Date.now();
    assert.equal(await withSiteLock(dir, SITE, lockDeps(), () => Promise.resolve(1)), 1);
    assert.ok(Date.now() - start < 2000);
  });
});

test("breaking a dead holder's lock sweeps temporary files that dead processes left", async () => {
  await withDir(async (dir) => {
    const old = [".lock_datadoghq.com.k1.0.ab.new", "tokens_datadoghq.com.json.k1ab.tmp"];
    const fresh = "client_datadoghq.com.json.k2cd.tmp";
    const mine = "notes.tmp";
    for (const f of [...old, fresh, mine]) await writeFile(join(dir, f), "x");
    const past = new Date(Date.now() - 120_000);
    for (const f of [...old, mine]) await utimes(join(dir, f), past, past);
    await writeFile(lockPath(dir, SITE), JSON.stringify({ pid: DEAD, nonce: "gone" }));
    await withSiteLock(dir, SITE, lockDeps(), () => Promise.resolve());
    assert.deepEqual((await readdir(dir)).sort(), [fresh, mine].sort());
  });
});

test("the sessions.json lock is separate from every site's lock", async () => {
  await withDir(async (dir) => {
    await withSiteLock(dir, SITE, lockDeps(), async () => {
      // Held: the registry lock must still be free.
      const r = await withSiteLock(dir, REGISTRY_LOCK, lockDeps(), () => Promise.resolve(2), {
        timeoutMs: 500,
      });
      assert.equal(r, 2);
    });
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
  const fake = await startFakeDatadog();
  const dir = await tempDir();
  try {
    const path = join(dir.path, `client_${siteKey(fake.site)}.json`);
    await writeFile(path, JSON.stringify({ client_secret: 5 }));
    const r = await runPup(
      ["auth", "login"],
      testDeps(localEnv(fake.site, dir.path), { launch: fetchingBrowser }),
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
  const fake = await startFakeDatadog();
  const dir = await tempDir();
  try {
    const path = join(dir.path, "sessions.json");
    await writeFile(path, JSON.stringify({ site: "datadoghq.com" }));
    const r = await runPup(
      ["auth", "login"],
      testDeps(localEnv(fake.site, dir.path), { launch: fetchingBrowser }),
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
