/**
 * @module
 * Shape checks for what pup reads back from disk or a keychain: each returns null when the
 * value is well formed, else a short description of the first fault.
 */

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Checks one stored token. */
export function tokenFault(v: unknown): string | null {
  if (!isObject(v)) return "expected an object";
  if (typeof v.access_token !== "string" || v.access_token === "") return "no access_token";
  if (v.refresh_token !== undefined && typeof v.refresh_token !== "string") {
    return "refresh_token is not a string";
  }
  if (typeof v.expires_at !== "string" || Number.isNaN(Date.parse(v.expires_at))) {
    return "expires_at is not an ISO 8601 date";
  }
  return null;
}

/** Checks `{"<org>": Token, …}`. */
export function tokensFault(v: unknown): string | null {
  if (!isObject(v)) return "expected an object keyed by org";
  for (const [org, t] of Object.entries(v)) {
    const f = tokenFault(t);
    if (f) return `session "${org}": ${f}`;
  }
  return null;
}

/** Checks a stored DCR client. */
export function clientFault(v: unknown): string | null {
  if (!isObject(v)) return "expected an object";
  if (typeof v.client_id !== "string" || v.client_id === "") return "no client_id";
  if (v.client_secret !== undefined && typeof v.client_secret !== "string") {
    return "client_secret is not a string";
  }
  return null;
}

/** Checks a keychain value `{"tokens": {…}, "client": {…}|null}`. */
export function siteStateFault(v: unknown): string | null {
  if (!isObject(v)) return "expected an object with tokens and client";
  const t = tokensFault(v.tokens ?? {});
  if (t) return `tokens: ${t}`;
  if (v.client !== null && v.client !== undefined) {
    const c = clientFault(v.client);
    if (c) return `client: ${c}`;
  }
  return null;
}
