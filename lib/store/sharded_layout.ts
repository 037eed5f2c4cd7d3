/**
 * @module
 * How a value larger than one keychain item takes is laid out (CONTRACT §7): a value that fits is
 * stored whole at `account`; a larger one as chunks `account_0 … account_n-1` plus the count
 * record `account_c`. No value is ever truncated: chunks split on UTF-8 character boundaries
 * (where they can, between the entries of a JSON object, so one session's change touches one
 * chunk) and every part is checked against the back end's `maxValueBytes` before it is written.
 *
 * The count record is `<n>:<sha256 hex of the whole value>`, so a reader that races a writer
 * (chunks replaced while it reads) notices; a bare `<n>` is accepted too. `sharded_read.ts`
 * reads this layout, `sharded_write.ts` writes and removes it.
 */
import { PupError } from "../errors.ts";
import type { SecretStore } from "./secret_store.ts";

/** The most chunks a count record may name: far above any real state (40 KB ÷ 1,000 B). */
export const MAX_CHUNKS = 1000;

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

/** Whether `value` fits in one item of `store` (its limit is in bytes of UTF-8). */
export function fitsWhole(store: SecretStore, value: string): boolean {
  return encoder.encode(value).length <= store.maxValueBytes;
}

/** How a value is laid out in the keychain: whole, or in parts. */
export function layout(
  store: SecretStore,
  value: string | null,
): { whole: string | null; parts: string[] } {
  if (value === null) return { whole: null, parts: [] };
  if (fitsWhole(store, value)) return { whole: value, parts: [] };
  return { whole: null, parts: splitJsonEntries(value, store.maxValueBytes) };
}

/** The parts of a value too large for one item; refused when there would be too many. */
export function checkedParts(store: SecretStore, account: string, value: string): string[] {
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
 * The count record of a value stored in `n` parts: `<n>:<sha256>`, or the bare count where a
 * back end's limit is too small for the checksum (every real back end takes ≥ 1,000 bytes; a toy
 * limit below 70 gets the bare count).
 */
export async function countRecord(n: number, value: string, maxBytes: number): Promise<string> {
  const record = `${n}:${await sha256Hex(value)}`;
  return record.length <= maxBytes ? record : String(n);
}

/** Reads a count record; a malformed one is damage, reported with {@link corrupt}. */
export function parseCount(
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

/** Damage found in the keychain items of `account`, with how to recover. */
export function corrupt(store: SecretStore, account: string, message: string): PupError {
  return new PupError("corrupt_file", `${message} (${store.name}, service "pup")`, {
    hint:
      `run 'pup auth logout' to remove the damaged "${account}" items, then 'pup auth login' again`,
  });
}

/** The hex SHA-256 of a value's UTF-8 bytes, as the count record holds it. */
export async function sha256Hex(value: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(value)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
