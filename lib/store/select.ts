/**
 * @module
 * Choosing where tokens live (CONTRACT §7): `DD_TOKEN_STORAGE` (or `token_storage:`) forces
 * `file` or `keychain`; unset, the OS keychain when it answers, else files with one warning.
 * The choice is made once, up front, and says what it is: a keychain store never turns into a
 * file store later.
 */
import type { Deps } from "../deps.ts";
import { PupError } from "../errors.ts";
import { FileStateStore } from "./file_state_store.ts";
import type { FileDeps } from "./config_dir.ts";
import type { KeychainOptions } from "./keychain.ts";
import type { KeychainStateStore } from "./keychain_state_store.ts";
import type { StateStore } from "./state_store.ts";

/**
 * What choosing a store needs: the dependencies, the config folder and a way to warn. Today's
 * `Context` (lib/cli/context.ts) is one.
 */
export interface StoreChoiceDeps {
  deps: Pick<Deps, "env" | "spawn" | "host" | "clock">;
  dir: string;
  info(line: string): void;
  /** What the file store's safe file module takes (uid, pid, signals …); `Context` has it. */
  lockDeps?: FileDeps;
}

/** The file store of `ctx`: its folder, and the uid, pid and signal hooks it is handed. */
function fileStore(ctx: StoreChoiceDeps): FileStateStore {
  const { host, clock } = ctx.deps;
  return new FileStateStore(
    ctx.dir,
    ctx.lockDeps ?? { uid: host.uid, pid: host.pid, processExists: host.processExists, clock },
  );
}

/** The store chosen, and for files why (null: asked for with `file`). */
export type StoreSelection =
  | { kind: "keychain"; store: KeychainStateStore }
  | { kind: "files"; store: FileStateStore; reason: string | null };

const KEYCHAIN_HINT =
  "on Linux install libsecret-tools and run a Secret Service (e.g. gnome-keyring) in a D-Bus session, or set DD_TOKEN_STORAGE=file";

/**
 * Chooses the store: forced files, the keychain when it answers, else files with the reason.
 * Throws when the keychain is forced but does not answer.
 *
 * @example
 * const choice = await chooseStore(ctx, config);
 * if (choice.kind === "files" && choice.reason) warn(choice.reason);
 */
export async function chooseStore(
  ctx: StoreChoiceDeps,
  config: { token_storage?: string },
  options: KeychainOptions = {},
): Promise<StoreSelection> {
  const env = ctx.deps.env.DD_TOKEN_STORAGE;
  const raw = env?.trim().toLowerCase() || config.token_storage;
  if (raw !== undefined && raw !== "file" && raw !== "keychain") {
    throw new PupError(
      "config",
      `invalid DD_TOKEN_STORAGE "${env}": expected "file" or "keychain"`,
    );
  }
  if (raw === "file") return { kind: "files", store: fileStore(ctx), reason: null };
  const [{ probeKeychain }, { KeychainStateStore }] = await Promise.all([
    import("./keychain.ts"),
    import("./keychain_state_store.ts"),
  ]);
  const probe = await probeKeychain(ctx.deps, options);
  if (probe.store) return { kind: "keychain", store: new KeychainStateStore(probe.store) };
  if (raw === "keychain") {
    throw new PupError(
      "keychain_unavailable",
      `token storage is set to keychain but no OS keychain answers: ${probe.reason}`,
      { hint: KEYCHAIN_HINT },
    );
  }
  return { kind: "files", store: fileStore(ctx), reason: probe.reason };
}

/**
 * Picks the store for this run, warning once on stderr when tokens go to files because no
 * keychain answers.
 */
export async function selectStore(
  ctx: StoreChoiceDeps,
  config: { token_storage?: string },
  options: KeychainOptions = {},
): Promise<StateStore> {
  const choice = await chooseStore(ctx, config, options);
  if (choice.kind === "files" && choice.reason !== null) {
    ctx.info(
      `⚠️ No OS keychain available (${choice.reason}): tokens are stored in plain files under ${ctx.dir} (mode 0600). Set DD_TOKEN_STORAGE=file to silence this warning.`,
    );
  }
  return choice.store;
}
