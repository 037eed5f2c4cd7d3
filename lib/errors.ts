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

/**
 * A stable, documented reason for a failure; callers `switch (err.code)` on it, never match a
 * message. Exit codes are CONTRACT §9's.
 *
 * | code | exit | meaning |
 * |---|---|---|
 * | `usage` | 2 | a bad flag, argument or environment value |
 * | `config` | 2 | config.yaml (or a setting such as `PUP_HTTP_TIMEOUT`) is invalid |
 * | `invalid_site` | 2 | a site from any source fails CONTRACT §1 validation |
 * | `untrusted_site` | 2 | credentials would go to a host that is not Datadog's, with no opt-in |
 * | `not_authenticated` | 4 | no session and no credentials, or the API answered 401 |
 * | `token_expired` | 4 | the session's token expired and cannot be refreshed |
 * | `callback_timeout` | 4 | the login wait (browser callback or device approval) ran out |
 * | `state_mismatch` | 4 | the callback's `state` is not this login's |
 * | `authorization_denied` | 4 | the authorization server said no (`access_denied`, …) |
 * | `port_unavailable` | 1 | no callback port could be bound |
 * | `oauth_http` | 1 | an OAuth endpoint failed (status, `error`, `error_description`) |
 * | `oauth_invalid_grant` | 1 | the server answered `invalid_grant` (code or refresh token refused) |
 * | `invalid_client` | 1 | the server answered `invalid_client` (triggers one re-registration) |
 * | `invalid_scope` | 4 | the authorization server refused the scopes (`invalid_scope` at the redirect or the token endpoint; the hint names them and the retry) |
 * | `redirect_refused` | 1 | a server answered a credential-carrying request with a 3xx |
 * | `network` | 1 | the host could not be reached |
 * | `network_timeout` | 1 | the host did not answer in time (the OAuth 30 s, `PUP_HTTP_TIMEOUT`) |
 * | `storage` | 1 | a state file could not be read or written |
 * | `corrupt_file` | 1 | a state file is malformed (named, left as it was) |
 * | `unsafe_file` | 1 | a state file is a symlink, not a regular file, or not ours (named, left as it was) |
 * | `keychain` | 1 | the OS keychain failed |
 * | `keychain_timeout` | 1 | a keychain tool did not answer in time (e.g. a locked collection) |
 * | `keychain_unavailable` | 2 | the keychain was asked for and is not there |
 * | `lock_timeout` | 1 | another pup process held the site's lock too long |
 * | `api` | 1 | a Datadog API call failed (status and Datadog's errors) |
 * | `device_unsupported` | 2 | the server offers no device login |
 */
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
  | "oauth_invalid_grant"
  | "redirect_refused"
  | "network"
  | "network_timeout"
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
  oauth_invalid_grant: ExitCode.failure,
  redirect_refused: ExitCode.failure,
  network: ExitCode.failure,
  network_timeout: ExitCode.failure,
  invalid_client: ExitCode.failure,
  invalid_scope: ExitCode.auth,
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
  /** The HTTP status of the API answer this error reports, when it came from one. */
  readonly status?: number;

  constructor(
    code: ErrorCode,
    message: string,
    options: {
      hint?: string;
      cause?: unknown;
      exitCode?: number;
      display?: string;
      status?: number;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "PupError";
    this.code = code;
    this.exitCode = options.exitCode ?? exitFor[code];
    this.hint = options.hint;
    this.display = options.display;
    this.status = options.status;
  }
}

/** A usage error (exit 2). */
export function usageError(message: string, hint?: string): PupError {
  return new PupError("usage", message, { hint });
}
