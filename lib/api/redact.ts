/**
 * @module
 * What `-v/--verbose` may show of a request: header values that carry credentials and query
 * parameters that carry keys are replaced, so a verbose log can be pasted into a bug report.
 */
import { CREDENTIAL_HEADERS } from "./headers.ts";

/** pup's credential headers, and the others that can carry a secret. */
const SECRET_HEADERS = new Set([
  ...CREDENTIAL_HEADERS,
  "proxy-authorization",
  "cookie",
  "set-cookie",
]);

const SECRET_NAME_RE = /(^|[-_])(api[-_]?key|app(lication)?[-_]?key|token|secret|password|auth)/i;

/** The text shown in place of a secret. */
export const REDACTED = "[redacted]";

/**
 * A header value safe to print: credentials become `[redacted]` (an `Authorization` keeps its
 * scheme, e.g. `Bearer [redacted]`).
 *
 * @example
 * redactHeader("Authorization", "Bearer abc"); // "Bearer [redacted]"
 * redactHeader("Accept", "application/json"); // "application/json"
 */
export function redactHeader(name: string, value: string): string {
  const n = name.toLowerCase();
  if (!SECRET_HEADERS.has(n) && !SECRET_NAME_RE.test(n)) return value;
  if (n === "authorization" || n === "proxy-authorization") {
    const scheme = /^(\S+)\s+\S/.exec(value)?.[1];
    return scheme ? `${scheme} ${REDACTED}` : REDACTED;
  }
  return REDACTED;
}

/**
 * A URL safe to print: user info and key-like query parameters (`api_key`, `application_key`,
 * …) redacted.
 *
 * @example
 * redactUrl("https://api.datadoghq.com/api/v1/validate?api_key=abc"); // "…?api_key=[redacted]"
 */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  if (u.username || u.password) {
    u.username = "";
    u.password = "";
  }
  let changed = false;
  const params = new URLSearchParams(u.search);
  for (const key of [...new Set(params.keys())]) {
    if (SECRET_NAME_RE.test(key)) {
      params.set(key, "REDACTED");
      changed = true;
    }
  }
  if (changed) u.search = params.toString().replace(/=REDACTED(?=&|$)/g, `=${REDACTED}`);
  return u.toString();
}
