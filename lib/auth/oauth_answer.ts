/**
 * @module
 * What an OAuth endpoint answered, read once (`OAuthAnswer`), and how a failed answer becomes
 * an error (RFC 6749 §5.2): a stable code, the server's `error` / `error_description`
 * neutralised, never a secret, and for a 429 or a 5xx when to try again (`Retry-After`, RFC
 * 9110 §10.2.3, clamped to a day). The steps that make the requests are `oauth_client.ts`.
 */
import { PupError } from "../errors.ts";
import { cleanServerText } from "../text.ts";
import { invalidScopeAnswer, invalidScopeError, type ScopeRetry } from "./invalid_scope.ts";

/** A checked OAuth answer: status, the body's JSON object (if it is one) and its text. */
export interface OAuthAnswer {
  status: number;
  json: Record<string, unknown> | undefined;
  text: string;
  /** The wait its `Retry-After` header asks for, in seconds ({@link retryAfterSeconds}). */
  retryAfterS?: number;
}

/** The longest wait a `Retry-After` may name that pup repeats: one day. */
export const MAX_RETRY_AFTER_S = 86_400;

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const IMF_FIXDATE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;

/**
 * The seconds a `Retry-After` header (RFC 9110 §10.2.3) asks to wait, from `now`: its
 * delay-seconds or its HTTP-date (IMF-fixdate), clamped to 0 … {@link MAX_RETRY_AFTER_S};
 * undefined when absent or anything else. Only this number is ever shown, never the header.
 *
 * @example
 * retryAfterSeconds("120", now); // 120
 * retryAfterSeconds("Wed, 21 Oct 2026 07:28:00 GMT", Date.UTC(2026, 9, 21, 7, 27)); // 60
 * retryAfterSeconds("\x1b]0;owned\x07", now); // undefined
 */
export function retryAfterSeconds(
  value: string | null | undefined,
  now: number,
): number | undefined {
  if (typeof value !== "string") return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Math.min(Number(v), MAX_RETRY_AFTER_S);
  const m = IMF_FIXDATE.exec(v);
  const month = m ? MONTHS.indexOf(m[2]) : -1;
  if (!m || month < 0) return undefined;
  const [day, year, h, min, sec] = [m[1], m[3], m[4], m[5], m[6]].map(Number);
  if (day < 1 || day > 31 || h > 23 || min > 59 || sec > 60) return undefined;
  const at = Date.UTC(year, month, day, h, min, sec);
  const s = Math.ceil((at - now) / 1000);
  return Number.isFinite(s) ? Math.min(Math.max(s, 0), MAX_RETRY_AFTER_S) : undefined;
}

/** "in 5 s", "in 3 min", "in 2 h" for a wait in seconds. */
function inTime(s: number): string {
  if (s < 120) return `in ${s} s`;
  if (s < 7200) return `in ${Math.ceil(s / 60)} min`;
  return `in ${Math.ceil(s / 3600)} h`;
}

/** What to do after a 429 or a 5xx: try again, when the server said (`Retry-After`). */
function retryHint(res: OAuthAnswer): string | undefined {
  const when = res.retryAfterS ? inTime(res.retryAfterS) : "in a moment";
  if (res.status === 429) {
    return `rate limited (HTTP 429): the server is limiting requests; try again ${when}`;
  }
  if (res.status >= 500) return `the server failed; try again ${when}`;
  return undefined;
}

/** The body as a JSON object; undefined when it is not one. */
export function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed;
  } catch { /* reported by the caller when a JSON answer was needed */ }
  return undefined;
}

/** What {@link oauthFailure} knows of the request, for an `invalid_scope` answer's hint. */
export interface FailureContext {
  /** The login being made: the hint is the exact command that retries without the scopes. */
  retry?: ScopeRetry;
  /** The scopes requested (space-separated), when the login is not known (a refresh). */
  scope?: string;
}

/**
 * The error an OAuth endpoint answered with (RFC 6749 §5.2), with a stable code. An
 * `invalid_scope` is exit 4 like the same error at the authorize redirect (CONTRACT §9), naming
 * the refused scopes and, when `context.retry` is given, the command that retries without them.
 */
export function oauthFailure(
  what: string,
  res: OAuthAnswer,
  context: FailureContext = {},
): PupError {
  const error = typeof res.json?.error === "string" ? cleanServerText(res.json.error, 80) : "";
  const desc = typeof res.json?.error_description === "string"
    ? cleanServerText(res.json.error_description)
    : "";
  const detail = error
    ? `${error}${desc ? `: ${desc}` : ""}`
    : res.status === 429
    ? "too many requests"
    : res.json
    ? "no error code in the answer"
    : `the answer is not JSON${res.text ? ` (${cleanServerText(res.text, 120)})` : ""}`;
  const message = `${what} failed: HTTP ${res.status}: ${detail}`;
  if (error === "invalid_client") return new PupError("invalid_client", message);
  if (error === "invalid_scope") {
    const description = desc || undefined;
    return context.retry
      ? invalidScopeError(context.retry, description, what)
      : invalidScopeAnswer(what, description, (context.scope ?? "").split(" ").filter(Boolean));
  }
  if (error === "invalid_grant") return new PupError("oauth_invalid_grant", message);
  return new PupError("oauth_http", message, { hint: retryHint(res) });
}

/** Whether a status is a 2xx. */
export function ok(status: number): boolean {
  return status >= 200 && status <= 299;
}
