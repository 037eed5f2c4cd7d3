/**
 * @module
 * The three-verb interface every OS keychain back end implements (after go-keyring).
 * Values are printable ASCII (JSON); accounts are `state_<sitekey>[_n|_c]` under service `pup`.
 */

import { PupError } from "../errors.ts";

/** The keychain service name every pup item is stored under. */
export const SERVICE = "pup";

/** One OS keychain. */
export interface SecretStore {
  /** Human name, e.g. `macOS Keychain`, `Secret Service`, `Windows Credential Manager`. */
  readonly name: string;
  /** The largest value (bytes of UTF-8) one item can take whole; larger values are sharded. */
  readonly maxValueBytes: number;
  /** The stored value, or null when there is none ("not found" is not an error). */
  get(account: string): Promise<string | null>;
  /** Creates or replaces the value. */
  set(account: string, value: string): Promise<void>;
  /** Removes the value; resolves false when there was none. */
  delete(account: string): Promise<boolean>;
  /** Whether the keychain answers at all (fast: no tool or no D-Bus → false in milliseconds). */
  available(): Promise<boolean>;
  /**
   * Reads many items with one keychain process: a map of the values found (an account that is
   * not in it is not stored; a back end may add items it was not asked for). Null when the answer
   * cannot be trusted whole: the caller then asks item by item.
   */
  getMany?(accounts: readonly string[]): Promise<Map<string, string> | null>;
  /** Stores many items with one keychain process; rejects if any one failed. */
  setMany?(entries: readonly (readonly [account: string, value: string])[]): Promise<void>;
}

/**
 * Refuses a value larger than one item of `store` takes: a back end must never truncate, and
 * sharding (sharded_layout.ts) keeps every value under this bound.
 */
export function checkValueSize(store: SecretStore, account: string, value: string): void {
  const size = new TextEncoder().encode(value).length;
  if (size > store.maxValueBytes) {
    throw new PupError(
      "keychain",
      `cannot store "${account}" in one ${store.name} item: expected at most ${store.maxValueBytes} bytes, found ${size}`,
    );
  }
}
