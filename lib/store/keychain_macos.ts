/**
 * @module
 * The macOS login keychain through `security` (KEYCHAINS.md §3.1). Every command goes to
 * `security -i` on stdin, one command per process, so the secret never appears in argv (`ps`)
 * and the exit status is that command's: `-i` exits with the status of its LAST command, and
 * a second line — even an empty one — could hide a failure (go-keyring#153).
 *
 * `security -i` reads a line with `readline(buffer, 4096)`: at most 4,095 bytes. A longer
 * line is cut, the cut part runs (storing a truncated value) and the rest runs as another
 * command (go-keyring#84). So {@link MAC_MAX_VALUE_BYTES} leaves room for base64 growth, the
 * command and the account, and every line is measured before it is sent.
 *
 * Values are stored base64-encoded behind `pup-base64:`: `find-generic-password -w` prints a
 * value with any unprintable byte as hex, which would not read back as written.
 */
import { Buffer } from "node:buffer";
import { PupError } from "../errors.ts";
import type { Spawner, SpawnResult } from "../runtime/spawn.ts";
import { checkValueSize, type SecretStore, SERVICE } from "./secret_store.ts";

/** The longest command line, newline included, that `security -i` reads in one piece. */
export const MAC_LINE_LIMIT = 4095;
/**
 * The largest value stored whole. Base64 makes 2,500 bytes 3,336 characters; with the command
 * (~60 bytes) and an account of up to ~340 bytes written twice (account and label) a line
 * stays below {@link MAC_LINE_LIMIT}. Larger values are sharded.
 */
export const MAC_MAX_VALUE_BYTES = 2500;
/** Marks a stored value as base64 (go-keyring uses `go-keyring-base64:` the same way). */
export const MAC_VALUE_PREFIX = "pup-base64:";

const EXIT_NOT_FOUND = 44; // errSecItemNotFound (-25300) & 0xff
const PROBE_ACCOUNT = "__pup_probe__";
const HINT = "unlock the login keychain (security unlock-keychain), " +
  "or set DD_TOKEN_STORAGE=file to store tokens in files";

/** How to reach `security`. */
export interface MacKeychainOptions {
  /** Runs programs (`deps.spawn`). */
  spawn: Spawner;
  /** The program, looked up on PATH unless it is a path. Default `security`. */
  program?: string;
  /** Kill a call after this long (a locked keychain can wait for a prompt). Default 10 s. */
  timeoutMs?: number;
  /** Time allowed for the {@link MacKeychain.available} probe. Default 3 s. */
  probeTimeoutMs?: number;
}

/**
 * The macOS Keychain as a {@link SecretStore}.
 *
 * @example
 * const store = new MacKeychain({ spawn: deps.spawn });
 * await store.set("state_datadoghq.com", json);
 */
export class MacKeychain implements SecretStore {
  readonly name = "macOS Keychain";
  readonly maxValueBytes = MAC_MAX_VALUE_BYTES;
  readonly program: string;
  readonly timeoutMs: number;
  readonly probeTimeoutMs: number;
  #spawn: Spawner;
  #probe?: Promise<string | null>;

  constructor(options: MacKeychainOptions) {
    this.#spawn = options.spawn;
    this.program = options.program ?? "security";
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 3_000;
  }

  async get(account: string): Promise<string | null> {
    const r = await this.#run(
      "find-generic-password",
      ["-s", SERVICE, "-a", checkAccount(account), "-w"],
      this.timeoutMs,
    );
    if (r.code === EXIT_NOT_FOUND) return null;
    if (r.code !== 0) throw this.#failure("read", account, r);
    return decodeMacValue(r.stdout, account);
  }

  async set(account: string, value: string): Promise<void> {
    checkValueSize(this, account, value);
    const encoded = MAC_VALUE_PREFIX + Buffer.from(value, "utf8").toString("base64");
    const r = await this.#run(
      "add-generic-password",
      ["-U", "-s", SERVICE, "-a", checkAccount(account), "-l", `pup: ${account}`, "-w", encoded],
      this.timeoutMs,
    );
    if (r.code !== 0) throw this.#failure("write", account, r);
  }

  async delete(account: string): Promise<boolean> {
    const r = await this.#run(
      "delete-generic-password",
      ["-s", SERVICE, "-a", checkAccount(account)],
      this.timeoutMs,
    );
    if (r.code === EXIT_NOT_FOUND) return false;
    if (r.code !== 0) throw this.#failure("delete", account, r);
    return true;
  }

  async available(): Promise<boolean> {
    return (await this.unavailableReason()) === null;
  }

  /** The checks that spawn nothing: none on macOS, where `security` is part of the system. */
  precheck(): string | null {
    return null;
  }

  /**
   * Null when the keychain answers (a lookup of a probe item finds it or reports "not found"),
   * else why not. Asked once per instance.
   */
  unavailableReason(): Promise<string | null> {
    this.#probe ??= this.#run(
      "find-generic-password",
      ["-s", SERVICE, "-a", PROBE_ACCOUNT],
      this.probeTimeoutMs,
    ).then(
      (r) =>
        r.code === 0 || r.code === EXIT_NOT_FOUND
          ? null
          : `${this.program} failed (exit ${r.code}): ${summarize(r.stderr)}`,
      (err: unknown) => err instanceof PupError ? err.message : String(err),
    );
    return this.#probe;
  }

  /** Sends one command line to `security -i`. */
  async #run(command: string, args: string[], timeoutMs: number): Promise<SpawnResult> {
    const line = macCommandLine(command, args);
    const bytes = Buffer.byteLength(line, "utf8");
    if (bytes > MAC_LINE_LIMIT) {
      throw new PupError(
        "keychain",
        `cannot send ${command} to ${this.program} -i: expected a command line of at most ${MAC_LINE_LIMIT} bytes, found ${bytes}`,
        { hint: "use a shorter site name, or set DD_TOKEN_STORAGE=file to store tokens in files" },
      );
    }
    let r: SpawnResult;
    try {
      r = await this.#spawn(this.program, ["-i"], { stdin: line, timeoutMs });
    } catch (err) {
      if ((err as { code?: string }).code === "ENOENT") {
        throw new PupError(
          "keychain_unavailable",
          `cannot use the ${this.name}: expected the program "${this.program}" on PATH, found none`,
          { cause: err, hint: "set DD_TOKEN_STORAGE=file to store tokens in files" },
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
        `the ${this.name} did not answer ${command} within ${
          timeoutMs / 1000
        } s (timed out); is the keychain locked?`,
        { hint: HINT },
      );
    }
    return r;
  }

  #failure(action: string, account: string, r: SpawnResult): PupError {
    return new PupError(
      "keychain",
      `could not ${action} keychain item "${account}" (service "${SERVICE}") with ${this.program}: expected exit 0, found exit ${r.code}: ${
        summarize(r.stderr)
      }`,
      { hint: HINT },
    );
  }
}

/**
 * One `security -i` command line, newline included. Arguments are quoted the way
 * `split_line()` in `security_tool.c` reads them: a `"` at the start of an argument runs to
 * the next unescaped `"`, and a backslash escapes the character after it (even inside quotes,
 * so the POSIX `'"'"'` trick does not work here).
 *
 * @example
 * macCommandLine("delete-generic-password", ["-s", "pup", "-a", "a b"]);
 * // 'delete-generic-password -s pup -a "a b"\n'
 */
export function macCommandLine(command: string, args: string[]): string {
  return [command, ...args].map(quoteMacArg).join(" ") + "\n";
}

function quoteMacArg(arg: string): string {
  if (/[\n\0]/.test(arg)) {
    // readline() ends the command at a newline; a NUL ends the C string.
    throw new PupError("keychain", "cannot pass a newline or NUL to security -i");
  }
  if (/^[A-Za-z0-9@%+=:,./_-]+$/.test(arg)) return arg;
  return `"${arg.replace(/[\\"]/g, "\\$&")}"`;
}

/**
 * Decodes what `find-generic-password -w` printed: one trailing newline dropped, then the
 * base64 behind {@link MAC_VALUE_PREFIX}; a value without the prefix is returned as printed.
 */
export function decodeMacValue(printed: string, account: string): string {
  const text = printed.endsWith("\n") ? printed.slice(0, -1) : printed;
  if (!text.startsWith(MAC_VALUE_PREFIX)) return text;
  const b64 = text.slice(MAC_VALUE_PREFIX.length);
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b64)) {
    throw new PupError(
      "corrupt_file",
      `keychain item "${account}" (service "${SERVICE}") should hold base64 after "${MAC_VALUE_PREFIX}", found ${b64.length} characters that are not base64`,
      { hint: "run 'pup auth logout' to remove it, then 'pup auth login' again" },
    );
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(b64, "base64"));
  } catch (err) {
    throw new PupError(
      "corrupt_file",
      `keychain item "${account}" (service "${SERVICE}") should hold UTF-8 text, found other bytes`,
      { cause: err, hint: "run 'pup auth logout' to remove it, then 'pup auth login' again" },
    );
  }
}

function checkAccount(account: string): string {
  if (account === "" || /[^ -~\u0080-\uFFFF]/.test(account)) {
    // An empty account is a wildcard on macOS (KEYCHAINS.md §3.1).
    throw new PupError("keychain", `invalid keychain account ${JSON.stringify(account)}`);
  }
  return account;
}

/**
 * The first line of stderr, bounded, with anything that looks like a piece of base64 removed
 * (a cut command line would echo part of the value in "unknown command").
 */
function summarize(stderr: string): string {
  const text = stderr.replace(/[A-Za-z0-9+/=]{24,}/g, "[redacted]");
  const line = text.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? "no message";
  return line.length > 200 ? line.slice(0, 200) + "…" : line;
}
