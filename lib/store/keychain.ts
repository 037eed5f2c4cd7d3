/**
 * @module
 * Picks the OS keychain for this machine by `deps.host.os`: the macOS Keychain
 * (`security`), the Secret Service on Linux (`secret-tool`), Windows Credential Manager
 * (PowerShell). Detection is cheap: without `secret-tool` or a D-Bus session it takes no
 * process at all, and every probe has a short timeout.
 *
 * With `defer`, only those cheap checks run here; the keychain's first real call then doubles
 * as the probe (see `KeychainStateStore`'s `onUnavailable`), so a command that reads one
 * site's tokens costs one keychain call, not two. On Windows that saves a PowerShell start.
 */
import type { Deps } from "../deps.ts";
import { MacKeychain } from "./keychain_macos.ts";
import { SecretServiceKeychain } from "./keychain_secret_service.ts";
import { WindowsCredentialManager } from "./keychain_windows.ts";
import type { SecretStore } from "./secret_store.ts";

/** A keychain back end that can say why it is unavailable. */
export type OsKeychain = MacKeychain | SecretServiceKeychain | WindowsCredentialManager;

/** What {@link probeKeychain} found. */
export interface KeychainProbe {
  /** The keychain, when it answers. */
  store: OsKeychain | null;
  /** Why there is none (no back end for this OS, tool missing, no D-Bus, locked, …). */
  reason: string | null;
}

/** Knobs for tests and callers with special needs. */
export interface KeychainOptions {
  /** Timeout of each keychain call (default per back end: 10 s, Windows 20 s). */
  timeoutMs?: number;
  /**
   * Run only the checks that spawn nothing (the tool on PATH, a D-Bus session) and leave the
   * real probe to the first keychain call.
   */
  defer?: boolean;
}

/**
 * The keychain back end for this OS, not yet checked; null on an OS without one.
 *
 * @example
 * const store = createKeychain(deps); // MacKeychain on darwin
 */
export function createKeychain(
  deps: Pick<Deps, "env" | "spawn" | "host">,
  options: KeychainOptions = {},
): OsKeychain | null {
  const { spawn } = deps;
  const { timeoutMs } = options;
  switch (deps.host.os) {
    case "darwin":
      return new MacKeychain({ spawn, timeoutMs });
    case "linux":
    case "freebsd":
    case "openbsd":
      return new SecretServiceKeychain({ spawn, env: deps.env, timeoutMs });
    case "windows":
      return new WindowsCredentialManager({ spawn, timeoutMs });
    default:
      return null;
  }
}

/**
 * The keychain when it answers, with the reason when it does not.
 *
 * @example
 * const { store, reason } = await probeKeychain(deps);
 * if (!store) console.error(`no keychain: ${reason}`);
 * // Cheap checks only; the first call is the probe:
 * const deferred = await probeKeychain(deps, { defer: true });
 */
export async function probeKeychain(
  deps: Pick<Deps, "env" | "spawn" | "host">,
  options: KeychainOptions = {},
): Promise<KeychainProbe> {
  const store = createKeychain(deps, options);
  if (!store) return { store: null, reason: `pup has no keychain back end for ${deps.host.os}` };
  const reason = options.defer ? store.precheck() : await store.unavailableReason();
  return reason === null ? { store, reason: null } : { store: null, reason };
}

/**
 * The OS keychain when it answers, else null.
 *
 * @example
 * const keychain = await detectKeychain(deps);
 * const store = keychain ? new KeychainStateStore(keychain) : new FileStateStore(dir);
 */
export async function detectKeychain(
  deps: Pick<Deps, "env" | "spawn" | "host">,
  options: KeychainOptions = {},
): Promise<SecretStore | null> {
  return (await probeKeychain(deps, options)).store;
}
