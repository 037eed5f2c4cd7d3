/**
 * @module
 * The OAuth server's three HTTP calls pup makes (CONTRACT §2–§3): Dynamic Client
 * Registration (RFC 7591), the authorization-code exchange with PKCE (RFC 6749 §4.1.3,
 * RFC 7636 §4.5) and the refresh (RFC 6749 §6), each with `client_secret_post`.
 * Each call builds its request, then checks the answer; only a checked answer is returned.
 * Errors report the status and the server's `error` / `error_description`, never a secret.
 */
import type { Clock } from "../deps.ts";
import { PupError } from "../errors.ts";
import { apiBase } from "./site.ts";
import type { ClientCredentials, Token } from "./types.ts";
import { cleanServerText } from "../text.ts";

/** The redirect URIs registered for every client: the four callback ports. */
export const CALLBACK_PORTS = [8000, 8080, 8888, 9000] as const;

/** The callback URL for a port. */
export function redirectUri(port: number): string {
  return `http://127.0.0.1:${port}/callback`;
}

/** The exact DCR body of the design document (CONTRACT §3). */
export function registrationBody() {
  return {
    client_name: "Datadog Pup CLI",
    redirect_uris: CALLBACK_PORTS.map(redirectUri),
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_post",
  };
}

/** What the OAuth calls need. */
export interface OAuthDeps {
  fetch: typeof fetch;
  clock: Clock;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
}

async function post(
  deps: OAuthDeps,
  url: string,
  what: string,
  init: { body: string; contentType: string },
): Promise<{ status: number; json: Record<string, unknown> | undefined; text: string }> {
  const timeoutMs = deps.timeoutMs ?? 30_000;
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    const res = await deps.fetch(url, {
      method: "POST",
      headers: { "content-type": init.contentType, accept: "application/json" },
      body: init.body,
      signal: ac.signal,
      redirect: "error",
    });
    const text = await res.text();
    let json: Record<string, unknown> | undefined;
    try {
      const parsed = JSON.parse(text);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) json = parsed;
    } catch { /* reported below by the caller when a JSON answer was needed */ }
    return { status: res.status, json, text };
  } catch (err) {
    if (ac.signal.aborted) {
      throw new PupError("network", `${what} timed out after ${timeoutMs / 1000} s (${url})`, {
        hint: "check your network connection and the site, then try again",
      });
    }
    throw new PupError(
      "network",
      `${what} failed: cannot reach ${url}: ${
        cleanServerText(String((err as Error).message ?? err))
      }`,
      { cause: err, hint: "check your network connection and the site, then try again" },
    );
  } finally {
    clearTimeout(timer);
  }
}

/** The error an OAuth endpoint answered with (RFC 6749 §5.2). */
function oauthFailure(
  what: string,
  res: { status: number; json: Record<string, unknown> | undefined; text: string },
): PupError {
  const error = typeof res.json?.error === "string" ? cleanServerText(res.json.error, 80) : "";
  const desc = typeof res.json?.error_description === "string"
    ? cleanServerText(res.json.error_description)
    : "";
  const detail = error
    ? `${error}${desc ? `: ${desc}` : ""}`
    : res.json
    ? "no error code in the answer"
    : `the answer is not JSON${res.text ? ` (${cleanServerText(res.text, 120)})` : ""}`;
  const message = `${what} failed: HTTP ${res.status}: ${detail}`;
  if (error === "invalid_client") return new PupError("invalid_client", message);
  if (error === "invalid_scope") {
    return new PupError("invalid_scope", message, {
      hint: "request other scopes with --scopes a,b, --extra-scopes a,b or --read-only",
    });
  }
  if (error === "invalid_grant") {
    return new PupError("oauth_http", message, { cause: { oauthError: "invalid_grant" } });
  }
  return new PupError("oauth_http", message, {
    hint: res.status >= 500 ? "the server failed; try again in a moment" : undefined,
  });
}

/** Whether an error is the server's `invalid_grant`. */
export function isInvalidGrant(err: unknown): boolean {
  return err instanceof PupError &&
    (err.cause as { oauthError?: string } | undefined)?.oauthError === "invalid_grant";
}

/** Registers pup as a client of the site (RFC 7591 §3). */
export async function registerClient(deps: OAuthDeps, site: string): Promise<ClientCredentials> {
  const url = `${apiBase(site)}/api/v2/oauth2/register`;
  const res = await post(deps, url, "client registration", {
    body: JSON.stringify(registrationBody()),
    contentType: "application/json",
  });
  if (res.status < 200 || res.status > 299) throw oauthFailure("client registration", res);
  const id = res.json?.client_id;
  if (typeof id !== "string" || id === "") {
    throw new PupError(
      "oauth_http",
      `client registration failed: HTTP ${res.status}: no client_id in the answer`,
    );
  }
  const secret = res.json!.client_secret;
  if (secret !== undefined && secret !== null && typeof secret !== "string") {
    throw new PupError("oauth_http", "client registration failed: client_secret is not a string");
  }
  const client: ClientCredentials = {
    ...res.json,
    client_id: id,
    registered_at: new Date(deps.clock.now()).toISOString(),
  };
  if (typeof secret !== "string" || secret === "") delete client.client_secret;
  return client;
}

function tokenFromAnswer(
  deps: OAuthDeps,
  what: string,
  res: { status: number; json: Record<string, unknown> | undefined; text: string },
  fallback: { scope: string; refreshToken?: string },
): Token {
  if (res.status < 200 || res.status > 299) throw oauthFailure(what, res);
  const j = res.json;
  if (!j || typeof j.access_token !== "string" || j.access_token === "") {
    throw new PupError(
      "oauth_http",
      `${what} failed: HTTP ${res.status}: no access_token in the answer`,
    );
  }
  const expiresIn = typeof j.expires_in === "number" && j.expires_in > 0
    ? j.expires_in
    : typeof j.expires_in === "string" && Number(j.expires_in) > 0
    ? Number(j.expires_in)
    : 3600;
  const token: Token = {
    access_token: j.access_token,
    token_type: typeof j.token_type === "string" ? j.token_type : "Bearer",
    expires_in: expiresIn,
    expires_at: new Date(deps.clock.now() + expiresIn * 1000).toISOString(),
    scope: typeof j.scope === "string" ? j.scope : fallback.scope,
  };
  // RFC 6749 §6: a refresh answer without a new refresh token keeps the old one.
  const refresh = typeof j.refresh_token === "string" && j.refresh_token !== ""
    ? j.refresh_token
    : fallback.refreshToken;
  if (refresh) token.refresh_token = refresh;
  return token;
}

function form(fields: Record<string, string | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) p.set(k, v);
  return p.toString();
}

/** Exchanges an authorization code for tokens (RFC 6749 §4.1.3 with PKCE). */
export async function exchangeCode(
  deps: OAuthDeps,
  site: string,
  client: ClientCredentials,
  params: { code: string; redirectUri: string; verifier: string; scope: string },
): Promise<Token> {
  const res = await post(deps, `${apiBase(site)}/oauth2/v1/token`, "token exchange", {
    contentType: "application/x-www-form-urlencoded",
    body: form({
      grant_type: "authorization_code",
      code: params.code,
      redirect_uri: params.redirectUri,
      client_id: client.client_id,
      client_secret: client.client_secret,
      code_verifier: params.verifier,
    }),
  });
  return tokenFromAnswer(deps, "token exchange", res, { scope: params.scope });
}

/** Uses a refresh token (RFC 6749 §6); keeps it when the answer brings no new one. */
export async function refreshAccessToken(
  deps: OAuthDeps,
  site: string,
  client: ClientCredentials,
  token: Token,
): Promise<Token> {
  if (!token.refresh_token) {
    throw new PupError("oauth_http", "token refresh failed: the session has no refresh token", {
      cause: { oauthError: "invalid_grant" },
    });
  }
  const res = await post(deps, `${apiBase(site)}/oauth2/v1/token`, "token refresh", {
    contentType: "application/x-www-form-urlencoded",
    body: form({
      grant_type: "refresh_token",
      refresh_token: token.refresh_token,
      client_id: client.client_id,
      client_secret: client.client_secret,
    }),
  });
  return tokenFromAnswer(deps, "token refresh", res, {
    scope: token.scope,
    refreshToken: token.refresh_token,
  });
}

/** Fetches RFC 8414 metadata; null when the server offers none (404 or unreachable). */
export async function fetchMetadata(
  deps: OAuthDeps,
  site: string,
): Promise<Record<string, unknown> | null> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), deps.timeoutMs ?? 30_000);
  try {
    const res = await deps.fetch(`${apiBase(site)}/.well-known/oauth-authorization-server`, {
      headers: { accept: "application/json" },
      signal: ac.signal,
    });
    if (!res.ok) {
      await res.body?.cancel();
      return null;
    }
    const j = await res.json();
    return j && typeof j === "object" && !Array.isArray(j) ? j : null;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}
