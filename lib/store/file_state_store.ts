/**
 * @module
 * File storage (CONTRACT §7): `tokens_<sitekey>.json` holds `{"__default__": Token, "<org>":
 * Token}` and `client_<sitekey>.json` the DCR answer, each 0600 and written atomically.
 */
import { join } from "node:path";
import type { ClientCredentials, SiteState, Token } from "./types.ts";
import type { FileDeps } from "./config_dir.ts";
import { readJsonFile, removeFile, writeFileAtomic } from "./files.ts";
import { plainRecord, siteKey, type StateStore } from "./state_store.ts";
import { clientFault, tokensFault } from "./validate.ts";

// pup never rewrites a file it cannot read: the user decides what to keep.
const RECOVERY =
  "move the file aside (or delete it), then run 'pup auth login' again for the sessions it held";

/** A {@link StateStore} on plain JSON files in the config folder. */
export class FileStateStore implements StateStore {
  readonly kind = "file" as const;
  readonly dir: string;
  /** The uid, pid, clock and signal hooks of the safe file modules (lib/store/config_dir.ts). */
  readonly files: FileDeps;
  /** What each file held when last read or written, so unchanged files are not rewritten. */
  #seen = new Map<string, string | undefined>();

  constructor(dir: string, files: FileDeps = {}) {
    this.dir = dir;
    this.files = files;
  }

  get location(): string {
    return this.dir;
  }

  tokensPath(site: string): string {
    return join(this.dir, `tokens_${siteKey(site)}.json`);
  }

  clientPath(site: string): string {
    return join(this.dir, `client_${siteKey(site)}.json`);
  }

  /**
   * The site's state. With `reuse`, what this store last read or wrote for both of the site's
   * files, parsed again (a fresh copy, already checked) — for reads outside the site's lock,
   * as {@link StateStore.read} allows: a command that resolves its credentials and then its
   * scopes reads each file once.
   */
  async read(site: string, options: { reuse?: boolean } = {}): Promise<SiteState> {
    if (options.reuse) {
      const tokensPath = this.tokensPath(site);
      const clientPath = this.clientPath(site);
      if (this.#seen.has(tokensPath) && this.#seen.has(clientPath)) {
        const tokens = this.#seen.get(tokensPath);
        const client = this.#seen.get(clientPath);
        return {
          tokens: plainRecord(tokens === undefined ? {} : JSON.parse(tokens)),
          client: client === undefined ? null : JSON.parse(client),
        };
      }
    }
    const [tokens, client] = await Promise.all([
      readJsonFile<Record<string, Token>>(
        this.tokensPath(site),
        "tokens file",
        tokensFault,
        RECOVERY,
        this.files,
      ),
      readJsonFile<ClientCredentials>(
        this.clientPath(site),
        "client file",
        clientFault,
        RECOVERY,
        this.files,
      ),
    ]);
    this.#seen.set(this.tokensPath(site), tokens && serialize(tokens));
    this.#seen.set(this.clientPath(site), client && serialize(client));
    return { tokens: plainRecord(tokens ?? {}), client: client ?? null };
  }

  async #put(path: string, value: object | null): Promise<void> {
    const text = value ? serialize(value) : undefined;
    if (this.#seen.has(path) && this.#seen.get(path) === text) return;
    if (text === undefined) await removeFile(path);
    else await writeFileAtomic(path, text, this.files);
    this.#seen.set(path, text);
  }

  async write(site: string, state: SiteState): Promise<void> {
    // Client first: tokens are useless without the client that can refresh them.
    await this.#put(this.clientPath(site), state.client);
    const tokens = plainRecord(state.tokens);
    await this.#put(this.tokensPath(site), Object.keys(tokens).length ? tokens : null);
  }
}

function serialize(value: object): string {
  return JSON.stringify(value, null, 2) + "\n";
}
