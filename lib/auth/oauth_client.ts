/**
 * @module
 * The OAuth server's HTTP steps pup makes (CONTRACT §2–§3): Dynamic Client Registration
 * (RFC 7591), the authorization-code exchange with PKCE (RFC 6749 §4.1.3, RFC 7636 §4.5), the
 * refresh (RFC 6749 §6), metadata (RFC 8414) and revocation (RFC 7009), each with
 * `client_secret_post` (a public client sends no secret). Each step builds its request, sends
 * it through the one egress (`egress.ts`: trust rule on the parsed origin, no redirects, the
 * clock's timeout, the proxy), then checks the answer; only a checked answer is returned.
 * Errors report the status and the server's `error` / `error_description`, never a secret,
 * with a stable code (`oauth_invalid_grant`, `invalid_client`, `invalid_scope`, `oauth_http`):
 * the answer and its failure are read in `oauth_answer.ts`.
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
import type { ScopeRetry } from "./invalid_scope.ts";
import {
  jsonObject,
  type OAuthAnswer,
  oauthFailure,
  ok,
  retryAfterSeconds,
} from "./oauth_answer.ts";
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
