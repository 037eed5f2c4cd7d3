/**
 * @module
 * The OAuth server's HTTP steps pup makes (CONTRACT §2–§3): Dynamic Client Registration
 * (RFC 7591), the authorization-code exchange with PKCE (RFC 6749 §4.1.3, RFC 7636 §4.5), the
 * refresh (RFC 6749 §6), metadata (RFC 8414) and revocation (RFC 7009), each with
 * `client_secret_post` (a public client sends no secret). Each step builds its request, sends
 * it through the one egress (`egress.ts`: trust rule on the parsed origin, no redirects, the
 * clock's timeout, the proxy), then checks the answer; only a checked answer is returned.
 * Errors report the status and the server's `error` / `error_description`, never a secret,
 * with a stable code (`oauth_invalid_grant`, `invalid_client`, `invalid_scope`, `oauth_http`).
 *
 * The requests are built by oauth4webapi (`protocol.ts`) and sent through the egress. The
 * answers are checked here, by hand, because each of oauth4webapi's processors rejects an
 * answer pup must take (CONTRACT §3, issue 9): registration accepts only 201 and demands
 * `client_secret_expires_at` with a secret (CONTRACT: any 2xx with a `client_id`); the token
 * processors reject a string or non-finite `expires_in` (pup clamps it, and must keep the
 * rotated refresh token that came with it) and unknown `token_type`s; the device processor
 * rejects `interval: 0` (pup clamps it); discovery demands an exact `issuer` (Datadog
 * publishes no metadata to compare with). Each processor keeps the library's shape: one
 * function from an answer to a checked value; nothing unchecked reaches the next step.
 */
import type { Clock } from "../deps.ts";
import { PupError } from "../errors.ts";
import { cleanServerText } from "../text.ts";
import {
  authorizationServer,
  buildAndSend,
  clientOf,
  type oauth4webapi,
  stepOptions,
} from "./protocol.ts";
import { apiBase, isDatadogOwnedHostname } from "./site.ts";
import { type OriginCheck, type TrustContext, trustGate } from "./trust.ts";
import { invalidScopeAnswer, invalidScopeError, type ScopeRetry } from "./invalid_scope.ts";
import { tokenFromAnswer } from "./token_answer.ts";
import type { ClientCredentials, Token } from "./types.ts";

/** The redirect URIs registered for every client: the four callback ports. */
export const CALLBACK_PORTS = [8000, 8080, 8888, 9000] as const;

/** The default timeout of an OAuth request (CONTRACT §3). */
export const OAUTH_TIMEOUT_MS = 30_000;

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
  /** Aborts the request (the login aborts the code exchange on Ctrl-C). */
  signal?: AbortSignal;
  /**
   * The trust rule for each request's parsed URL ({@link oauthDeps} sets it). Without it only
   * Datadog's hosts and the site's own API origin are allowed: the caller has run
   * `ensureTrusted` on that (validated) site.
   */
  trust?: OriginCheck;
}

/** What {@link oauthDeps} needs of a command's context (pup's `Context` satisfies it). */
export interface OAuthContext extends TrustContext {
  readonly oauth: { fetch: typeof fetch; clock: Clock };
}

/**
 * The OAuth deps of a command: its (logging, with `-v`) fetch, its clock and its trust gate.
 *
 * @example
 * const client = await registerClient(oauthDeps(ctx), site);
 */
export function oauthDeps(ctx: OAuthContext, extra: Partial<OAuthDeps> = {}): OAuthDeps {
  return { ...ctx.oauth, trust: trustGate(ctx), ...extra };
}

function allowFor(deps: OAuthDeps, site: string): OriginCheck {
  if (deps.trust) return deps.trust;
  const own = new URL(apiBase(site)).origin;
  return (url) => {
    if (url.origin === own) return Promise.resolve();
    if (url.protocol === "https:" && isDatadogOwnedHostname(url.hostname)) {
      return Promise.resolve();
    }
    return Promise.reject(
      new PupError(
        "untrusted_site",
        `refusing to send credentials to ${cleanServerText(url.host, 120)}: expected ${own}`,
      ),
    );
  };
}

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

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed;
  } catch { /* reported by the caller when a JSON answer was needed */ }
  return undefined;
}

type Lib = Awaited<ReturnType<typeof oauth4webapi>>;
type Options = Awaited<ReturnType<typeof stepOptions>>;

/**
 * The one OAuth request: an oauth4webapi request builder for `site`, sent through the egress
 * with the deps' timeout, signal and trust rule; the answer read.
 *
 * @example
 * const res = await oauthStep(deps, site, "token refresh", (o, options) =>
 *   o.refreshTokenGrantRequest(as, client, auth, refreshToken, options));
 */
export async function oauthStep(
  deps: OAuthDeps,
  site: string,
  what: string,
  build: (o: Lib, options: Options) => Promise<Response>,
): Promise<OAuthAnswer> {
  const options = await stepOptions(
    {
      fetch: deps.fetch,
      clock: deps.clock,
      timeoutMs: deps.timeoutMs ?? OAUTH_TIMEOUT_MS,
      signal: deps.signal,
      allow: allowFor(deps, site),
    },
    site,
    what,
  );
  const res = await buildAndSend(what, (o) => build(o, options));
  const text = await res.text();
  const retryAfterS = retryAfterSeconds(res.headers.get("retry-after"), deps.clock.now());
  return { status: res.status, json: jsonObject(text), text, retryAfterS };
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

/** Checks a DCR answer (RFC 7591 §3.2.1): any 2xx with a `client_id`. */
export function processRegistration(res: OAuthAnswer, now: number): ClientCredentials {
  if (!ok(res.status)) throw oauthFailure("client registration", res);
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
    registered_at: new Date(now).toISOString(),
  };
  if (typeof secret !== "string" || secret === "") delete client.client_secret;
  return client;
}

/** Registers pup as a client of the site (RFC 7591 §3). */
export async function registerClient(deps: OAuthDeps, site: string): Promise<ClientCredentials> {
  const res = await oauthStep(
    deps,
    site,
    "client registration",
    (o, options) =>
      o.dynamicClientRegistrationRequest(authorizationServer(site), registrationBody(), options),
  );
  return processRegistration(res, deps.clock.now());
}

/** Checks a token answer (RFC 6749 §5.1/§5.2) of any flow. */
export function processTokenAnswer(
  what: string,
  res: OAuthAnswer,
  now: number,
  fallback: { scope: string; refreshToken?: string; retry?: ScopeRetry },
): Token {
  const { retry, ...kept } = fallback;
  if (!ok(res.status)) throw oauthFailure(what, res, { retry, scope: fallback.scope });
  return tokenFromAnswer(res.json, now, { ...kept, what, status: res.status });
}

/** Exchanges an authorization code for tokens (RFC 6749 §4.1.3 with PKCE). */
export async function exchangeCode(
  deps: OAuthDeps,
  site: string,
  client: ClientCredentials,
  params: {
    code: string;
    redirectUri: string;
    verifier: string;
    scope: string;
    /** The login, so that an `invalid_scope` answer prints the command that retries. */
    retry?: ScopeRetry;
  },
): Promise<Token> {
  const as = authorizationServer(site);
  const { client: c, auth } = await clientOf(client);
  const res = await oauthStep(deps, site, "token exchange", (o, options) => {
    // The callback was judged already (state compared in constant time): this only brands
    // the code for the library.
    const callback = o.validateAuthResponse(
      as,
      c,
      new URLSearchParams({ code: params.code }),
      o.skipStateCheck,
    );
    return o.authorizationCodeGrantRequest(
      as,
      c,
      auth,
      callback,
      params.redirectUri,
      params.verifier,
      options,
    );
  });
  return processTokenAnswer("token exchange", res, deps.clock.now(), {
    scope: params.scope,
    retry: params.retry,
  });
}

/** Uses a refresh token (RFC 6749 §6); keeps it when the answer brings no new one. */
export async function refreshAccessToken(
  deps: OAuthDeps,
  site: string,
  client: ClientCredentials,
  token: Token,
): Promise<Token> {
  const refreshToken = token.refresh_token;
  if (!refreshToken) {
    throw new PupError(
      "oauth_invalid_grant",
      "token refresh failed: the session has no refresh token",
    );
  }
  const as = authorizationServer(site);
  const { client: c, auth } = await clientOf(client);
  const res = await oauthStep(
    deps,
    site,
    "token refresh",
    (o, options) => o.refreshTokenGrantRequest(as, c, auth, refreshToken, options),
  );
  return processTokenAnswer("token refresh", res, deps.clock.now(), {
    scope: token.scope,
    refreshToken,
  });
}
