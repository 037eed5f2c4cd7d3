/**
 * @module
 * Where a login runs (issue 13, CONTRACT §6): over SSH, on Linux with no display, or in a
 * container no browser can open here, so pup runs no opener (unless `$BROWSER` names one, the
 * user's explicit choice) and says what to do instead — the exact `ssh -L` forward for the bound
 * port, the port pin, `--no-browser` and `--device`. On a terminal the URL is also an OSC 8
 * hyperlink.
 */
import { type Line, LINK_END, linkStart, safeText, type Styled } from "../text.ts";
import { isLiveTerminal } from "./wait_line.ts";
import type { IO } from "../deps.ts";

/** Why no opener runs here; null when one may. */
export type NoOpenerReason = "ssh" | "no_display" | "container" | null;

/** Files whose presence marks a container (Docker, Podman). */
export const CONTAINER_MARKERS = ["/.dockerenv", "/run/.containerenv"] as const;

/** Decides whether a browser opener may run (CONTRACT §6). */
export function whyNoOpener(
  env: Readonly<Record<string, string | undefined>>,
  os: string,
  exists: (path: string) => boolean,
): NoOpenerReason {
  if (env.BROWSER?.trim()) return null;
  if (env.SSH_CONNECTION || env.SSH_TTY) return "ssh";
  if (os !== "linux") return null;
  const wsl = Boolean(env.WSL_DISTRO_NAME || env.WSL_INTEROP);
  if (!wsl && !env.DISPLAY && !env.WAYLAND_DISPLAY) return "no_display";
  if (CONTAINER_MARKERS.some((p) => exists(p))) return "container";
  return null;
}

/** The address of this machine as the SSH client reached it (`SSH_CONNECTION`'s third field). */
export function sshHost(env: Readonly<Record<string, string | undefined>>): string {
  const server = env.SSH_CONNECTION?.trim().split(/\s+/)[2];
  return server && /^[0-9A-Fa-f.:]+$/.test(server) ? server : "<this-host>";
}

/**
 * The URL as printed: whole, and on a live terminal also an OSC 8 hyperlink, whose codes are
 * pup's own control sequences (lib/text.ts), written raw by the output guard.
 */
export function showUrl(
  deps: { io: Pick<IO, "stderrIsTTY">; env: Readonly<Record<string, string | undefined>> },
  url: string,
): readonly Styled[] {
  const start = isLiveTerminal(deps) ? linkStart(url) : null;
  return start ? [start, url, LINK_END] : [url];
}

/** The lines that explain a login with no opener, for the bound `port`. */
export function noOpenerLines(
  reason: Exclude<NoOpenerReason, null>,
  env: Readonly<Record<string, string | undefined>>,
  port: number,
  shownUrl: readonly Styled[],
): Line[] {
  const why = reason === "ssh"
    ? "You are connected over SSH, so pup does not open a browser on this machine."
    : reason === "container"
    ? "This looks like a container, so pup does not open a browser here."
    : "There is no display here (neither DISPLAY nor WAYLAND_DISPLAY is set), so pup does not run xdg-open.";
  const lines: Line[] = [
    why,
    "Open this URL in a browser on your own computer:",
    "",
    ["  ", ...shownUrl],
    "",
  ];
  if (reason === "ssh") {
    lines.push(
      `Your browser is sent back to 127.0.0.1:${port}. Forward that port from your computer first:`,
      "",
      `  ssh -L ${port}:127.0.0.1:${port} ${safeText(sshHost(env))}`,
      "",
    );
  }
  lines.push(
    "Other ways:",
    `  --callback-port ${port} (or PUP_OAUTH_CALLBACK_PORT=${port}) keeps this port between tries`,
    "  --no-browser lets you paste the address the browser was sent to",
    "  --device logs in with a code instead, where the site offers it",
    "  set BROWSER to a program to open the URL with it",
  );
  return lines;
}
