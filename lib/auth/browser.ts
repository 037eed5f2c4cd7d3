/**
 * @module
 * Opening the authorize URL (CONTRACT §6): `$BROWSER` (split on spaces, URL appended, no
 * shell), else the platform opener. A failure is reported through `onFailure`; the login keeps
 * waiting either way.
 */
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

/**
 * Starts the browser. Resolves once it is started (or failed to start); if the opener exits
 * non-zero within `graceMs`, `onFailure` runs then.
 */
export async function openBrowser(
  launch: Launcher,
  url: string,
  env: Readonly<Record<string, string | undefined>>,
  os: string,
  onFailure: () => void,
  graceMs = 5_000,
): Promise<void> {
  const [cmd, args] = browserCommand(url, env, os);
  try {
    const { exited } = await launch(cmd, args);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const graceOver = new Promise<"running">((r) => {
      timer = setTimeout(() => r("running"), graceMs);
      // Deno/Bun: do not keep the process alive only for this timer.
      (timer as unknown as { unref?: () => void }).unref?.();
    });
    void Promise.race([exited, graceOver]).then((code) => {
      clearTimeout(timer);
      if (code !== "running" && code !== 0) onFailure();
    });
  } catch {
    onFailure();
  }
}
