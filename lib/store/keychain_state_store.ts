/**
 * @module
 * A site's state in the OS keychain (CONTRACT §7): service `pup`, account
 * `state_<sitekey>`, value `{"tokens": {…}, "client": {…}|null}`, sharded when larger than
 * the back end takes whole. An empty state removes every item of the site.
 *
 * Keychain calls are few on purpose (each is a process, and on macOS a possible prompt):
 * - a read asks the keychain once per call (one `get` when the value is stored whole); a
 *   caller outside the site's lock may pass `{ reuse: true }` to get what this store last read
 *   or wrote for the site instead. Reads under the lock never pass it: they must see what other
 *   processes wrote while this one waited;
 * - a write of what is already stored is skipped;
 * - with `onUnavailable`, no probe runs before the first call: that call doubles as the probe.
 *   If it shows that the keychain does not answer (no Secret Service on the bus, a locked
 *   keyring, no credential set for this logon), the store hands over to what `onUnavailable`
 *   returns — the file store, after a warning — or lets it throw (storage forced to keychain).
 */
import type { SiteState } from "../auth/types.ts";
import { PupError } from "../errors.ts";
import { type SecretStore, SERVICE } from "./secret_store.ts";
import { deleteSharded, readSharded, writeSharded } from "./sharded.ts";
import { emptyState, isEmptyState, plainRecord, siteKey, type StateStore } from "./state_store.ts";
import { siteStateFault } from "./validate.ts";

/**
 * The keychain account of a site's state.
 *
 * @example
 * stateAccount("us3.datadoghq.com"); // "state_us3.datadoghq.com"
 */
export function stateAccount(site: string): string {
  return `state_${siteKey(site)}`;
}

/** Options of {@link KeychainStateStore.read}. */
export interface ReadOptions {
  /**
   * Answer from what this store last read or wrote for the site, when it has, instead of asking
   * the keychain again. Only for reads outside the site's lock.
   */
  reuse?: boolean;
}

/** A keychain that can say why it does not answer (every back end in keychain.ts can). */
export type ProbedSecretStore = SecretStore & { unavailableReason?(): Promise<string | null> };

/** Options of {@link KeychainStateStore}. */
export interface KeychainStateStoreOptions {
  /**
   * Defers the availability probe to the first keychain call (see the module doc). Called once,
   * with the reason, when that call shows the keychain does not answer: returns the store to use
   * instead, or throws.
   */
  onUnavailable?: (reason: string) => StateStore;
}

/**
 * A {@link StateStore} on a {@link SecretStore}.
 *
 * @example
 * const store = new KeychainStateStore(new MacKeychain({ spawn: deps.spawn }));
 * const state = await store.read("datadoghq.com");
 */
export class KeychainStateStore implements StateStore {
  readonly secrets: ProbedSecretStore;
  /** What each account held when last read or written, so an unchanged state is not rewritten. */
  #seen = new Map<string, string | null>();
  #onUnavailable?: (reason: string) => StateStore;
  /** Whether the keychain has answered (or no probe is owed). */
  #answered: boolean;
  /** The store used instead, once the keychain turned out not to answer. */
  #instead?: StateStore;

  constructor(secrets: ProbedSecretStore, options: KeychainStateStoreOptions = {}) {
    this.secrets = secrets;
    this.#onUnavailable = options.onUnavailable;
    this.#answered = options.onUnavailable === undefined;
  }

  get kind(): "file" | "keychain" {
    return this.#instead?.kind ?? "keychain";
  }

  /** E.g. `Secret Service (service "pup")`; the other store's location after a hand-over. */
  get location(): string {
    return this.#instead?.location ?? `${this.secrets.name} (service "${SERVICE}")`;
  }

  async read(site: string, options: ReadOptions = {}): Promise<SiteState> {
    if (this.#instead) return await this.#instead.read(site);
    const account = stateAccount(site);
    if (options.reuse && this.#seen.has(account)) {
      const text = this.#seen.get(account)!;
      return text === null ? emptyState() : this.#parse(text, account);
    }
    let text: string | null;
    try {
      text = await readSharded(this.secrets, account);
    } catch (err) {
      const instead = await this.#afterFailure(err);
      if (instead) return await instead.read(site);
      throw err;
    }
    if (text === null && !this.#answered) {
      // "Not found" proves little (a lookup succeeds with no collection to write to): probe.
      const reason = await this.#probe();
      if (reason !== null) return await this.#handOver(reason).read(site);
    }
    this.#answered = true;
    if (text === null) {
      this.#seen.set(account, null);
      return emptyState();
    }
    const state = this.#parse(text, account);
    this.#seen.set(account, text);
    return state;
  }

  async write(site: string, state: SiteState): Promise<void> {
    if (this.#instead) return await this.#instead.write(site, state);
    const account = stateAccount(site);
    const text = isEmptyState(state)
      ? null
      : JSON.stringify({ tokens: plainRecord(state.tokens), client: state.client });
    if (this.#seen.has(account) && this.#seen.get(account) === text) return;
    try {
      if (text === null) await deleteSharded(this.secrets, account);
      else await writeSharded(this.secrets, account, text);
    } catch (err) {
      const instead = await this.#afterFailure(err);
      if (instead) return await instead.write(site, state);
      throw err;
    }
    this.#answered = true;
    this.#seen.set(account, text);
  }

  /** After a failed first call: the store to use instead, or undefined to report the failure. */
  async #afterFailure(err: unknown): Promise<StateStore | undefined> {
    if (this.#answered) return undefined;
    // The keychain answered, and what it holds is damaged: that is for the user to see.
    if (err instanceof PupError && err.code === "corrupt_file") {
      this.#answered = true;
      return undefined;
    }
    // A missing tool, a logon without a credential set or a call that timed out (a locked
    // keychain) already says why: do not start (or wait for) a probe as well.
    const said = err instanceof PupError &&
      (err.code === "keychain_unavailable" || /timed out/.test(err.message));
    const reason = said ? (err as PupError).message : await this.#probe();
    if (reason === null) {
      this.#answered = true;
      return undefined;
    }
    return this.#handOver(reason);
  }

  async #probe(): Promise<string | null> {
    if (this.secrets.unavailableReason) return await this.secrets.unavailableReason();
    return (await this.secrets.available()) ? null : `the ${this.secrets.name} does not answer`;
  }

  #handOver(reason: string): StateStore {
    this.#answered = true;
    this.#instead = this.#onUnavailable!(reason);
    return this.#instead;
  }

  #parse(text: string, account: string): SiteState {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw this.#corrupt(account, `${text.length} characters that are not JSON`);
    }
    const fault = siteStateFault(value);
    if (fault) throw this.#corrupt(account, `JSON with ${fault}`);
    const v = value as Partial<SiteState>;
    return { tokens: plainRecord(v.tokens ?? {}), client: v.client ?? null };
  }

  #corrupt(account: string, found: string): PupError {
    // Never quote the value: it holds tokens.
    return new PupError(
      "corrupt_file",
      `keychain item "${account}" (service "pup", ${this.secrets.name}) is damaged: expected JSON {"tokens": {…}, "client": {…}|null}, found ${found}`,
      {
        hint:
          `run 'pup auth logout' to remove it (or delete "${account}" with your keychain tool), then 'pup auth login' again`,
      },
    );
  }
}
