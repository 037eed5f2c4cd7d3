/**
 * @module
 * The keychain state store over an in-memory keychain: how many keychain calls a read and a
 * write cost, reusing a read outside the lock, and writes that send only what changed.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { SiteState } from "../lib/auth/types.ts";
import { PupError } from "../lib/errors.ts";
import { KeychainStateStore } from "../lib/store/keychain_state_store.ts";
import { emptyState, plainRecord } from "../lib/store/state_store.ts";
import { MemorySecretStore } from "./fakes/memory_secret_store.ts";

const SITE = "datadoghq.com";
const ACCOUNT = "state_datadoghq.com";

function state(org: string, access = `at_${org}`): SiteState {
  return {
    tokens: plainRecord({
      [org]: {
        access_token: access,
        refresh_token: `rt_${org}`,
        token_type: "Bearer",
        expires_in: 3600,
        expires_at: "2030-01-01T00:00:00.000Z",
        scope: "monitors_read",
      },
    }),
    client: { client_id: "client-1", registered_at: "2024-01-01T00:00:00.000Z" },
  };
}

test("the store's location names the keychain and the service", () => {
  const store = new KeychainStateStore(new MemorySecretStore(1000));
  assert.equal(store.kind, "keychain");
  assert.equal(store.location, 'memory store (service "pup")');
});

test("every plain read asks the keychain, once, for a value stored whole", async () => {
  const secrets = new MemorySecretStore(1000);
  const store = new KeychainStateStore(secrets);
  await store.write(SITE, state("a"));
  secrets.calls.length = 0;
  assert.deepEqual(await store.read(SITE), state("a"));
  assert.deepEqual(await store.read(SITE), state("a"));
  assert.deepEqual(secrets.callsOf("get").map((c) => c.account), [ACCOUNT, ACCOUNT]);
});

test("a read with reuse answers from the last read or write without a keychain call", async () => {
  const secrets = new MemorySecretStore(1000);
  const store = new KeychainStateStore(secrets);
  await store.read(SITE);
  secrets.calls.length = 0;
  assert.deepEqual(await store.read(SITE, { reuse: true }), emptyState());
  await store.write(SITE, state("a"));
  secrets.calls.length = 0;
  const reused = await store.read(SITE, { reuse: true });
  assert.deepEqual(reused, state("a"));
  assert.equal(secrets.callsOf("get").length, 0);
  // The caller may change what it got: the next reuse is unaffected.
  reused.tokens.a.access_token = "changed";
  assert.equal((await store.read(SITE, { reuse: true })).tokens.a.access_token, "at_a");
});

test("a read with reuse asks the keychain when this store has not seen the site", async () => {
  const secrets = new MemorySecretStore(1000);
  await new KeychainStateStore(secrets).write(SITE, state("a"));
  const store = new KeychainStateStore(secrets);
  secrets.calls.length = 0;
  assert.deepEqual(await store.read(SITE, { reuse: true }), state("a"));
  assert.equal(secrets.callsOf("get").length, 1);
});

test("a plain read after another process wrote sees the new value (the read under the lock)", async () => {
  const secrets = new MemorySecretStore(1000);
  const mine = new KeychainStateStore(secrets);
  const theirs = new KeychainStateStore(secrets);
  await mine.write(SITE, state("a", "old"));
  await theirs.write(SITE, state("a", "refreshed"));
  assert.equal((await mine.read(SITE, { reuse: true })).tokens.a.access_token, "old");
  assert.equal((await mine.read(SITE)).tokens.a.access_token, "refreshed");
  // And the fresh read is what a later reuse answers with, and what a write compares against.
  assert.equal((await mine.read(SITE, { reuse: true })).tokens.a.access_token, "refreshed");
  secrets.calls.length = 0;
  await mine.write(SITE, state("a", "refreshed"));
  assert.equal(secrets.callsOf("set").length, 0, "an unchanged state is not rewritten");
});

/** A state of `n` orgs whose tokens all have the same length. */
function many(n: number, version = "1"): SiteState {
  const s = state("org-00");
  for (let i = 1; i < n; i++) {
    const org = `org-${String(i).padStart(2, "0")}`;
    s.tokens[org] = { ...state(org).tokens[org], access_token: `at_${org}_v${version}` };
  }
  return s;
}

test("a write after a read under the same lock sends only the chunks that changed, count last", async () => {
  const secrets = new MemorySecretStore(200);
  await new KeychainStateStore(secrets).write(SITE, many(20));
  const store = new KeychainStateStore(secrets);
  const read = await store.read(SITE);
  read.tokens["org-10"].access_token = "at_org-10_v2"; // same length: one chunk changes
  secrets.calls.length = 0;
  await store.write(SITE, read);
  const sets = secrets.callsOf("set").map((c) => c.account);
  // Chunks are cut between sessions: the one chunk holding org-10, then the count record.
  assert.equal(sets.length, 2, `${sets.length} items written: ${sets}`);
  assert.equal(sets[sets.length - 1], `${ACCOUNT}_c`, "the count record is written last");
  assert.equal(secrets.callsOf("get").length, 0, "the write probed the keychain");
  assert.equal(secrets.callsOf("delete").length, 0);
  const again = await new KeychainStateStore(secrets).read(SITE);
  assert.equal(again.tokens["org-10"].access_token, "at_org-10_v2");
  assert.equal(again.tokens["org-11"].access_token, "at_org-11_v1");
});

test("a write whose read came before a lock was taken rewrites the value whole", async () => {
  const { withSiteLock } = await import("../lib/store/lock.ts");
  const { FakeClock } = await import("./fakes/clock.ts");
  const { withTempDir } = await import("./helpers.ts");
  return await withTempDir(async (dir) => {
    const secrets = new MemorySecretStore(200);
    await new KeychainStateStore(secrets).write(SITE, many(20));
    const store = new KeychainStateStore(secrets);
    const read = await store.read(SITE); // outside the lock
    const deps = { clock: new FakeClock(), pid: 5, processExists: () => true };
    await withSiteLock(dir.path, SITE, deps, async () => {
      // Another process may have written in between: what this store saw is not trusted.
      read.tokens["org-10"].access_token = "at_org-10_v2";
      secrets.calls.length = 0;
      await store.write(SITE, read);
    });
    const chunks = secrets.callsOf("set").filter((c) => /_\d+$/.test(c.account));
    assert.equal(chunks.length, secrets.items.size - 1, "every chunk was written");
  });
});

test("shrinking a sharded state removes exactly the chunks past its new end", async () => {
  const secrets = new MemorySecretStore(200);
  await new KeychainStateStore(secrets).write(SITE, many(20));
  const before = [...secrets.items.keys()].filter((a) => /_\d+$/.test(a)).length;
  const store = new KeychainStateStore(secrets);
  await store.read(SITE);
  secrets.calls.length = 0;
  await store.write(SITE, many(5));
  const after = [...secrets.items.keys()].filter((a) => /_\d+$/.test(a)).length;
  assert.ok(after < before);
  assert.equal(secrets.callsOf("delete").length, before - after, "deleted more than it had");
  assert.deepEqual(
    Object.keys((await new KeychainStateStore(secrets).read(SITE)).tokens).length,
    5,
  );
});

test("with getMany a sharded state of any size is read in one keychain call", async () => {
  const secrets = new MemorySecretStore(200, { getMany: true });
  await new KeychainStateStore(secrets).write(SITE, many(41));
  secrets.calls.length = 0;
  const read = await new KeychainStateStore(secrets).read(SITE);
  assert.equal(Object.keys(read.tokens).length, 41);
  assert.deepEqual(secrets.calls.map((c) => c.op), ["getMany"]);
});

test("a keychain failure is reported as it is: the store never turns into another", async () => {
  const secrets = new MemorySecretStore(1000);
  const store = new KeychainStateStore(secrets);
  await store.write(SITE, state("a"));
  secrets.failWith = new PupError("keychain", "could not write");
  await assert.rejects(store.write(SITE, state("b")), { message: "could not write" });
  assert.equal(store.kind, "keychain");
});

test("a damaged item is reported as corrupt, naming it", async () => {
  const secrets = new MemorySecretStore(1000);
  secrets.items.set(ACCOUNT, "not json");
  const store = new KeychainStateStore(secrets);
  await assert.rejects(store.read(SITE), { code: "corrupt_file" });
  assert.equal(secrets.callsOf("probe").length, 0);
});
