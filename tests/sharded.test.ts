/**
 * @module
 * Sharding values across keychain items (CONTRACT §7) over an in-memory keychain: layout,
 * write order, clean-up of stale chunks, and what a read costs and sees while a writer races it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { PupError } from "../lib/errors.ts";
import { splitUtf8 } from "../lib/store/sharded_layout.ts";
import { readSharded } from "../lib/store/sharded_read.ts";
import { deleteSharded, writeSharded } from "../lib/store/sharded_write.ts";
import { MemorySecretStore } from "./fakes/memory_secret_store.ts";

const A = "state_example.com";

function accounts(store: MemorySecretStore): string[] {
  return [...store.items.keys()].sort();
}

test("a value of exactly maxValueBytes is stored whole in one item", async () => {
  const store = new MemorySecretStore(100);
  const value = "x".repeat(100);
  await writeSharded(store, A, value);
  assert.deepEqual(accounts(store), [A]);
  assert.equal(await readSharded(store, A), value);
});

test("a value one byte over maxValueBytes becomes two chunks and a count record", async () => {
  const store = new MemorySecretStore(100);
  const value = "y".repeat(101);
  await writeSharded(store, A, value);
  assert.deepEqual(accounts(store), [`${A}_0`, `${A}_1`, `${A}_c`]);
  assert.equal(store.items.get(`${A}_0`), "y".repeat(100));
  assert.equal(store.items.get(`${A}_1`), "y");
  assert.match(store.items.get(`${A}_c`)!, /^2:[0-9a-f]{64}$/, "count and SHA-256");
  assert.equal(await readSharded(store, A), value);
});

test("the count record is written after every chunk", async () => {
  const store = new MemorySecretStore(10);
  await writeSharded(store, A, "z".repeat(55));
  const sets = store.callsOf("set").map((c) => c.account);
  assert.equal(sets.length, 7);
  assert.equal(sets.at(-1), `${A}_c`);
  assert.deepEqual(sets.slice(0, 6).sort(), [0, 1, 2, 3, 4, 5].map((i) => `${A}_${i}`));
});

test("a shrinking sharded value removes the chunks it no longer needs", async () => {
  const store = new MemorySecretStore(10);
  await writeSharded(store, A, "a".repeat(50));
  assert.equal(accounts(store).length, 6);
  await writeSharded(store, A, "b".repeat(15));
  assert.deepEqual(accounts(store), [`${A}_0`, `${A}_1`, `${A}_c`]);
  assert.equal(await readSharded(store, A), "b".repeat(15));
});

test("a value that shrinks to fit one item removes the count record and every chunk", async () => {
  const store = new MemorySecretStore(10);
  await writeSharded(store, A, "a".repeat(35));
  store.calls.length = 0;
  await writeSharded(store, A, "small");
  assert.deepEqual(accounts(store), [A]);
  assert.equal(await readSharded(store, A), "small");
  // The count record goes before the chunks, so a reader never follows it to missing chunks.
  const deletes = store.callsOf("delete").map((c) => c.account);
  assert.equal(deletes[0], `${A}_c`);
});

test("a value that grows past one item removes the whole-value item", async () => {
  const store = new MemorySecretStore(10);
  await writeSharded(store, A, "tiny");
  await writeSharded(store, A, "g".repeat(25));
  assert.deepEqual(accounts(store), [`${A}_0`, `${A}_1`, `${A}_2`, `${A}_c`]);
  assert.equal(await readSharded(store, A), "g".repeat(25));
});

test("chunks left behind by an interrupted write are removed by the next write", async () => {
  const store = new MemorySecretStore(10);
  // Chunks written, count record never written: a crash between the two steps.
  for (let i = 0; i < 4; i++) store.items.set(`${A}_${i}`, "stale");
  await writeSharded(store, A, "fits");
  assert.deepEqual(accounts(store), [A]);
});

test("a missing chunk is a corrupt_file error that names the account", async () => {
  const store = new MemorySecretStore(10);
  await writeSharded(store, A, "m".repeat(30));
  store.items.delete(`${A}_1`);
  await assert.rejects(readSharded(store, A), (err: unknown) => {
    assert.ok(err instanceof PupError);
    assert.equal(err.code, "corrupt_file");
    assert.match(err.message, /state_example\.com_1" is missing/);
    assert.match(err.message, /has 3 parts/);
    assert.match(err.hint ?? "", /pup auth logout/);
    return true;
  });
});

test("a chunk that no longer matches the count record's checksum is reported", async () => {
  const store = new MemorySecretStore(80);
  await writeSharded(store, A, "c".repeat(240));
  store.items.set(`${A}_2`, "d".repeat(80));
  await assert.rejects(readSharded(store, A), (err: unknown) => {
    assert.ok(err instanceof PupError);
    assert.equal(err.code, "corrupt_file");
    assert.match(err.message, /do not match the checksum/);
    return true;
  });
});

test("a count record that is not a count is reported as corrupt", async () => {
  const store = new MemorySecretStore(10);
  store.items.set(`${A}_c`, "lots");
  await assert.rejects(readSharded(store, A), { code: "corrupt_file" });
});

test("a bare count without a checksum is read too", async () => {
  const store = new MemorySecretStore(10);
  store.items.set(`${A}_0`, "hello ");
  store.items.set(`${A}_1`, "world");
  store.items.set(`${A}_c`, "2");
  assert.equal(await readSharded(store, A), "hello world");
});

test("a whole value is read with one read and a sharded one with two more plus one per chunk", async () => {
  const store = new MemorySecretStore(10);
  await writeSharded(store, A, "w".repeat(10));
  store.calls.length = 0;
  await readSharded(store, A);
  assert.deepEqual(store.callsOf("get").map((c) => c.account), [A]);

  await writeSharded(store, A, "w".repeat(40));
  store.calls.length = 0;
  await readSharded(store, A);
  assert.deepEqual(store.callsOf("get").map((c) => c.account).slice(0, 2), [A, `${A}_c`]);
  assert.equal(store.callsOf("get").length, 2 + 4);
});

test("a reader that finds neither item looks for the whole value once more", async () => {
  const store = new MemorySecretStore(10);
  await writeSharded(store, A, "s".repeat(25));
  store.calls.length = 0;
  // Between the reader's look at the whole item and its look at the count record, a writer
  // commits a value that fits and removes the shards.
  let raced = false;
  store.afterGet = (account) => {
    if (account !== A || raced) return;
    raced = true;
    store.items.set(A, "new");
    for (const k of [...store.items.keys()]) if (k !== A) store.items.delete(k);
  };
  assert.equal(await readSharded(store, A), "new");
  assert.deepEqual(store.callsOf("get").map((c) => c.account), [A, `${A}_c`, A]);
});

test("nothing stored costs three reads: whole, count record, whole again", async () => {
  const store = new MemorySecretStore(10);
  assert.equal(await readSharded(store, A), null);
  assert.deepEqual(store.callsOf("get").map((c) => c.account), [A, `${A}_c`, A]);
});

test("a write interrupted before the whole item was deleted still reads as the old value", async () => {
  const store = new MemorySecretStore(10);
  await writeSharded(store, A, "old");
  // The new value's chunks and count record are written; the writer dies before the commit.
  const next = new MemorySecretStore(10);
  await writeSharded(next, A, "n".repeat(25));
  for (const [k, v] of next.items) store.items.set(k, v);
  assert.equal(await readSharded(store, A), "old");
  // The next write cleans up whatever the interrupted one left.
  await writeSharded(store, A, "newer");
  assert.deepEqual(accounts(store), [A]);
  assert.equal(await readSharded(store, A), "newer");
});

test("a reader racing a sharded rewrite reads again and gets the new value whole", async () => {
  const store = new MemorySecretStore(10);
  await writeSharded(store, A, "a".repeat(30));
  const next = new MemorySecretStore(10);
  await writeSharded(next, A, "b".repeat(30));
  // Chunk 1 is replaced just after the reader has read the count record: a mixed set.
  let raced = false;
  store.afterGet = (account) => {
    if (account !== `${A}_c` || raced) return;
    raced = true;
    store.items.set(`${A}_1`, next.items.get(`${A}_1`)!);
    queueMicrotask(() => {
      for (const [k, v] of next.items) store.items.set(k, v);
    });
  };
  assert.equal(await readSharded(store, A), "b".repeat(30));
});

test("on a back end that batches calls a small sharded value is read in one batch", async () => {
  const store = new MemorySecretStore(10, { batchesCalls: true });
  await writeSharded(store, A, "v".repeat(35)); // four chunks
  store.calls.length = 0;
  assert.equal(await readSharded(store, A), "v".repeat(35));
  const gets = store.callsOf("get").map((c) => c.account);
  assert.deepEqual(gets.slice(0, 3), [A, `${A}_c`, A]);
  assert.equal(gets.length, 3 + 8, "whole, count, whole again and eight chunks, nothing more");

  await writeSharded(store, A, "v".repeat(120)); // twelve chunks: a second batch for four
  store.calls.length = 0;
  assert.equal(await readSharded(store, A), "v".repeat(120));
  assert.equal(store.callsOf("get").length, 3 + 8 + 4);
});

test("on a back end that batches calls a whole value and an absent one are one batch", async () => {
  const store = new MemorySecretStore(10, { batchesCalls: true });
  assert.equal(await readSharded(store, A), null);
  assert.equal(store.callsOf("get").length, 11);
  await writeSharded(store, A, "whole");
  store.calls.length = 0;
  assert.equal(await readSharded(store, A), "whole");
  assert.equal(store.callsOf("get").length, 11);
});

test("nothing stored reads as null", async () => {
  const store = new MemorySecretStore(10);
  assert.equal(await readSharded(store, A), null);
});

test("deleting a sharded value removes every item and reports that something was there", async () => {
  const store = new MemorySecretStore(10);
  await writeSharded(store, A, "q".repeat(45));
  await writeSharded(store, "state_other", "keep me");
  assert.equal(await deleteSharded(store, A), true);
  assert.deepEqual(accounts(store), ["state_other"]);
  assert.equal(await deleteSharded(store, A), false);
});

test("chunks never split a UTF-8 character and every chunk fits the limit", async () => {
  const store = new MemorySecretStore(7);
  const value = '{"name":"Zoë — 日本語 🐶","n":"ÅÅÅÅ"}';
  await writeSharded(store, A, value);
  for (const [account, part] of store.items) {
    if (account.endsWith("_c")) continue;
    assert.ok(new TextEncoder().encode(part).length <= 7, `${account} is too long`);
    assert.ok(!part.includes("\uFFFD"), `${account} holds a broken character`);
  }
  assert.equal(await readSharded(store, A), value);
  assert.deepEqual(splitUtf8("aébc", 4), ["aéb", "c"]);
  assert.deepEqual(splitUtf8("🐶🐶", 4), ["🐶", "🐶"]);
  assert.deepEqual(splitUtf8("", 4), []);
});

test("a value with a lone surrogate is refused rather than stored altered", async () => {
  const store = new MemorySecretStore(100);
  await assert.rejects(writeSharded(store, A, "bad \uD800 value"), { code: "keychain" });
  assert.equal(store.items.size, 0);
});

test("JSON is split between object entries, so one session sits whole in one chunk", async () => {
  const { splitJsonEntries } = await import("../lib/store/sharded_layout.ts");
  const tokens: Record<string, { access_token: string; n: string }> = {};
  for (let i = 0; i < 40; i++) {
    tokens[`org-${i}`] = { access_token: `at_${i}_${"x".repeat(150)}`, n: 'é✓"},"' };
  }
  const value = JSON.stringify({ tokens, client: { client_id: "c" } });
  const parts = splitJsonEntries(value, 1000);
  assert.equal(parts.join(""), value);
  for (const p of parts) assert.ok(new TextEncoder().encode(p).length <= 1000);
  for (const p of parts.slice(1)) {
    assert.ok(p.startsWith('"org-') || p.startsWith('"client'), p.slice(0, 12));
  }
  // One token replaced by one of the same length: one chunk differs.
  const changed = structuredClone(tokens);
  changed["org-17"].access_token = `at_17_${"y".repeat(150)}`;
  const after = splitJsonEntries(
    JSON.stringify({ tokens: changed, client: { client_id: "c" } }),
    1000,
  );
  assert.equal(after.length, parts.length);
  assert.equal(after.filter((p, i) => p !== parts[i]).length, 1);
});

test("a JSON text with no entry boundary in reach is still split, never past the limit", async () => {
  const { splitJsonEntries } = await import("../lib/store/sharded_layout.ts");
  const value = JSON.stringify({ big: "é".repeat(3000) });
  const parts = splitJsonEntries(value, 1000);
  assert.equal(parts.join(""), value);
  for (const p of parts) assert.ok(new TextEncoder().encode(p).length <= 1000);
});
