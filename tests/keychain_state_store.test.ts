/**
 * @module
 * The keychain state store over an in-memory keychain: how many keychain calls a read costs,
 * reusing a read outside the lock, and the deferred probe that hands over to files when the
 * keychain's first call shows it does not answer.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { SiteState } from "../lib/auth/types.ts";
import { PupError } from "../lib/errors.ts";
import { KeychainStateStore } from "../lib/store/keychain_state_store.ts";
import { emptyState, plainRecord, type StateStore } from "../lib/store/state_store.ts";
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

/** A file store stand-in: a map in memory. */
class OtherStore implements StateStore {
  readonly kind = "file" as const;
  readonly location = "/tmp/pup-files";
  readonly states = new Map<string, SiteState>();
  read(site: string): Promise<SiteState> {
    const s = structuredClone(this.states.get(site) ?? emptyState());
    return Promise.resolve({ ...s, tokens: plainRecord(s.tokens) });
  }
  write(site: string, s: SiteState): Promise<void> {
    this.states.set(site, structuredClone(s));
    return Promise.resolve();
  }
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

test("with a deferred probe a stored value costs one keychain call and no probe", async () => {
  const secrets = new MemorySecretStore(1000);
  await new KeychainStateStore(secrets).write(SITE, state("a"));
  secrets.calls.length = 0;
  const store = new KeychainStateStore(secrets, {
    onUnavailable: () => assert.fail("the keychain answered"),
  });
  assert.deepEqual(await store.read(SITE), state("a"));
  assert.deepEqual(secrets.calls, [{ op: "get", account: ACCOUNT }]);
  assert.equal(store.kind, "keychain");
});

test("with a deferred probe, finding nothing is confirmed by the probe once", async () => {
  const secrets = new MemorySecretStore(1000);
  const store = new KeychainStateStore(secrets, {
    onUnavailable: () => assert.fail("the keychain answered"),
  });
  assert.deepEqual(await store.read(SITE), emptyState());
  assert.deepEqual(await store.read("datadoghq.eu"), emptyState());
  assert.equal(secrets.callsOf("probe").length, 1);
});

test("a keychain whose first call fails hands over to the store onUnavailable gives", async () => {
  const secrets = new MemorySecretStore(1000);
  secrets.failWith = new PupError("keychain", "could not read: The name is not activatable");
  secrets.isAvailable = false;
  const files = new OtherStore();
  files.states.set(SITE, state("f"));
  const reasons: string[] = [];
  const store = new KeychainStateStore(secrets, {
    onUnavailable: (reason) => {
      reasons.push(reason);
      return files;
    },
  });
  assert.deepEqual(await store.read(SITE), state("f"));
  assert.deepEqual(reasons, ["the memory store is switched off"]);
  assert.equal(store.kind, "file");
  assert.equal(store.location, "/tmp/pup-files");
  secrets.calls.length = 0;
  await store.write(SITE, state("g"));
  assert.deepEqual(
    JSON.parse(JSON.stringify(files.states.get(SITE))),
    JSON.parse(JSON.stringify(state("g"))),
  );
  assert.equal(secrets.calls.length, 0, "the keychain is not asked again");
});

test("a keychain that finds nothing and then fails its probe hands over too", async () => {
  const secrets = new MemorySecretStore(1000);
  secrets.isAvailable = false; // e.g. a lookup succeeds but there is no collection to write to
  const files = new OtherStore();
  const store = new KeychainStateStore(secrets, { onUnavailable: () => files });
  assert.deepEqual(await store.read(SITE), emptyState());
  assert.equal(store.kind, "file");
});

test("a first call that timed out hands over without waiting for a probe as well", async () => {
  const secrets = new MemorySecretStore(1000);
  secrets.failWith = new PupError(
    "keychain",
    'the Secret Service did not answer "secret-tool lookup" within 10 s (timed out); is the keyring locked?',
  );
  let reason = "";
  const store = new KeychainStateStore(secrets, {
    onUnavailable: (r) => {
      reason = r;
      return new OtherStore();
    },
  });
  await store.read(SITE);
  assert.match(reason, /timed out/);
  assert.equal(secrets.callsOf("probe").length, 0);
});

test("a keychain forced but not answering fails the first call with onUnavailable's error", async () => {
  const secrets = new MemorySecretStore(1000);
  secrets.failWith = new PupError("keychain_unavailable", "no credential set");
  const store = new KeychainStateStore(secrets, {
    onUnavailable: (r) => {
      throw new PupError("keychain_unavailable", `token storage is set to keychain: ${r}`);
    },
  });
  await assert.rejects(store.read(SITE), {
    code: "keychain_unavailable",
    message: /set to keychain: no credential set/,
  });
});

test("a failure after the keychain has answered is reported, not handed over", async () => {
  const secrets = new MemorySecretStore(1000);
  const store = new KeychainStateStore(secrets, {
    onUnavailable: () => assert.fail("no hand-over after the keychain answered"),
  });
  await store.write(SITE, state("a"));
  secrets.failWith = new PupError("keychain", "could not write");
  await assert.rejects(store.write(SITE, state("b")), { message: "could not write" });
  assert.equal(store.kind, "keychain");
});

test("a damaged item is reported, not taken for a keychain that does not answer", async () => {
  const secrets = new MemorySecretStore(1000);
  secrets.items.set(ACCOUNT, "not json");
  const store = new KeychainStateStore(secrets, {
    onUnavailable: () => assert.fail("the keychain answered"),
  });
  await assert.rejects(store.read(SITE), { code: "corrupt_file" });
  assert.equal(secrets.callsOf("probe").length, 0);
});
