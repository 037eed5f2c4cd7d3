/**
 * @module
 * Opening the authorize URL (CONTRACT §6): `$BROWSER` (split on spaces, URL appended, no
 * shell), else the platform opener. A failure is reported through `onFailure`; the login keeps
 * waiting either way. The child's environment carries no credential variable
 * (`lib/runtime/spawn.ts` builds it).
 */
import type { Clock } from "../deps.ts";
import type { Launcher } from "../runtime/spawn.ts";

/** The program and arguments that open `url`. */
export function browserCommand(
  url: string,
  env: Readonly<Record<string, string | undefined>>,
  os: string,
): [string, string[]] {
  const custom = env.BROWSER?.trim();
  if (custom) {
    const [cmd, ...args] = custom.split(/\s+/);
    return [cmd, [...args, url]];
  }
  if (os === "darwin") return ["open", [url]];
  // `cmd /c start` would split the URL on `&`; rundll32 takes it whole.
  if (os === "windows") return ["rundll32", ["url.dll,FileProtocolHandler", url]];
  const wsl = Boolean(env.WSL_DISTRO_NAME || env.WSL_INTEROP);
  return [wsl ? "wslview" : "xdg-open", [url]];
}

/** What {@link openBrowser} needs. */
export interface OpenBrowserDeps {
  launch: Launcher;
  clock: Pick<Clock, "sleep">;
  env: Readonly<Record<string, string | undefined>>;
  os: string;
}

/**
 * Starts the browser. Resolves once it is started (or failed to start); if the opener exits
 * non-zero within `graceMs`, `onFailure` runs then. `signal` ends the watch early (the login
 * finished).
 */
export async function openBrowser(
  deps: OpenBrowserDeps,
  url: string,
  onFailure: () => void,
  options: { graceMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const [cmd, args] = browserCommand(url, deps.env, deps.os);
  let exited: Promise<number | null>;
  try {
    exited = (await deps.launch(cmd, args)).exited;
  } catch {
    onFailure();
    return;
  }
  const graceOver = deps.clock.sleep(options.graceMs ?? 5_000, options.signal).then(
    () => "running" as const,
    () => "running" as const,
  );
  void Promise.race([exited, graceOver]).then((code) => {
    if (code !== "running" && code !== 0) onFailure();
  });
}
