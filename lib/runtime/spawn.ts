/**
 * @module
 * Running other programs (keychain tools, the browser opener) with `node:child_process`,
 * the one subprocess API that behaves the same in Bun, Deno and compiled binaries.
 *
 * Every child gets {@link childEnvironment}: pup's environment without its credential
 * variables (issue 9, defect 9). Both runners below build the child's environment that way and
 * nothing else starts a program, so no caller can forget.
 */
import { spawn } from "node:child_process";

/** What a finished program left behind. */
export interface SpawnResult {
  /** Exit code; null when killed by a signal (including our timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** True when the program was killed because it ran past `timeoutMs`. */
  timedOut: boolean;
}

/** How to run a program. */
export interface SpawnOptions {
  /** Text written to the program's stdin, which is then closed. Omitted: stdin is empty. */
  stdin?: string;
  /** Kill the program after this many milliseconds. */
  timeoutMs: number;
  /**
   * Extra environment variables (merged over the current environment, then filtered like it:
   * a credential variable is never passed, whoever asks).
   */
  env?: Record<string, string>;
}

/** Runs a program; rejects with an error whose `code` is `ENOENT` when it does not exist. */
export type Spawner = (
  command: string,
  args: string[],
  options: SpawnOptions,
) => Promise<SpawnResult>;

/** Variables a child always keeps, even if a name rule below would match them. */
const KEEP = new Set([
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  "TERM",
  "TMPDIR",
  "DISPLAY",
  "WAYLAND_DISPLAY",
  "XAUTHORITY",
  "DBUS_SESSION_BUS_ADDRESS",
  "SSH_AUTH_SOCK",
]);

/** Credential variables by name (besides the pattern below). */
const CREDENTIALS = new Set([
  "DD_API_KEY",
  "DD_APP_KEY",
  "DD_APPLICATION_KEY",
  "DD_ACCESS_TOKEN",
  "DATADOG_API_KEY",
  "DATADOG_APP_KEY",
  "DATADOG_APPLICATION_KEY",
  "DATADOG_ACCESS_TOKEN",
  "DD_CLIENT_API_KEY",
  "DD_CLIENT_APP_KEY",
]);

/**
 * A name that holds a credential: `…API_KEY`, `…APPKEY`, `…_KEY`, `…TOKEN…`, `…SECRET…`,
 * `…PASSWORD…`/`…PASSWD…`/`…PASSPHRASE…`, `…CREDENTIAL…`, `…COOKIE…`.
 */
const CREDENTIAL_NAME =
  /(API|APP|APPLICATION|ACCESS|PRIVATE|CLIENT)_?KEY|(^|_)KEY$|TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|COOKIE/i;

/**
 * Names that point at a place or a program rather than hold a value (`PUP_SECRET_TOOL_LOG`,
 * `GPG_KEY_FILE`): kept, since they carry no secret themselves.
 */
const PLACE_NAME = /_(LOG|FILE|PATH|DIR|TOOL|PROGRAM|CMD|COMMAND|SOCK|SOCKET)$/i;

/** Whether a variable must not reach a child. */
export function isCredentialVariable(name: string, value: string): boolean {
  if (KEEP.has(name) || PLACE_NAME.test(name)) return false;
  if (CREDENTIALS.has(name.toUpperCase()) || CREDENTIAL_NAME.test(name)) return true;
  // A proxy URL with a user name or password in it (`http://user:pass@proxy:3128`).
  return /_PROXY$/i.test(name) && /^[a-z][a-z0-9+.-]*:\/\/[^/@]*@/i.test(value.trim());
}

/**
 * The environment a child gets: `base` (pup's own) with `extra` over it, minus every
 * credential variable ({@link isCredentialVariable}).
 */
export function childEnvironment(
  base: Readonly<Record<string, string | undefined>>,
  extra: Record<string, string> = {},
): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries({ ...base, ...extra })) {
    if (value !== undefined && !isCredentialVariable(name, value)) out[name] = value;
  }
  return out;
}

/**
 * The real {@link Spawner}.
 *
 * @example
 * const r = await spawnProgram("secret-tool", ["lookup", "service", "pup"], { timeoutMs: 5000 });
 */
export const spawnProgram: Spawner = (command, args, options) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: childEnvironment(process.env, options.env),
      windowsHide: true,
    });
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs);
    child.stdout!.on("data", (c: Uint8Array) => out.push(c));
    child.stderr!.on("data", (c: Uint8Array) => err.push(c));
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      const decoder = new TextDecoder();
      resolve({
        code,
        stdout: decoder.decode(Buffer.concat(out)),
        stderr: decoder.decode(Buffer.concat(err)),
        timedOut,
      });
    });
    child.stdin!.on("error", () => {}); // a program that exits without reading stdin: EPIPE
    child.stdin!.end(options.stdin ?? "");
  });

/** Starts a program without waiting for it; `exited` settles when it ends. */
export type Launcher = (
  command: string,
  args: string[],
) => Promise<{ exited: Promise<number | null> }>;

/** The real {@link Launcher}: stdio ignored, the child does not keep pup alive. */
export const launchProgram: Launcher = (command, args) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: "ignore",
      env: childEnvironment(process.env),
      windowsHide: true,
    });
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    child.once("error", reject);
    child.once("spawn", () => {
      child.unref();
      resolve({ exited });
    });
  });
