/**
 * @module
 * Windows Credential Manager (KEYCHAINS.md §3.3) as a {@link SecretStore}, through PowerShell
 * running the fixed script of `keychain_windows_script.ts` (the protocol is described there).
 * Secrets travel only on the script's stdin and stdout — never in argv, and never in the script
 * text, which Script Block Logging (event 4104) would record.
 *
 * Credentials are `CRED_TYPE_GENERIC`, target `pup:<account>` (case-insensitive, as every
 * TargetName), user name `<account>`, `CRED_PERSIST_LOCAL_MACHINE`, the value's UTF-8 bytes
 * as the blob. Blobs may hold 2,560 bytes; CONTRACT §7 shards at 1,000.
 *
 * Starting PowerShell and compiling the C# costs about a second, so calls made together —
 * `readSharded` asks for every chunk at once — are sent to one PowerShell process.
 */
import { Buffer } from "node:buffer";
import { PupError } from "../errors.ts";
import type { Clock } from "../deps.ts";
import type { Spawner } from "../runtime/spawn.ts";
import { checkAccount, runTool, SPAWNER_TIMEOUT_ONLY, summarizeStderr } from "./keychain_tool.ts";
import { encodePowerShell, WINCRED_EXIT, WINCRED_SCRIPT } from "./keychain_windows_script.ts";
import { checkValueSize, type SecretStore } from "./secret_store.ts";

/** The largest value stored whole (CONTRACT §7: Windows always shards at 1,000 bytes). */
export const WINDOWS_MAX_VALUE_BYTES = 1000;
/** `CRED_MAX_CREDENTIAL_BLOB_SIZE` = 5 × 512. */
export const WINDOWS_BLOB_LIMIT = 2560;

const ERROR_NOT_FOUND = 1168;
const ERROR_NO_SUCH_LOGON_SESSION = 1312;
const PROBE_ACCOUNT = "__pup_probe__";
const HINT = "set DD_TOKEN_STORAGE=file to store tokens in files";

/** How to reach PowerShell. */
export interface WindowsCredentialManagerOptions {
  /** Runs programs (`deps.spawn`). */
  spawn: Spawner;
  /** Timers (`deps.clock`). */
  clock?: Clock;
  /** `powershell.exe` (default, always on Windows), `pwsh`, or a path. */
  program?: string;
  /** Kill one PowerShell process after this long. Default 20 s (start-up plus compile). */
  timeoutMs?: number;
  /** Time allowed for the {@link WindowsCredentialManager.available} probe. Default 15 s. */
  probeTimeoutMs?: number;
}

interface Pending {
  line: string;
  resolve(answer: string): void;
  reject(err: unknown): void;
}

/**
 * Windows Credential Manager as a {@link SecretStore}.
 *
 * @example
 * const store = new WindowsCredentialManager({ spawn: deps.spawn });
 * await store.set("state_datadoghq.com", json); // target "pup:state_datadoghq.com"
 */
export class WindowsCredentialManager implements SecretStore {
  readonly name = "Windows Credential Manager";
  readonly maxValueBytes = WINDOWS_MAX_VALUE_BYTES;
  /** Calls made in the same tick share one PowerShell process (see `readSharded`). */
  readonly batchesCalls = true;
  readonly program: string;
  readonly timeoutMs: number;
  readonly probeTimeoutMs: number;
  #spawn: Spawner;
  #clock: Clock;
  #pending: Pending[] = [];
  #probe?: Promise<string | null>;

  constructor(options: WindowsCredentialManagerOptions) {
    this.#spawn = options.spawn;
    this.#clock = options.clock ?? SPAWNER_TIMEOUT_ONLY;
    this.program = options.program ?? "powershell.exe";
    this.timeoutMs = options.timeoutMs ?? 20_000;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 15_000;
  }

  async get(account: string): Promise<string | null> {
    return this.#decodeGet(account, await this.#request(`get ${wincredAccount(account)}`));
  }

  /** The values of `accounts` from one PowerShell process; absent accounts are not in the map. */
  async getMany(accounts: readonly string[]): Promise<Map<string, string>> {
    const lines = accounts.map((a) => `get ${wincredAccount(a)}`);
    const answers = await this.#send(lines, this.timeoutMs);
    const found = new Map<string, string>();
    accounts.forEach((account, i) => {
      const value = this.#decodeGet(account, answers[i]);
      if (value !== null) found.set(account, value);
    });
    return found;
  }

  #decodeGet(account: string, answer: string): string | null {
    const [code, blob] = answer.split(" ");
    if (code === "0") {
      try {
        return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(blob ?? "", "base64"));
      } catch (err) {
        throw new PupError(
          "corrupt_file",
          `credential "pup:${account}" should hold UTF-8 text, found other bytes`,
          { cause: err, hint: "run 'pup auth logout' to remove it, then 'pup auth login' again" },
        );
      }
    }
    if (Number(code) === ERROR_NOT_FOUND) return null;
    throw this.#failure("CredReadW", account, code);
  }

  async set(account: string, value: string): Promise<void> {
    checkValueSize(this, account, value);
    const blob = Buffer.from(value, "utf8");
    const code = await this.#request(`set ${wincredAccount(account)} ${blob.toString("base64")}`);
    if (code !== "0") throw this.#failure("CredWriteW", account, code);
  }

  async delete(account: string): Promise<boolean> {
    const code = await this.#request(`del ${wincredAccount(account)}`);
    if (code === "0") return true;
    if (Number(code) === ERROR_NOT_FOUND) return false;
    throw this.#failure("CredDeleteW", account, code);
  }

  async available(): Promise<boolean> {
    return (await this.unavailableReason()) === null;
  }

  /**
   * The checks that spawn nothing: none (PowerShell 5.1 ships with Windows; a missing one shows
   * at the first call as `keychain_unavailable`).
   */
  precheck(): string | null {
    return null;
  }

  /**
   * Null when Credential Manager answers (reading a probe credential finds it or reports
   * ERROR_NOT_FOUND), else why not — e.g. an SSH or WinRM logon, which has no credential set.
   * Asked once per instance.
   */
  probe(): Promise<string | null> {
    this.#probe ??= this.#send([`get ${PROBE_ACCOUNT}`], this.probeTimeoutMs).then(
      ([answer]) => {
        const code = Number(answer.split(" ")[0]);
        if (code === 0 || code === ERROR_NOT_FOUND) return null;
        return this.#failure("CredReadW", PROBE_ACCOUNT, String(code)).message;
      },
      (err: unknown) => err instanceof PupError ? err.message : String(err),
    );
    return this.#probe;
  }

  /** The same as {@link probe}. */
  unavailableReason(): Promise<string | null> {
    return this.probe();
  }

  /** Queues a request; requests made in the same tick share one PowerShell process. */
  #request(line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ line, resolve, reject });
      if (this.#pending.length > 1) return;
      queueMicrotask(() => {
        const batch = this.#pending;
        this.#pending = [];
        this.#send(batch.map((p) => p.line), this.timeoutMs).then(
          (answers) => batch.forEach((p, i) => p.resolve(answers[i])),
          (err) => batch.forEach((p) => p.reject(err)),
        );
      });
    });
  }

  /** Runs the script once over `lines`; resolves one answer per line. */
  async #send(lines: string[], timeoutMs: number): Promise<string[]> {
    const r = await runTool({ spawn: this.#spawn, clock: this.#clock }, {
      keychain: this.name,
      program: this.program,
      args: ["-NoProfile", "-NonInteractive", "-EncodedCommand", encodePowerShell(WINCRED_SCRIPT)],
      stdin: lines.map((l) => l + "\n").join(""),
      timeoutMs,
      what: `${this.program} (Credential Manager)`,
      hint: HINT,
    });
    if (r.code === WINCRED_EXIT.addTypeFailed) {
      throw new PupError(
        "keychain_unavailable",
        `cannot use ${this.name}: PowerShell could not compile its Credential Manager calls (${
          summarizeStderr(r.stderr)
        }); Constrained Language Mode blocks Add-Type`,
        { hint: HINT },
      );
    }
    const answers = r.stdout.split(/\r?\n/).filter((l) => l !== "");
    if (r.code !== WINCRED_EXIT.ok || answers.length !== lines.length) {
      throw new PupError(
        "keychain",
        `${this.program} failed: expected exit 0 and ${lines.length} answers, found exit ${r.code} and ${answers.length}: ${
          summarizeStderr(r.stderr)
        }`,
        { hint: HINT },
      );
    }
    return answers;
  }

  #failure(call: string, account: string, code: string | undefined): PupError {
    if (Number(code) === ERROR_NO_SUCH_LOGON_SESSION) {
      return new PupError(
        "keychain_unavailable",
        `cannot use ${this.name}: ${call} failed with ERROR_NO_SUCH_LOGON_SESSION (1312); this logon session (SSH, WinRM, a service) has no credential set`,
        { hint: HINT },
      );
    }
    return new PupError(
      "keychain",
      `${call} failed for credential "pup:${account}": expected success, found Win32 error ${code}`,
      { hint: HINT },
    );
  }
}

function wincredAccount(account: string): string {
  // One word of the protocol: printable ASCII without spaces.
  return checkAccount(account, { noSpaces: true });
}
