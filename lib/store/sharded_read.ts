/**
 * @module
 * Reads a value laid out by `sharded_layout.ts` (CONTRACT §7). Readers ask for the whole item
 * first, so the common case — a value that fits — costs one keychain call (one process, and on
 * macOS at most one prompt). Only when it is absent do they read `account_c` and the chunks. A
 * reader that finds neither the whole item nor a count record looks for the whole item once
 * more: a writer may have committed a whole value between its two reads (`sharded_write.ts`
 * writes the whole item before it deletes the count record). Parts that do not add up to the
 * count record's checksum are read again, and reported as damage only if they still do not.
 *
 * Independent calls are issued together (`Promise.all`): back ends run them in parallel. A back
 * end that serves calls made together from one process (`batchesCalls`, Windows) gets the
 * whole item, the count record and the first chunks in one batch, since a second process would
 * cost far more than a few extra look-ups in the first.
 */
import { PupError } from "../errors.ts";
import type { SecretStore } from "./secret_store.ts";
import { chunkAccount, corrupt, countAccount, parseCount, sha256Hex } from "./sharded_layout.ts";

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

/**
 * Whether `store` serves calls made in the same tick from one process (Windows), so that more
 * look-ups in the same batch cost next to nothing.
 */
export function batchesCalls(store: SecretStore): boolean {
  return (store as SecretStore & { readonly batchesCalls?: boolean }).batchesCalls === true;
}

/**
 * Reads a value written by `writeSharded` (`sharded_write.ts`); null when there is none. A value stored whole
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
