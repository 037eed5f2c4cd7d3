/**
 * @module
 * Choosing where tokens live (CONTRACT §7): `DD_TOKEN_STORAGE` (or `token_storage:`) forces
 * `file` or `keychain`; unset, the OS keychain when it answers, else files with one warning.
 */
import type { Context } from "../cli/context.ts";
import { PupError } from "../errors.ts";
import type { Config } from "../session/config.ts";
import { FileStateStore } from "./file_state_store.ts";
import type { StateStore } from "./state_store.ts";

/** Picks the store for this run. */
export async function selectStore(ctx: Context, config: Config): Promise<StateStore> {
  const raw = ctx.deps.env.DD_TOKEN_STORAGE?.trim().toLowerCase() || config.token_storage;
  if (raw !== undefined && raw !== "file" && raw !== "keychain") {
    throw new PupError(
      "config",
      `invalid DD_TOKEN_STORAGE "${ctx.deps.env.DD_TOKEN_STORAGE}": expected "file" or "keychain"`,
    );
  }
  if (raw === "file") return new FileStateStore(ctx.dir);
  // Files instead of the keychain: an error when the keychain was asked for, else a warning.
  const unavailable = (reason: string | null): StateStore => {
    if (raw === "keychain") {
      throw new PupError(
        "keychain_unavailable",
        `token storage is set to keychain but no OS keychain answers: ${reason}`,
        {
          hint:
            "on Linux install libsecret-tools and run a Secret Service (e.g. gnome-keyring) in a D-Bus session, or set DD_TOKEN_STORAGE=file",
        },
      );
    }
    ctx.info(
      `⚠️ No OS keychain available (${reason}): tokens are stored in plain files under ${ctx.dir} (mode 0600). Set DD_TOKEN_STORAGE=file to silence this warning.`,
    );
    return new FileStateStore(ctx.dir);
  };
  // Only the checks that spawn nothing run here (the tool on PATH, a D-Bus session); the
  // keychain's first real call is the probe, so reading a site costs one keychain call.
  const { probeKeychain } = await import("./keychain.ts");
  const { store, reason } = await probeKeychain(ctx.deps, { defer: true });
  if (!store) return unavailable(reason);
  const { KeychainStateStore } = await import("./keychain_state_store.ts");
  return new KeychainStateStore(store, { onUnavailable: unavailable });
}
