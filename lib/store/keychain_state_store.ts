/**
 * @module
 * A site's state in the OS keychain (CONTRACT §7): service `pup`, account
 * `state_<sitekey>`, value `{"tokens": {…}, "client": {…}|null}`, sharded when larger than
 * the back end takes whole. An empty state removes every item of the site.
 *
 * Keychain calls are few on purpose (each is a process, and on macOS a possible prompt):
 * - a read asks the keychain once per call — one process for the whole value, however many
 *   chunks, on back ends with `getMany`; a caller outside the site's lock may pass
 *   `{ reuse: true }` to get what this store last read or wrote for the site instead. Reads
 *   under the lock never pass it: they must see what other processes wrote while this one waited;
 * - a write of what is already stored is skipped, and a write under the same lock as the read
 *   before it sends only the items whose content changed (see `writeSharded`).
 *
 * Whether the keychain answers is decided before this store is made (`select.ts`): it never
 * turns into another kind of store.
 */
import type { SiteState } from "./types.ts";
import { PupError } from "../errors.ts";
import { lockEpoch } from "./lock.ts";
import { type SecretStore, SERVICE } from "./secret_store.ts";
import { readSharded } from "./sharded_read.ts";
import { deleteSharded, writeSharded } from "./sharded_write.ts";
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

/** What an account held when this store last read or wrote it, and under which lock. */
interface Seen {
  text: string | null;
  /** `lockEpoch` then: equal now means the same lock is still held (or none was taken). */
  epoch: number;
}

/**
 * A {@link StateStore} on a {@link SecretStore}.
 *
 * @example
 * const store = new KeychainStateStore(new MacKeychain({ spawn: deps.spawn }));
 * const state = await store.read("datadoghq.com");
 */
export class KeychainStateStore implements StateStore {
  readonly kind = "keychain" as const;
  readonly secrets: SecretStore;
  #seen = new Map<string, Seen>();

  constructor(secrets: SecretStore) {
    this.secrets = secrets;
  }

  /** E.g. `Secret Service (service "pup")`. */
  get location(): string {
    return `${this.secrets.name} (service "${SERVICE}")`;
  }

  async read(site: string, options: ReadOptions = {}): Promise<SiteState> {
    const account = stateAccount(site);
    const seen = this.#seen.get(account);
    let text: string | null;
    if (options.reuse && seen) text = seen.text;
    else {
      text = await readSharded(this.secrets, account);
      this.#seen.set(account, { text, epoch: lockEpoch });
    }
    return text === null ? emptyState() : this.#parse(text, account);
  }

  async write(site: string, state: SiteState): Promise<void> {
    const account = stateAccount(site);
    const text = isEmptyState(state)
      ? null
      : JSON.stringify({ tokens: plainRecord(state.tokens), client: state.client });
    const seen = this.#seen.get(account);
    if (seen && seen.text === text) return;
    // What is stored now is known only when read under this same lock; where one process
    // reads the whole value, asking costs less than the probes a blind write makes.
    let previous = seen && seen.epoch === lockEpoch ? seen.text : undefined;
    if (previous === undefined && this.secrets.getMany) {
      previous = await readSharded(this.secrets, account).catch(() => undefined);
    }
    if (text === null) await deleteSharded(this.secrets, account, previous);
    else await writeSharded(this.secrets, account, text, previous);
    this.#seen.set(account, { text, epoch: lockEpoch });
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
