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
import type { Clock } from "../deps.ts";
import { PupError } from "../errors.ts";
import type { Spawner, SpawnResult } from "../runtime/spawn.ts";
import { lockEpoch } from "./lock.ts";
import { checkAccount, describeExit, runTool, SPAWNER_TIMEOUT_ONLY } from "./keychain_tool.ts";
import { checkValueSize, type SecretStore, SERVICE } from "./secret_store.ts";

/**
 * The largest value stored whole: `secret-tool store` silently truncates input past 8,191
 * bytes (measured: 8,192 already prints "password is too long"), so this keeps a margin.
 */
export const SECRET_SERVICE_MAX_VALUE_BYTES = 8000;

const PROBE_ACCOUNT = "__pup_probe__";
const HINT = "unlock your keyring (e.g. log in to the desktop, or run gnome-keyring-daemon " +
  "--unlock), or set DD_TOKEN_STORAGE=file to store tokens in files";
const MISSING_HINT =
  "install libsecret-tools, or set DD_TOKEN_STORAGE=file to store tokens in files";

/** How to reach `secret-tool`. */
export interface SecretServiceOptions {
  /** Runs programs (`deps.spawn`). */
  spawn: Spawner;
  /** Timers (`deps.clock`; default real timers, through the spawner's own timeout). */
  clock?: Clock;
  /** The environment (`deps.env`): `PATH`, `DBUS_SESSION_BUS_ADDRESS`, `XDG_RUNTIME_DIR`. */
  env: Readonly<Record<string, string | undefined>>;
  /** The program, looked up on PATH unless it is a path. Default `secret-tool`. */
  program?: string;
  /** Kill a call after this long. Default 10 s. */
  timeoutMs?: number;
  /** Time allowed for each call of the probe. Default 3 s. */
  probeTimeoutMs?: number;
}

/**
 * The Secret Service as a {@link SecretStore}. `getMany` reads every pup item with one
 * `secret-tool search --all service pup`; the probe is that same search, kept for the first
 * `getMany`, so choosing the keychain and reading a site's state cost one process together.
 *
 * @example
 * const store = new SecretServiceKeychain({ spawn: deps.spawn, env: deps.env });
 * if ((await store.probe()) === null) await store.set("state_datadoghq.com", json);
 */
export class SecretServiceKeychain implements SecretStore {
  readonly name = "Secret Service";
  readonly maxValueBytes = SECRET_SERVICE_MAX_VALUE_BYTES;
  readonly program: string;
  readonly timeoutMs: number;
  readonly probeTimeoutMs: number;
  #spawn: Spawner;
  #clock?: Clock;
  #env: Readonly<Record<string, string | undefined>>;
  #probe?: Promise<string | null>;
  /**
   * What the probe's search found, handed to the first `getMany` — unless a lock was taken
   * since (a read under a lock must see what other processes wrote before it).
   */
  #prefetched?: { found: Map<string, string> | null; epoch: number };

  constructor(options: SecretServiceOptions) {
    this.#spawn = options.spawn;
    this.#clock = options.clock;
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

  /**
   * Every pup item's value by account, from one `secret-tool search --all service pup`; null
   * when the answer cannot be trusted whole (an item without its secret: a locked collection).
   * Accounts absent from the map are not stored.
   */
  async getMany(_accounts: readonly string[]): Promise<Map<string, string> | null> {
    const first = this.#prefetched;
    this.#prefetched = undefined;
    if (first?.found && first.epoch === lockEpoch) return first.found;
    // A search fails when an item it listed is removed before its secret is read (another pup
    // writing): ask again, then leave it to item-by-item reads, which report real failures.
    for (let attempt = 1; attempt <= 3; attempt++) {
      const r = await this.#searchOnce(this.timeoutMs);
      if (r.code === 0) return parseSearch(r.stdout, r.stderr);
    }
    return null;
  }

  #searchOnce(timeoutMs: number): Promise<SpawnResult> {
    return this.#run(["search", "--all", "service", SERVICE], "", timeoutMs);
  }

  /** Whether the Secret Service answers at all. */
  async available(): Promise<boolean> {
    return (await this.probe()) === null;
  }

  /**
   * Null when the Secret Service answers, else why not. Without `secret-tool` on PATH or a
   * session bus this returns at once, spawning nothing. Otherwise it searches pup's items (the
   * answer serves the first read); when there are none it stores and removes a probe item,
   * because a search succeeds even with no collection to write to. Asked once per instance.
   */
  probe(): Promise<string | null> {
    this.#probe ??= this.#checkAvailable();
    return this.#probe;
  }

  /** The same as {@link probe} (the name the other back ends share). */
  unavailableReason(): Promise<string | null> {
    return this.probe();
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
      let r = await this.#searchOnce(this.probeTimeoutMs);
      // "No such secret item": another pup removed an item mid-search. Ask once more.
      if (r.code !== 0 && /No such secret item/.test(r.stderr)) {
        r = await this.#searchOnce(this.probeTimeoutMs);
      }
      if (r.code !== 0) return describeExit(r);
      const found = parseSearch(r.stdout, r.stderr);
      this.#prefetched = { found, epoch: lockEpoch };
      if (found === null || found.size > 0) return null;
      return await this.#probeWrite();
    } catch (err) {
      return err instanceof PupError ? err.message : String(err);
    }
  }

  /** Stores, then removes, a probe item: no item is left behind either way. */
  async #probeWrite(): Promise<string | null> {
    const args = attributes(PROBE_ACCOUNT);
    const stored = await this.#run(
      ["store", "--label=pup: keychain probe", ...args],
      "1",
      this.probeTimeoutMs,
    );
    await this.#run(["clear", ...args], "", this.probeTimeoutMs).catch(() => undefined);
    return stored.code === 0 && stored.stderr.trim() === "" ? null : describeExit(stored);
  }

  #run(args: string[], stdin: string, timeoutMs: number): Promise<SpawnResult> {
    return runTool({ spawn: this.#spawn, clock: this.#clock ?? SPAWNER_TIMEOUT_ONLY }, {
      keychain: this.name,
      program: this.program,
      args,
      stdin,
      timeoutMs,
      what: `${this.program} ${args[0]}`,
      hint: HINT,
      missingHint: MISSING_HINT,
    });
  }

  #failure(action: string, account: string, r: SpawnResult): PupError {
    return new PupError(
      "keychain",
      `could not ${action} keychain item "${account}" (service "${SERVICE}") with ${this.program}: ${
        describeExit(r)
      }`,
      { hint: HINT },
    );
  }
}

function attributes(account: string): string[] {
  return ["service", SERVICE, "account", checkAccount(account)];
}

/**
 * Parses `secret-tool search --all service pup`. Each item prints a block on stdout —
 * `[/object/path]`, `label = …`, `secret = …`, `created = …`, `modified = …`, `schema = …` —
 * and its `attribute.<name> = <value>` lines on **stderr** (measured with libsecret 0.20), in
 * the same item order. So the n-th `attribute.account` line of stderr names the n-th block; the
 * label pup writes (`pup: <account>`) must agree. The secret runs from `secret = ` to the last
 * `created = ` line of its block, so a value may hold any text without a raw newline followed
 * by `[/`. Null when the answer cannot be trusted whole: a block without a secret (a locked
 * collection), or blocks and account lines that do not pair up.
 *
 * @example
 * parseSearch("[/1]\nlabel = pup: a\nsecret = {}\ncreated = x\n", "attribute.account = a\n");
 * // Map { "a" => "{}" }
 */
export function parseSearch(stdout: string, stderr: string): Map<string, string> | null {
  const blocks = stdout.split(/^(?=\[\/[^\n]*\]$)/m).filter((b) => b.startsWith("[/"));
  const accounts = [...stderr.matchAll(/^attribute\.account = (.*)$/gm)].map((m) => m[1]);
  if (accounts.length !== blocks.length) return null;
  const found = new Map<string, string>();
  for (const [i, block] of blocks.entries()) {
    const secretAt = block.indexOf("\nsecret = ");
    const createdAt = block.lastIndexOf("\ncreated = ");
    if (secretAt < 0 || createdAt < secretAt) return null;
    const label = /^label = (.*)$/m.exec(block.slice(0, secretAt))?.[1] ?? "";
    if (label.startsWith("pup: state_") && label !== `pup: ${accounts[i]}`) return null;
    found.set(accounts[i], block.slice(secretAt + "\nsecret = ".length, createdAt));
  }
  return found;
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
