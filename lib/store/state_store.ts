/**
 * @module
 * Where a site's tokens and client credentials live: plain files or the OS keychain.
 * Both back ends implement {@link StateStore}; the rest of pup does not know which it has.
 */
import type { SiteState } from "./types.ts";

/** Reads and writes the whole state of one site. Callers hold the site's lock around writes. */
export interface StateStore {
  readonly kind: "file" | "keychain";
  /** Where the secrets are, for `auth status`: a folder, or the keychain's name. */
  readonly location: string;
  /**
   * The site's state; `{tokens: {}, client: null}` when nothing is stored. With `reuse`, a
   * store may answer from what it already read or wrote for the site in this process; pass it
   * only outside the site's lock (a read under the lock must see other processes' writes).
   */
  read(site: string, options?: { reuse?: boolean }): Promise<SiteState>;
  /** Replaces the site's state; an empty state removes what was stored. */
  write(site: string, state: SiteState): Promise<void>;
}

/** A state with no tokens and no client. */
export function emptyState(): SiteState {
  return { tokens: plainRecord({}), client: null };
}

/**
 * A copy of `record` with no prototype, so that keys are only ever its own: an org named
 * `constructor`, `__proto__`, `toString`, `valueOf` or `hasOwnProperty` is a real org name, and
 * looking up one that is not stored finds nothing (issue 9). Every state a store returns keys
 * its tokens this way.
 *
 * @example
 * const tokens = plainRecord(JSON.parse(text));
 * tokens.constructor; // undefined unless an org is named "constructor"
 */
export function plainRecord<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  for (const key of Object.keys(record)) {
    // Own data properties only; on a prototype-less object "__proto__" is a plain key.
    Object.defineProperty(out, key, {
      value: record[key],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** Whether a state holds nothing. */
export function isEmptyState(state: SiteState): boolean {
  return state.client === null && Object.keys(state.tokens).length === 0;
}

/**
 * The site key used in file and account names (CONTRACT §7): every character outside
 * `[A-Za-z0-9.-]` becomes `_`.
 *
 * @example
 * siteKey("127.0.0.1:8443"); // "127.0.0.1_8443"
 */
export function siteKey(site: string): string {
  return site.replace(/[^A-Za-z0-9.-]/g, "_");
}
