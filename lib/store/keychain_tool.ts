/**
 * @module
 * The one way the keychain back ends run their tool (`security`, `secret-tool`, PowerShell):
 * spawn with a timeout on `deps.clock` (so tests drive it on the fake clock), a missing program
 * → `keychain_unavailable`, a call past its timeout → `keychain_timeout`, and stderr reduced to
 * one bounded, redacted line before it reaches a message. Accounts are checked here too.
 */
import type { Clock } from "../deps.ts";
import { PupError } from "../errors.ts";
import type { Spawner, SpawnResult } from "../runtime/spawn.ts";

/** What running a keychain tool needs. */
export interface ToolDeps {
  spawn: Spawner;
  clock: Clock;
}

/** One run of a keychain tool. */
export interface ToolCall {
  /** The keychain's human name, e.g. `Secret Service`. */
  keychain: string;
  program: string;
  args: string[];
  /** Written to the tool's stdin (secrets travel only here, never in argv). */
  stdin: string;
  timeoutMs: number;
  /** What the call does, for messages: e.g. `secret-tool lookup`. */
  what: string;
  /** What to do when the tool is missing or does not answer. */
  hint: string;
  /** What to do when the program is missing (default `hint`). */
  missingHint?: string;
}

/**
 * Runs a keychain tool. Resolves with what it left (any exit code); rejects with
 * `keychain_unavailable` when the program does not exist and `keychain_timeout` when it runs
 * past `timeoutMs` (the spawner kills it then too).
 *
 * @example
 * const r = await runTool(deps, { keychain: "Secret Service", program: "secret-tool",
 *   args: ["lookup", "service", "pup", "account", "a"], stdin: "", timeoutMs: 10_000,
 *   what: "secret-tool lookup", hint: "set DD_TOKEN_STORAGE=file" });
 */
export async function runTool(deps: ToolDeps, call: ToolCall): Promise<SpawnResult> {
  const stop = new AbortController();
  const timedOut = deps.clock.sleep(call.timeoutMs, stop.signal).then(
    () => "timeout" as const,
    () => "cancelled" as const,
  );
  const run = deps.spawn(call.program, call.args, {
    stdin: call.stdin,
    timeoutMs: call.timeoutMs,
  });
  run.catch(() => {}); // when the timeout wins, a later rejection is no one's business
  let r: SpawnResult | "timeout" | "cancelled";
  try {
    r = await Promise.race([run, timedOut]);
  } catch (err) {
    throw spawnFailure(call, err);
  } finally {
    stop.abort();
  }
  if (r === "timeout" || r === "cancelled" || r.timedOut) {
    throw new PupError(
      "keychain_timeout",
      `the ${call.keychain} did not answer "${call.what}" within ${
        call.timeoutMs / 1000
      } s (timed out); is it locked?`,
      { hint: call.hint },
    );
  }
  return r;
}

function spawnFailure(call: ToolCall, err: unknown): PupError {
  if ((err as { code?: string }).code === "ENOENT") {
    return new PupError(
      "keychain_unavailable",
      `cannot use the ${call.keychain}: expected the program "${call.program}", found none`,
      { cause: err, hint: call.missingHint ?? call.hint },
    );
  }
  return new PupError(
    "keychain",
    `cannot run "${call.program}": ${summarizeStderr((err as Error).message ?? String(err))}`,
    { cause: err, hint: call.hint },
  );
}

/**
 * The first non-empty line of a tool's stderr, for a message: control characters removed,
 * anything that looks like a piece of base64 or a token (24+ such characters, a digit among
 * them — a path such as `/org/freedesktop/secrets/collection/login` stays) redacted, since a
 * tool may echo part of what it was given, and at most 200 characters.
 *
 * @example
 * summarizeStderr("security: unknown command cHVwLWJhc2U2NDpleUowYjJ0bGJuTWlP\n");
 * // "security: unknown command [redacted]"
 */
export function summarizeStderr(stderr: string): string {
  const line = stderr.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== "") ??
    "no message";
  // deno-lint-ignore no-control-regex
  const clean = line.replace(/[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g, "")
    .replace(/[A-Za-z0-9+/=_-]{24,}/g, (run) => /\d/.test(run) ? "[redacted]" : run);
  return clean.length > 200 ? clean.slice(0, 200) + "…" : clean;
}

/** "expected exit 0, found exit N: <stderr summary>". */
export function describeExit(r: SpawnResult): string {
  return `expected exit 0, found exit ${r.code}: ${summarizeStderr(r.stderr)}`;
}

/**
 * Checks an account name before it reaches a tool: non-empty (an empty account is a wildcard
 * on macOS) and printable; with `noSpaces`, printable ASCII without spaces (one protocol word).
 */
export function checkAccount(account: string, options: { noSpaces?: boolean } = {}): string {
  const bad = options.noSpaces
    ? !/^[\x21-\x7e]+$/.test(account)
    : account === "" || /[^ -~\u0080-\uFFFF]/.test(account);
  if (bad) throw new PupError("keychain", `invalid keychain account ${JSON.stringify(account)}`);
  return account;
}

/**
 * A clock whose timers never fire: for a back end built without `deps.clock`, the spawner's own
 * `timeoutMs` (which kills the program) is then the only timeout.
 */
export const SPAWNER_TIMEOUT_ONLY: Clock = {
  now: () => 0,
  sleep: (_ms, signal) =>
    new Promise((_resolve, reject) => {
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
    }),
  timeout: () => new AbortController().signal,
};
