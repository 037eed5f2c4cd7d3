/**
 * @module
 * The one error class pup raises on purpose, and the exit codes of CONTRACT §9.
 * Messages start lower-case, say what was expected and what was found, and never contain a
 * token, secret or authorization code.
 */

/** Exit codes (CONTRACT §9). */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  auth: 4,
} as const;

/** A stable, documented reason for a failure; callers `switch` on it. */
export type ErrorCode =
  | "usage"
  | "config"
  | "invalid_site"
  | "untrusted_site"
  | "not_authenticated"
  | "token_expired"
  | "callback_timeout"
  | "state_mismatch"
  | "authorization_denied"
  | "port_unavailable"
  | "oauth_http"
  | "network"
  | "invalid_client"
  | "invalid_scope"
  | "storage"
  | "unsafe_file"
  | "keychain_timeout"
  | "corrupt_file"
  | "keychain"
  | "keychain_unavailable"
  | "lock_timeout"
  | "api"
  | "device_unsupported";

const exitFor: Record<ErrorCode, number> = {
  usage: ExitCode.usage,
  config: ExitCode.usage,
  invalid_site: ExitCode.usage,
  untrusted_site: ExitCode.usage,
  not_authenticated: ExitCode.auth,
  token_expired: ExitCode.auth,
  callback_timeout: ExitCode.auth,
  state_mismatch: ExitCode.auth,
  authorization_denied: ExitCode.auth,
  port_unavailable: ExitCode.failure,
  oauth_http: ExitCode.failure,
  network: ExitCode.failure,
  invalid_client: ExitCode.failure,
  invalid_scope: ExitCode.usage,
  storage: ExitCode.failure,
  unsafe_file: ExitCode.failure,
  keychain_timeout: ExitCode.failure,
  corrupt_file: ExitCode.failure,
  keychain: ExitCode.failure,
  keychain_unavailable: ExitCode.usage,
  lock_timeout: ExitCode.failure,
  api: ExitCode.failure,
  device_unsupported: ExitCode.usage,
};

/** An expected failure with a message for the user and an exit code. */
export class PupError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  /** A line telling the user what to do next. */
  readonly hint?: string;
  /** Printed instead of `Error: <message>` when set (messages the design document fixes). */
  readonly display?: string;

  constructor(
    code: ErrorCode,
    message: string,
    options: { hint?: string; cause?: unknown; exitCode?: number; display?: string } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "PupError";
    this.code = code;
    this.exitCode = options.exitCode ?? exitFor[code];
    this.hint = options.hint;
    this.display = options.display;
  }
}

/** A usage error (exit 2). */
export function usageError(message: string, hint?: string): PupError {
  return new PupError("usage", message, { hint });
}
