/**
 * @module
 * The one place a token answer (RFC 6749 §5.1) becomes a stored {@link Token}, for every flow:
 * code exchange, refresh and device polling. Server numbers are taken at their extremes
 * without crashing: `expires_in` is clamped to {@link MAX_EXPIRES_IN_S} (one year) — `1e13`,
 * `1e300`, `"1e300"`, `"Infinity"` and JSON's `1e400` (which parses to Infinity) all become one
 * year — and a missing, zero, negative or unparsable one means {@link DEFAULT_EXPIRES_IN_S}.
 * An access token with a character outside visible ASCII (a control character, a space,
 * non-ASCII) is refused when it arrives: it would otherwise break (or inject into) the
 * `Authorization` header of every later request.
 */
import { PupError } from "../errors.ts";
import type { Token } from "./types.ts";

/** The longest lifetime pup records for a token: one year, in seconds. */
export const MAX_EXPIRES_IN_S = 365 * 24 * 3600;

/** The lifetime assumed when the answer gives none that makes sense (RFC 6749 §5.1: optional). */
export const DEFAULT_EXPIRES_IN_S = 3600;

/** RFC 6750 §2.1 `b64token` is narrower; visible ASCII is what a header value can carry. */
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/**
 * `expires_in` made a sane number of seconds: clamped to one year, a default for nonsense.
 *
 * @example
 * expiresInSeconds(1e300); // 31536000
 * expiresInSeconds("120"); // 120
 * expiresInSeconds(-5); // 3600
 */
export function expiresInSeconds(raw: unknown): number {
  const n = typeof raw === "number"
    ? raw
    : typeof raw === "string" && raw.trim() !== ""
    ? Number(raw.trim())
    : NaN;
  if (Number.isNaN(n) || n <= 0) return DEFAULT_EXPIRES_IN_S;
  return Math.min(n, MAX_EXPIRES_IN_S);
}

/** What the flow knew before the answer: the scope asked for, the refresh token it used. */
export interface TokenFallback {
  scope: string;
  /** RFC 6749 §6: a refresh answer without a new refresh token keeps this one. */
  refreshToken?: string;
}

/**
 * The token of a successful answer's JSON, issued at `now`. Throws `oauth_http` (naming the
 * step and status, never the token) for an answer without a usable `access_token`.
 *
 * @example
 * tokenFromAnswer({ access_token: "a", expires_in: 1e300 }, Date.now(), {
 *   what: "token refresh", status: 200, scope: "x", refreshToken: "old",
 * }); // expires in one year, keeps refresh token "old"
 */
export function tokenFromAnswer(
  json: Record<string, unknown> | undefined,
  now: number,
  context: TokenFallback & { what: string; status: number },
): Token {
  const fail = (why: string) =>
    new PupError("oauth_http", `${context.what} failed: HTTP ${context.status}: ${why}`);
  const access = json?.access_token;
  if (typeof access !== "string" || access === "") throw fail("no access_token in the answer");
  if (!VISIBLE_ASCII.test(access)) {
    throw fail(
      "the access_token has characters a token may not have (expected visible ASCII only)",
    );
  }
  const expiresIn = expiresInSeconds(json!.expires_in);
  const token: Token = {
    access_token: access,
    token_type: typeof json!.token_type === "string" && VISIBLE_ASCII.test(json!.token_type)
      ? json!.token_type
      : "Bearer",
    expires_in: expiresIn,
    expires_at: new Date(now + expiresIn * 1000).toISOString(),
    scope: typeof json!.scope === "string" ? json!.scope : context.scope,
  };
  const refresh = typeof json!.refresh_token === "string" && json!.refresh_token !== ""
    ? json!.refresh_token
    : context.refreshToken;
  if (refresh) token.refresh_token = refresh;
  return token;
}
