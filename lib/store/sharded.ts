/**
 * @module
 * Values larger than one keychain item takes (CONTRACT §7): a value that fits is stored whole
 * at `account`; a larger one as chunks `account_0 … account_n-1`, then the count record
 * `account_c`, written last. No value is ever truncated: chunks split on UTF-8 character
 * boundaries and every part is checked against the back end's `maxValueBytes` before it is
 * written.
 *
 * Readers ask for the whole item first, so the common case — a value that fits — costs one
 * keychain call (one process, and on macOS at most one prompt). Only when it is absent do they
 * read `account_c` and the chunks. Writers keep that safe, each change having one commit point:
 * - whole → sharded: chunks, count record, then the whole item is deleted (the commit: until
 *   then readers still see the old value, whole);
 * - sharded → whole: the whole item is written (the commit), then the count record, then chunks;
 * - sharded → sharded: chunks, then the count record (the commit), then chunks past the new end.
 * A reader that finds neither the whole item nor a count record looks for the whole item once
 * more: a writer may have committed a whole value between its two reads.
 *
 * The count record is `<n>:<sha256 hex of the whole value>`, so a reader that races a writer
 * (chunks replaced while it reads) notices, reads again, and reports damage only if the parts
 * still do not add up. A bare `<n>` is accepted too.
 *
 * Independent calls are issued together (`Promise.all`): back ends run them in parallel. A back
 * end that serves calls made together from one process (`batchesCalls`, Windows) gets the
 * whole item, the count record and the first chunks in one batch, since a second process would
 * cost far more than a few extra look-ups in the first.
 */
import { PupError } from "../errors.ts";
import type { SecretStore } from "./secret_store.ts";

/** The most chunks a count record may name: far above any real state (40 KB ÷ 1,000 B). */
const MAX_CHUNKS = 1000;
/** How often a read is retried when the parts do not match the count record's checksum. */
const READ_ATTEMPTS = 3;
/**
 * Chunks asked for in the first batch on a back end that {@link batchesCalls}: a state of a few
 * sessions (Windows shards at 1,000 bytes) then reads in one PowerShell process.
 */
const SPECULATIVE_CHUNKS = 8;
/**
 * Chunks asked for with the whole item and the count record in one `getMany`: 128 chunks cover
 * ~120 KB on Windows (1,000-byte chunks cut between sessions) and ~270 KB on macOS; 41 sessions
 * with Datadog's default scopes are ~106 KB, so a site's state reads in one keychain process
 * (a look-up that finds nothing costs microseconds inside it); a larger one takes a second.
 */
const MANY_CHUNKS = 128;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** The account of the count record of `account`. */
export function countAccount(account: string): string {
  return `${account}_c`;
}

/** The account of chunk `index` of `account`. */
export function chunkAccount(account: string, index: number): string {
  return `${account}_${index}`;
}

/**
 * Splits `value` into pieces of at most `maxBytes` bytes of UTF-8 each, never inside a
 * character.
 *
 * @example
 * splitUtf8("aébc", 2); // ["a", "é", "bc"]
 */
export function splitUtf8(value: string, maxBytes: number): string[] {
  if (!Number.isInteger(maxBytes) || maxBytes < 4) {
    throw new RangeError(`maxBytes must be an integer of at least 4, got ${maxBytes}`);
  }
  const bytes = encoder.encode(value);
  const parts: string[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(start + maxBytes, bytes.length);
    // Never cut before a continuation byte (10xxxxxx): step back to the character's start.
    while (end < bytes.length && (bytes[end] & 0xc0) === 0x80) end--;
    parts.push(decoder.decode(bytes.subarray(start, end)));
    start = end;
  }
  return parts;
}

/**
 * Splits a JSON text into pieces of at most `maxBytes` bytes of UTF-8 each, cutting where one
 * entry of an object ends and the next begins (just after `},"`) whenever such a place falls
 * within the limit, else on a character boundary. In a state `{"tokens": {"a": {…}, "b": {…}},
 * …}` each session then sits whole in one chunk, so a refresh — one session's token replaced by
 * one of the same length — changes one chunk, and only that chunk is written again.
 *
 * @example
 * splitJsonEntries('{"a":{"x":1},"b":{"y":2}}', 16); // ['{"a":{"x":1},', '"b":{"y":2}}']
 */
export function splitJsonEntries(value: string, maxBytes: number): string[] {
  if (!Number.isInteger(maxBytes) || maxBytes < 4) {
    throw new RangeError(`maxBytes must be an integer of at least 4, got ${maxBytes}`);
  }
  const bytes = encoder.encode(value);
  // `},"` cannot occur inside a JSON string (its quote would be escaped).
  const cuts: number[] = [];
  for (let i = 0; i + 2 < bytes.length; i++) {
    if (bytes[i] === 0x7d && bytes[i + 1] === 0x2c && bytes[i + 2] === 0x22) cuts.push(i + 2);
  }
  const parts: string[] = [];
  let start = 0;
  let c = 0;
  while (start < bytes.length) {
    const limit = start + maxBytes;
    if (limit >= bytes.length) {
      parts.push(decoder.decode(bytes.subarray(start)));
      break;
    }
    while (c < cuts.length && cuts[c] <= start) c++;
    let best = -1;
    for (let k = c; k < cuts.length && cuts[k] <= limit; k++) best = cuts[k];
    let end = best;
    if (end < 0) {
      end = limit;
      while (end > start && (bytes[end] & 0xc0) === 0x80) end--;
    }
    parts.push(decoder.decode(bytes.subarray(start, end)));
    start = end;
  }
  return parts;
}

/**
 * Whether `store` serves calls made in the same tick from one process (Windows), so that more
 * look-ups in the same batch cost next to nothing.
 */
export function batchesCalls(store: SecretStore): boolean {
  return (store as SecretStore & { readonly batchesCalls?: boolean }).batchesCalls === true;
}

/**
 * Reads a value written by {@link writeSharded}; null when there is none. A value stored whole
 * costs one `get`; a sharded one `2 + n` (one batch or two on a back end that
 * {@link batchesCalls}).
 *
 * @example
 * const json = await readSharded(store, "state_datadoghq.com");
 */
export async function readSharded(store: SecretStore, account: string): Promise<string | null> {
  if (store.getMany) {
    const value = await readWithGetMany(store, account);
    if (value !== undefined) return value;
  }
  return await readItemByItem(store, account);
}

/**
 * Reads the value through `getMany`: whole item, count record and the first chunks in one call
 * (one process), the rest — if any — in a second. Undefined when the back end could not
 * answer whole (then the caller reads item by item).
 */
async function readWithGetMany(
  store: SecretStore,
  account: string,
): Promise<string | null | undefined> {
  const first = [account, countAccount(account)];
  for (let i = 0; i < MANY_CHUNKS; i++) first.push(chunkAccount(account, i));
  for (let attempt = 1;; attempt++) {
    const found = await store.getMany!(first);
    if (found === null) return undefined;
    const whole = found.get(account);
    if (whole !== undefined) return whole;
    const countText = found.get(countAccount(account));
    if (countText === undefined) return null;
    const count = parseCount(countText, account, store);
    const missing = Array.from({ length: count.n }, (_, i) => chunkAccount(account, i))
      .filter((a) => !found.has(a) && !first.includes(a));
    if (missing.length > 0) {
      const rest = await store.getMany!(missing);
      if (rest === null) return undefined;
      for (const [k, v] of rest) found.set(k, v);
    }
    const parts = Array.from({ length: count.n }, (_, i) => found.get(chunkAccount(account, i)));
    const gap = parts.findIndex((p) => p === undefined);
    const value = parts.join("");
    if (gap < 0 && (count.sha256 === undefined || (await sha256Hex(value)) === count.sha256)) {
      return value;
    }
    if (attempt < READ_ATTEMPTS) continue; // a writer may have been replacing the chunks
    throw damaged(store, account, count, gap);
  }
}

function damaged(
  store: SecretStore,
  account: string,
  count: { n: number },
  missing: number,
): PupError {
  if (missing >= 0) {
    return corrupt(
      store,
      account,
      `keychain item "${chunkAccount(account, missing)}" is missing: "${
        countAccount(account)
      }" says the value of "${account}" has ${count.n} parts`,
    );
  }
  return corrupt(
    store,
    account,
    `the ${count.n} parts of keychain item "${account}" do not match the checksum in "${
      countAccount(account)
    }"`,
  );
}

/** Reads the value one item at a time (batched in one process where the back end can). */
async function readItemByItem(store: SecretStore, account: string): Promise<string | null> {
  const batched = batchesCalls(store);
  for (let attempt = 1;; attempt++) {
    let countText: string | null;
    let early: (string | null)[] = [];
    if (batched) {
      // One process answers the batch in order: whole, count record, whole again, chunks.
      const [whole, count, again, ...chunks] = await Promise.all([
        store.get(account),
        store.get(countAccount(account)),
        store.get(account),
        ...Array.from(
          { length: SPECULATIVE_CHUNKS },
          (_, i) => store.get(chunkAccount(account, i)),
        ),
      ]);
      if (whole !== null) return whole;
      if (count === null) return again;
      countText = count;
      early = chunks;
    } else {
      const whole = await store.get(account);
      if (whole !== null) return whole;
      countText = await store.get(countAccount(account));
      // Nothing stored — or a writer committed a whole value between the two reads (it writes
      // the whole item before it deletes the count record): one more look settles it.
      if (countText === null) return await store.get(account);
    }
    const count = parseCount(countText, account, store);
    const parts = await Promise.all(
      Array.from(
        { length: count.n },
        (_, i) => i < early.length ? early[i] : store.get(chunkAccount(account, i)),
      ),
    );
    const missing = parts.findIndex((p) => p === null);
    if (missing < 0) {
      const value = parts.join("");
      if (count.sha256 === undefined || (await sha256Hex(value)) === count.sha256) return value;
    }
    if (attempt < READ_ATTEMPTS) continue; // a writer may have been replacing the chunks
    throw damaged(store, account, count, missing);
  }
}

/**
 * Stores `value` under `account`, whole when it fits in one item, else sharded; removes what
 * an earlier, different-sized value left behind.
 *
 * @example
 * await writeSharded(store, "state_datadoghq.com", JSON.stringify(state));
 */
export async function writeSharded(
  store: SecretStore,
  account: string,
  value: string,
  previous?: string | null,
): Promise<void> {
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value)) {
    // TextEncoder would silently replace a lone surrogate: the value would not round-trip.
    throw new PupError(
      "keychain",
      `cannot store "${account}": expected well-formed Unicode text, found a lone surrogate`,
    );
  }
  if (previous !== undefined) return await writeChanged(store, account, value, previous);
  const max = store.maxValueBytes;
  if (encoder.encode(value).length <= max) {
    const [oldCount] = await Promise.all([
      readOldCount(store, account),
      store.set(account, value),
    ]);
    // Readers follow the count record while it exists: drop it before its chunks.
    if (oldCount !== null) await store.delete(countAccount(account));
    await deleteChunksFrom(store, account, 0, oldCount ?? 0);
    return;
  }
  const parts = checkedParts(store, account, value);
  const [oldCount] = await Promise.all([
    readOldCount(store, account),
    ...parts.map((part, i) => store.set(chunkAccount(account, i), part)),
  ]);
  const record = `${parts.length}:${await sha256Hex(value)}`;
  // Every real back end takes ≥ 1,000 bytes; a toy limit below 70 gets the bare count.
  await store.set(countAccount(account), record.length <= max ? record : String(parts.length));
  await Promise.all([
    store.delete(account),
    deleteChunksFrom(store, account, parts.length, oldCount ?? 0),
  ]);
}

/** How a value is laid out in the keychain: whole, or in parts. */
function layout(
  store: SecretStore,
  value: string | null,
): { whole: string | null; parts: string[] } {
  if (value === null) return { whole: null, parts: [] };
  if (encoder.encode(value).length <= store.maxValueBytes) return { whole: value, parts: [] };
  return { whole: null, parts: splitJsonEntries(value, store.maxValueBytes) };
}

function checkedParts(store: SecretStore, account: string, value: string): string[] {
  const parts = splitJsonEntries(value, store.maxValueBytes);
  if (parts.length > MAX_CHUNKS) {
    throw new PupError(
      "keychain",
      `cannot store "${account}" in ${store.name}: expected at most ${
        MAX_CHUNKS * store.maxValueBytes
      } bytes, found ${encoder.encode(value).length}`,
      { hint: "set DD_TOKEN_STORAGE=file to store tokens in files" },
    );
  }
  return parts;
}

/**
 * Writes `value` over `previous` (what is stored now, as read under the same lock): only the
 * items whose content changes are sent, the count record last, and exactly the items the old
 * layout had and the new one does not are removed — nothing is probed.
 */
async function writeChanged(
  store: SecretStore,
  account: string,
  value: string,
  previous: string | null,
): Promise<void> {
  if (value === previous) return;
  const before = layout(store, previous);
  if (encoder.encode(value).length <= store.maxValueBytes) {
    await store.set(account, value); // the commit: readers look for the whole item first
    if (before.parts.length > 0) await store.delete(countAccount(account));
    await Promise.all(before.parts.map((_, i) => store.delete(chunkAccount(account, i))));
    return;
  }
  const parts = checkedParts(store, account, value);
  const changed = parts.flatMap((part, i) =>
    part === before.parts[i] ? [] : [[chunkAccount(account, i), part] as const]
  );
  if (store.setMany) await store.setMany(changed);
  else await Promise.all(changed.map(([a, part]) => store.set(a, part)));
  const record = `${parts.length}:${await sha256Hex(value)}`;
  await store.set(
    countAccount(account),
    record.length <= store.maxValueBytes ? record : String(parts.length),
  );
  await Promise.all([
    before.whole !== null ? store.delete(account) : undefined,
    ...before.parts.slice(parts.length).map((_, j) =>
      store.delete(chunkAccount(account, parts.length + j))
    ),
  ]);
}

/**
 * Removes a value written by {@link writeSharded}, whole or sharded; resolves false when
 * there was none. With `previous` (what is stored now, read under the same lock) exactly its
 * items are removed.
 *
 * @example
 * await deleteSharded(store, "state_datadoghq.com");
 */
export async function deleteSharded(
  store: SecretStore,
  account: string,
  previous?: string | null,
): Promise<boolean> {
  if (previous === null) return false;
  if (previous !== undefined) {
    const before = layout(store, previous);
    if (before.whole !== null) return await store.delete(account);
    const hadCount = await store.delete(countAccount(account)); // readers stop following chunks
    const had = await Promise.all(
      before.parts.map((_, i) => store.delete(chunkAccount(account, i))),
    );
    return hadCount || had.some(Boolean);
  }
  const [oldCount, hadWhole] = await Promise.all([
    readOldCount(store, account),
    store.delete(account),
  ]);
  const hadCount = oldCount !== null && (await store.delete(countAccount(account)));
  const hadChunks = await deleteChunksFrom(store, account, 0, oldCount ?? 0);
  return hadWhole || hadCount || hadChunks;
}

/** The chunk count of what is stored now (0 for an unreadable record), null when unsharded. */
async function readOldCount(store: SecretStore, account: string): Promise<number | null> {
  const text = await store.get(countAccount(account));
  if (text === null) return null;
  const match = /^(\d+)(?::|$)/.exec(text);
  return match ? Math.min(Number(match[1]), MAX_CHUNKS) : 0;
}

/**
 * Deletes chunks `from … knownEnd-1` and keeps going past the end while chunks are found:
 * an interrupted write can leave chunks that no count record names.
 */
async function deleteChunksFrom(
  store: SecretStore,
  account: string,
  from: number,
  knownEnd: number,
): Promise<boolean> {
  let end = Math.max(from, knownEnd);
  // One probe past the known end rides along with the known deletions.
  const first = await Promise.all(
    Array.from({ length: end - from + 1 }, (_, i) => store.delete(chunkAccount(account, from + i))),
  );
  let any = first.some(Boolean);
  if (first[first.length - 1]) {
    while (await store.delete(chunkAccount(account, ++end))) any = true;
  }
  return any;
}

function parseCount(
  text: string,
  account: string,
  store: SecretStore,
): { n: number; sha256?: string } {
  const match = /^([1-9]\d{0,5})(?::([0-9a-f]{64}))?$/.exec(text);
  if (!match || Number(match[1]) > MAX_CHUNKS) {
    throw corrupt(
      store,
      account,
      `keychain item "${
        countAccount(account)
      }" should hold a chunk count (1-${MAX_CHUNKS}), found ${text.length} characters that are not one`,
    );
  }
  return { n: Number(match[1]), sha256: match[2] };
}

function corrupt(store: SecretStore, account: string, message: string): PupError {
  return new PupError("corrupt_file", `${message} (${store.name}, service "pup")`, {
    hint:
      `run 'pup auth logout' to remove the damaged "${account}" items, then 'pup auth login' again`,
  });
}

async function sha256Hex(value: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(value)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
