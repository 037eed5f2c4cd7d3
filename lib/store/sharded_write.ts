/**
 * @module
 * Writes and removes a value in the layout of `sharded_layout.ts` (CONTRACT §7): whole when it
 * fits in one keychain item, else chunks and then the count record, written last. Readers
 * (`sharded_read.ts`) ask for the whole item first, so each change has one commit point:
 * - whole → sharded: chunks, count record, then the whole item is deleted (the commit: until
 *   then readers still see the old value, whole);
 * - sharded → whole: the whole item is written (the commit), then the count record, then chunks;
 * - sharded → sharded: chunks, then the count record (the commit), then chunks past the new end.
 *
 * Given what is stored now (`previous`, read under the same lock), only the items whose content
 * changes are written and exactly the items the old layout had and the new one does not are
 * removed; without it, what an earlier, different-sized value left behind is found and removed.
 */
import { PupError } from "../errors.ts";
import type { SecretStore } from "./secret_store.ts";
import {
  checkedParts,
  chunkAccount,
  countAccount,
  countRecord,
  fitsWhole,
  layout,
  MAX_CHUNKS,
} from "./sharded_layout.ts";

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
  if (fitsWhole(store, value)) {
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
  await store.set(
    countAccount(account),
    await countRecord(parts.length, value, store.maxValueBytes),
  );
  await Promise.all([
    store.delete(account),
    deleteChunksFrom(store, account, parts.length, oldCount ?? 0),
  ]);
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
  if (fitsWhole(store, value)) {
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
  await store.set(
    countAccount(account),
    await countRecord(parts.length, value, store.maxValueBytes),
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
