/**
 * @module
 * The macOS login keychain through `security` (KEYCHAINS.md §3.1). Every command goes to
 * `security -i` on stdin, so the secret never appears in argv (`ps`). `-i` exits with the
 * status of its LAST command (go-keyring#153), so a session of one command is judged by its
 * exit status, and a session of many — the look-ups of `getMany`, the writes of `setMany` and
 * of `set` calls made in the same tick (`writeSharded` writes its chunks together) — by what
 * it printed: every failing command reports itself on stderr (`<command>: returned <n>`), and
 * a write session that printed anything on stderr failed.
 *
 * How a command line is written, measured and its value encoded: `keychain_macos_lines.ts`.
 */
import type { Clock } from "../deps.ts";
import { PupError } from "../errors.ts";
import type { Spawner, SpawnResult } from "../runtime/spawn.ts";
import { checkAccount, runTool, SPAWNER_TIMEOUT_ONLY, summarizeStderr } from "./keychain_tool.ts";
import { checkValueSize, type SecretStore, SERVICE } from "./secret_store.ts";
import {
  checkMacLine,
  decodeMacValue,
  MAC_MAX_VALUE_BYTES,
  macAddLine,
  macCommandLine,
  macFindLine,
} from "./keychain_macos_lines.ts";

/** The system's `security` (never looked up on PATH). */
export const MAC_SECURITY = "/usr/bin/security";

const EXIT_NOT_FOUND = 44; // errSecItemNotFound (-25300) & 0xff
const PROBE_ACCOUNT = "__pup_probe__";
const HINT = "unlock the login keychain (security unlock-keychain), " +
  "or set DD_TOKEN_STORAGE=file to store tokens in files";

/** How to reach `security`. */
export interface MacKeychainOptions {
  /** Runs programs (`deps.spawn`). */
  spawn: Spawner;
  /** Timers (`deps.clock`). */
  clock?: Clock;
  /** The program: `/usr/bin/security`; tests pass their fake. */
  program?: string;
  /** Kill a call after this long (a locked keychain can wait for a prompt). Default 10 s. */
  timeoutMs?: number;
  /** Time allowed for the probe. Default 3 s. */
  probeTimeoutMs?: number;
}

/**
 * The macOS Keychain as a {@link SecretStore}. `getMany` runs every look-up in one
 * `security -i` session, `setMany` every write; `set` calls made in the same tick share one.
 *
 * @example
 * const store = new MacKeychain({ spawn: deps.spawn, clock: deps.clock });
 * await store.set("state_datadoghq.com", json);
 */
export class MacKeychain implements SecretStore {
  readonly name = "macOS Keychain";
  readonly maxValueBytes = MAC_MAX_VALUE_BYTES;
  readonly program: string;
  readonly timeoutMs: number;
  readonly probeTimeoutMs: number;
  #spawn: Spawner;
  #clock: Clock;
  #probe?: Promise<string | null>;
  #pendingWrites: PendingWrite[] = [];

  constructor(options: MacKeychainOptions) {
    this.#spawn = options.spawn;
    this.#clock = options.clock ?? SPAWNER_TIMEOUT_ONLY;
    this.program = options.program ?? MAC_SECURITY;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 3_000;
  }

  async get(account: string): Promise<string | null> {
    const r = await this.#run([macFindLine(account)], this.timeoutMs);
    if (r.code === EXIT_NOT_FOUND) return null;
    if (r.code !== 0) throw this.#failure("read", account, r);
    return decodeMacValue(r.stdout, account);
  }

  /**
   * The values of `accounts`, looked up in one `security -i` session; absent accounts are
   * missing from the map. Null when the answer cannot be attributed line by line (a value in an
   * older format, or a failure other than "not found"): the caller then asks item by item.
   */
  async getMany(accounts: readonly string[]): Promise<Map<string, string> | null> {
    const r = await this.#run(accounts.map(macFindLine), this.timeoutMs);
    const errors = r.stderr.split("\n").filter((l) => l.trim() !== "");
    // Each miss prints "… could not be found …" and "find-generic-password: returned 44".
    if (errors.some((l) => !/could not be found|returned 44$/.test(l))) return null;
    const found = new Map<string, string>();
    for (const line of r.stdout.split("\n").filter((l) => l !== "")) {
      const m = /^pup-item:([^:\s]+):/.exec(line);
      if (!m || !accounts.includes(m[1])) return null;
      found.set(m[1], decodeMacValue(line, m[1]));
    }
    return found;
  }

  /** Creates or replaces an item; calls made in the same tick share one `security -i`. */
  set(account: string, value: string): Promise<void> {
    let line: string;
    try {
      line = this.#addLine(account, value);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      this.#pendingWrites.push({ account, line, resolve, reject });
      if (this.#pendingWrites.length > 1) return;
      queueMicrotask(() => {
        const batch = this.#pendingWrites;
        this.#pendingWrites = [];
        this.#write(batch).then(
          () => batch.forEach((p) => p.resolve()),
          (err) => batch.forEach((p) => p.reject(err)),
        );
      });
    });
  }

  /**
   * Stores every entry with one `security -i` session; rejects if any write failed. Every
   * line is checked before anything runs.
   */
  async setMany(entries: readonly (readonly [account: string, value: string])[]): Promise<void> {
    const writes = entries.map(([account, value]) => ({
      account,
      line: this.#addLine(account, value),
    }));
    if (writes.length > 0) await this.#write(writes);
  }

  /** The `add-generic-password` line of a value, checked against every limit. */
  #addLine(account: string, value: string): string {
    checkValueSize(this, account, value);
    const line = macAddLine(account, value);
    checkMacLine(line, this.program);
    return line;
  }

  /**
   * Runs add lines in one session. One line: its exit status decides. Many: `-i` reports only
   * the last status, so a session that exits non-zero or prints anything on stderr (each failed
   * command prints `add-generic-password: returned <n>`) failed as a whole.
   */
  async #write(writes: readonly { account: string; line: string }[]): Promise<void> {
    const r = await this.#run(writes.map((w) => w.line), this.timeoutMs);
    if (writes.length === 1) {
      if (r.code !== 0) throw this.#failure("write", writes[0].account, r);
      return;
    }
    if (r.code !== 0 || r.stderr.trim() !== "") {
      throw this.#failure("write", writes.map((w) => w.account), r);
    }
  }

  async delete(account: string): Promise<boolean> {
    const line = macCommandLine(
      "delete-generic-password",
      ["-s", SERVICE, "-a", checkAccount(account)],
    );
    const r = await this.#run([line], this.timeoutMs);
    if (r.code === EXIT_NOT_FOUND) return false;
    if (r.code !== 0) throw this.#failure("delete", account, r);
    return true;
  }

  async available(): Promise<boolean> {
    return (await this.probe()) === null;
  }

  /** The checks that spawn nothing: none on macOS, where `security` is part of the system. */
  precheck(): string | null {
    return null;
  }

  /**
   * Null when the keychain answers (a lookup of a probe item finds it or reports "not found"),
   * else why not. Nothing is written. Asked once per instance.
   */
  probe(): Promise<string | null> {
    this.#probe ??= this.#run(
      [macCommandLine("find-generic-password", ["-s", SERVICE, "-a", PROBE_ACCOUNT])],
      this.probeTimeoutMs,
    ).then(
      (r) =>
        r.code === 0 || r.code === EXIT_NOT_FOUND
          ? null
          : `${this.program} failed (exit ${r.code}): ${summarizeStderr(r.stderr)}`,
      (err: unknown) => err instanceof PupError ? err.message : String(err),
    );
    return this.#probe;
  }

  /** The same as {@link probe}. */
  unavailableReason(): Promise<string | null> {
    return this.probe();
  }

  /**
   * Sends command lines to one `security -i`. With one line its status is that command's; with
   * more, `-i` exits with the last one's, so callers of many lines read stdout and stderr instead.
   */
  #run(lines: string[], timeoutMs: number): Promise<SpawnResult> {
    for (const line of lines) checkMacLine(line, this.program);
    return runTool({ spawn: this.#spawn, clock: this.#clock }, {
      keychain: this.name,
      program: this.program,
      args: ["-i"],
      stdin: lines.join(""),
      timeoutMs,
      what: `security ${lines.length === 1 ? lines[0].split(" ")[0] : "-i"}`,
      hint: HINT,
      missingHint: "set DD_TOKEN_STORAGE=file to store tokens in files",
    });
  }

  #failure(action: string, account: string | readonly string[], r: SpawnResult): PupError {
    const names = typeof account === "string" ? [] : account.map((a) => `"${a}"`);
    const what = typeof account === "string"
      ? `keychain item "${account}"`
      : `${names.length} keychain items (${
        names.length > 3 ? [...names.slice(0, 3), "…"].join(", ") : names.join(", ")
      }) in one session`;
    const expected = typeof account === "string" ? "exit 0" : "exit 0 and nothing on stderr";
    return new PupError(
      "keychain",
      `could not ${action} ${what} (service "${SERVICE}") with ${this.program}: expected ${expected}, found exit ${r.code}: ${
        summarizeStderr(r.stderr)
      }`,
      { hint: HINT },
    );
  }
}

/** A `set` waiting for the calls made in the same tick. */
interface PendingWrite {
  account: string;
  line: string;
  resolve(): void;
  reject(err: unknown): void;
}
