/**
 * @module
 * The freedesktop Secret Service (gnome-keyring, KeePassXC, …) through libsecret's
 * `secret-tool` (KEYCHAINS.md §3.2). Items carry the attributes `service pup account <acct>`.
 *
 * What `secret-tool` does that this file relies on:
 * - `store` reads the secret from stdin (never argv) and keeps all of it, a trailing newline
 *   included — but at most 8,191 bytes: beyond, it prints "password is too long", stores the
 *   truncated value and exits 0. {@link SECRET_SERVICE_MAX_VALUE_BYTES} stays well below.
 * - `lookup` prints the value with no newline when stdout is not a TTY; exit 1 with nothing
 *   on stderr means "not found", exit 1 with a message an error.
 * - `clear` exits 1, silently, when nothing matched (libsecret ≥ 0.19).
 * - A locked collection may wait for an unlock prompt forever: every call has a timeout.
 *
 * Deciding that there is no Secret Service costs no process when `secret-tool` is not on PATH
 * or there is no session bus (`DBUS_SESSION_BUS_ADDRESS` unset and no `$XDG_RUNTIME_DIR/bus`).
 */
import { statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { PupError } from "../errors.ts";
import type { Spawner, SpawnResult } from "../runtime/spawn.ts";
import { checkValueSize, type SecretStore, SERVICE } from "./secret_store.ts";

/**
 * The largest value stored whole: `secret-tool store` silently truncates input past 8,191
 * bytes (measured: 8,192 already prints "password is too long"), so this keeps a margin.
 */
export const SECRET_SERVICE_MAX_VALUE_BYTES = 8000;

const PROBE_ACCOUNT = "__pup_probe__";
const HINT = "unlock your keyring (e.g. log in to the desktop, or run gnome-keyring-daemon " +
  "--unlock), or set DD_TOKEN_STORAGE=file to store tokens in files";

/** How to reach `secret-tool`. */
export interface SecretServiceOptions {
  /** Runs programs (`deps.spawn`). */
  spawn: Spawner;
  /** The environment (`deps.env`): `PATH`, `DBUS_SESSION_BUS_ADDRESS`, `XDG_RUNTIME_DIR`. */
  env: Readonly<Record<string, string | undefined>>;
  /** The program, looked up on PATH unless it is a path. Default `secret-tool`. */
  program?: string;
  /** Kill a call after this long. Default 10 s. */
  timeoutMs?: number;
  /** Time allowed for each call of the {@link SecretServiceKeychain.available} probe. Default 3 s. */
  probeTimeoutMs?: number;
}

/**
 * The Secret Service as a {@link SecretStore}.
 *
 * @example
 * const store = new SecretServiceKeychain({ spawn: deps.spawn, env: deps.env });
 * if (await store.available()) await store.set("state_datadoghq.com", json);
 */
export class SecretServiceKeychain implements SecretStore {
  readonly name = "Secret Service";
  readonly maxValueBytes = SECRET_SERVICE_MAX_VALUE_BYTES;
  readonly program: string;
  readonly timeoutMs: number;
  readonly probeTimeoutMs: number;
  #spawn: Spawner;
  #env: Readonly<Record<string, string | undefined>>;
  #probe?: Promise<string | null>;

  constructor(options: SecretServiceOptions) {
    this.#spawn = options.spawn;
    this.#env = options.env;
    this.program = options.program ?? "secret-tool";
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 3_000;
  }

  async get(account: string): Promise<string | null> {
    const r = await this.#run(["lookup", ...attributes(account)], "", this.timeoutMs);
    if (r.code === 0) return r.stdout;
    if (r.code === 1 && r.stderr.trim() === "") return null;
    throw this.#failure("read", account, r);
  }

  async set(account: string, value: string): Promise<void> {
    checkValueSize(this, account, value);
    const r = await this.#run(
      ["store", `--label=pup: ${account}`, ...attributes(account)],
      value,
      this.timeoutMs,
    );
    // "password is too long" comes with exit 0 and a truncated value: never accept it.
    if (r.code !== 0 || r.stderr.trim() !== "") throw this.#failure("write", account, r);
  }

  async delete(account: string): Promise<boolean> {
    const r = await this.#run(["clear", ...attributes(account)], "", this.timeoutMs);
    if (r.code === 0) return true;
    if (r.code === 1 && r.stderr.trim() === "") return false;
    throw this.#failure("delete", account, r);
  }

  async available(): Promise<boolean> {
    return (await this.unavailableReason()) === null;
  }

  /**
   * Null when the Secret Service answers, else why not. Without `secret-tool` on PATH or a
   * session bus this returns at once, spawning nothing. Otherwise it looks up a probe item;
   * when that is absent it stores it (value `1`), because a lookup alone succeeds even when
   * there is no collection to write to. Later runs then need the one lookup. Asked once per
   * instance.
   */
  unavailableReason(): Promise<string | null> {
    this.#probe ??= this.#checkAvailable();
    return this.#probe;
  }

  /**
   * The checks that spawn nothing: null when `secret-tool` is on PATH and a session bus can be
   * reached, else why not. Takes well under a millisecond.
   */
  precheck(): string | null {
    if (!findProgram(this.program, this.#env.PATH)) {
      return `"${this.program}" was not found on PATH (install libsecret-tools)`;
    }
    if (!hasSessionBus(this.#env)) {
      return "there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset and $XDG_RUNTIME_DIR/bus does not exist)";
    }
    return null;
  }

  async #checkAvailable(): Promise<string | null> {
    const cheap = this.precheck();
    if (cheap !== null) return cheap;
    try {
      const found = await this.#run(
        ["lookup", ...attributes(PROBE_ACCOUNT)],
        "",
        this.probeTimeoutMs,
      );
      if (found.code === 0) return null;
      if (found.code !== 1 || found.stderr.trim() !== "") return describe(found);
      const stored = await this.#run(
        ["store", "--label=pup: keychain probe", ...attributes(PROBE_ACCOUNT)],
        "1",
        this.probeTimeoutMs,
      );
      return stored.code === 0 && stored.stderr.trim() === "" ? null : describe(stored);
    } catch (err) {
      return err instanceof PupError ? err.message : String(err);
    }
  }

  async #run(args: string[], stdin: string, timeoutMs: number): Promise<SpawnResult> {
    let r: SpawnResult;
    try {
      r = await this.#spawn(this.program, args, { stdin, timeoutMs });
    } catch (err) {
      if ((err as { code?: string }).code === "ENOENT") {
        throw new PupError(
          "keychain_unavailable",
          `cannot use the ${this.name}: expected the program "${this.program}" on PATH, found none`,
          {
            cause: err,
            hint: "install libsecret-tools, or set DD_TOKEN_STORAGE=file to store tokens in files",
          },
        );
      }
      throw new PupError("keychain", `cannot run "${this.program}": ${(err as Error).message}`, {
        cause: err,
        hint: "set DD_TOKEN_STORAGE=file to store tokens in files",
      });
    }
    if (r.timedOut) {
      throw new PupError(
        "keychain",
        `the ${this.name} did not answer "${this.program} ${args[0]}" within ${
          timeoutMs / 1000
        } s (timed out); is the keyring locked?`,
        { hint: HINT },
      );
    }
    return r;
  }

  #failure(action: string, account: string, r: SpawnResult): PupError {
    return new PupError(
      "keychain",
      `could not ${action} keychain item "${account}" (service "${SERVICE}") with ${this.program}: ${
        describe(r)
      }`,
      { hint: HINT },
    );
  }
}

function attributes(account: string): string[] {
  if (account === "" || /[^ -~\u0080-\uFFFF]/.test(account)) {
    throw new PupError("keychain", `invalid keychain account ${JSON.stringify(account)}`);
  }
  return ["service", SERVICE, "account", account];
}

/** "exit 1: <first line of stderr>", bounded. */
function describe(r: SpawnResult): string {
  const line = r.stderr.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? "no message";
  return `expected exit 0, found exit ${r.code}: ${
    line.length > 200 ? line.slice(0, 200) + "…" : line
  }`;
}

/** Whether `program` (a name looked up on `path`, or a path) is an executable file. */
export function findProgram(program: string, path: string | undefined): string | null {
  const candidates = program.includes("/")
    ? [program]
    : (path ?? "").split(delimiter).filter((d) => d !== "").map((d) => join(d, program));
  for (const file of candidates) {
    try {
      const st = statSync(file);
      if (st.isFile() && (st.mode & 0o111) !== 0) return file;
    } catch {
      // not there: try the next folder
    }
  }
  return null;
}

/**
 * Whether a D-Bus session bus can be reached without autolaunch (which needs X11): an address
 * in `DBUS_SESSION_BUS_ADDRESS`, or the systemd user bus socket `$XDG_RUNTIME_DIR/bus`.
 */
export function hasSessionBus(env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.DBUS_SESSION_BUS_ADDRESS?.trim()) return true;
  if (!env.XDG_RUNTIME_DIR) return false;
  try {
    return statSync(join(env.XDG_RUNTIME_DIR, "bus")).isSocket();
  } catch {
    return false;
  }
}
