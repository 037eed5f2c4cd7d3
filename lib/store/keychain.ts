/**
 * @module
 * Picks the OS keychain for this machine by `deps.host.os`: the macOS Keychain
 * (`/usr/bin/security`), the Secret Service on Linux (`secret-tool`), Windows Credential Manager
 * (PowerShell), and asks it whether it answers. Without `secret-tool` or a D-Bus session that
 * takes no process at all; every probe has a short timeout. On the Secret Service the probe is
 * the search that also serves the first read, so choosing the keychain costs no extra process.
 */
import type { Deps } from "../deps.ts";
import { MacKeychain } from "./keychain_macos.ts";
import { SecretServiceKeychain } from "./keychain_secret_service.ts";
import { WindowsCredentialManager } from "./keychain_windows.ts";

/** A keychain back end that can say why it is unavailable. */
export type OsKeychain = MacKeychain | SecretServiceKeychain | WindowsCredentialManager;

/** What {@link probeKeychain} found: the keychain, or why there is none. */
export type KeychainProbe =
  | { store: OsKeychain; reason: null }
  | { store: null; reason: string };

/** Knobs for tests and callers with special needs. */
export interface KeychainOptions {
  /** Timeout of each keychain call (default per back end: 10 s, Windows 20 s). */
  timeoutMs?: number;
  /**
   * The tool each back end runs (default `/usr/bin/security`, `secret-tool` on PATH,
   * `powershell.exe`). Only tests pass these, to reach the fakes in tests/fakes/bin.
   */
  programs?: { security?: string; secretTool?: string; powershell?: string };
}

/** What the keychain back ends need from the outside world. */
export type KeychainDeps = Pick<Deps, "env" | "spawn" | "host" | "clock">;

/**
 * The keychain back end for this OS, not yet checked; null on an OS without one.
 *
 * @example
 * const store = createKeychain(deps); // MacKeychain on darwin
 */
export function createKeychain(
  deps: KeychainDeps,
  options: KeychainOptions = {},
): OsKeychain | null {
  const { spawn, clock } = deps;
  const { timeoutMs, programs = {} } = options;
  switch (deps.host.os) {
    case "darwin":
      return new MacKeychain({ spawn, clock, timeoutMs, program: programs.security });
    case "linux":
    case "freebsd":
    case "openbsd":
      return new SecretServiceKeychain({
        spawn,
        clock,
        env: deps.env,
        timeoutMs,
        program: programs.secretTool,
      });
    case "windows":
      return new WindowsCredentialManager({
        spawn,
        clock,
        timeoutMs,
        program: programs.powershell,
      });
    default:
      return null;
  }
}

/**
 * The keychain when it answers, with the reason when it does not.
 *
 * @example
 * const probe = await probeKeychain(deps);
 * if (probe.store === null) console.error(`no keychain: ${probe.reason}`);
 */
export async function probeKeychain(
  deps: KeychainDeps,
  options: KeychainOptions = {},
): Promise<KeychainProbe> {
  const store = createKeychain(deps, options);
  if (!store) return { store: null, reason: `pup has no keychain back end for ${deps.host.os}` };
  const reason = await store.probe();
  return reason === null ? { store, reason: null } : { store: null, reason };
}
