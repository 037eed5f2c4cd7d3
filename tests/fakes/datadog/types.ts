/**
 * @module
 * The fake Datadog's public types: options, knobs, recorded requests and the OAuth state.
 */
import type { Context, Hono } from "hono";

// Public types

/** Options fixed when the fake starts (both are also knobs, so tests may change them later). */
export interface FakeDatadogOptions {
  /** Lifetime of issued access tokens (`expires_in`). Default 3600. */
  accessTokenTtlSeconds?: number;
  /** DCR answers without `client_secret` (a public client), which then must never send one. */
  publicClient?: boolean;
}

/** One request as the fake received it. */
export interface RecordedRequest {
  method: string;
  /** The URL path, without the query. */
  path: string;
  /** The full URL, with the query (authorize requests carry everything there). */
  url: string;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  /** The body as text ("" when none). */
  body: string;
  /** Arrival time, `Date.now()` (real clock, not shifted by `clockOffsetMs`). */
  at: number;
}

/** A canned failure for {@link Knobs.failNext}. */
export interface FailRule {
  /** Only this method (any when absent). */
  method?: string;
  /** Exact URL path, e.g. `/oauth2/v1/token`. */
  path: string;
  status: number;
  /** Response body, sent verbatim; may be deliberately malformed (`"{not json"`). */
  body?: string;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** How many matching requests to answer this way. Default 1. */
  times?: number;
}

/** Behaviour switches. Every field is plain and may be changed at any time by a test. */
export interface Knobs {
  /**
   * Canned answers: the first rule whose method/path match answers the request with its status
   * and body (default body: an OAuth `server_error` for `/oauth2/` paths, Datadog's
   * `{"errors":[…]}` otherwise), before any other processing. Each use decrements `times`; a rule
   * is removed when spent.
   */
  failNext: FailRule[];
  /** Milliseconds to sleep before answering a path (exact URL path), e.g. for timeout tests. */
  delayMs: Record<string, number>;
  /**
   * When set, a valid authorize request redirects to
   * `redirect_uri?error=<value>&error_description=…&state=<state>` instead of issuing a code,
   * and visiting the device verification page denies instead of approving.
   */
  authorizeError: string | null;
  /** When set, authorize redirects carry this `state` instead of the client's (CSRF tests). */
  authorizeStateOverride: string | null;
  /**
   * The next N API calls (paths under `/api/` other than DCR) answer 429 with `Retry-After: 1`
   * and Datadog's `X-RateLimit-*` headers. Decremented per 429.
   */
  rateLimitNext: number;
  /**
   * `GET /.well-known/oauth-authorization-server` answers 404 when null (as Datadog does today),
   * else this JSON. {@link oauthMetadata} builds a complete document.
   */
  metadata: Record<string, unknown> | null;
  /**
   * When set, tokens are granted only the requested scopes that are in this list, and API
   * calls by bearer token whose endpoint scope is not in it answer 403.
   */
  grantedScopes: string[] | null;
  /** The `DD-API-KEY` value API calls must carry (with `appKey`). Default `test-api-key`. */
  apiKey: string;
  /** The `DD-APPLICATION-KEY` value API calls must carry (with `apiKey`). Default
   * `test-app-key`. */
  appKey: string;
  /** `expires_in` of access tokens issued from now on. */
  accessTokenTtlSeconds: number;
  /** DCR registers public clients (no `client_secret`) from now on. */
  publicClient: boolean;
  /**
   * Refresh rotates the refresh token (default true). When false, a refresh answers without a
   * `refresh_token` and the old one stays valid (CONTRACT §3: the client keeps the old one).
   */
  rotateRefreshTokens: boolean;
  /**
   * A refresh token is accepted only from the client it was issued to (RFC 6749 §6; default
   * true). False models the server the design document describes for logout: after pup
   * registers again, sibling sessions refresh with the new client.
   */
  bindRefreshTokensToClient: boolean;
  /** Shifts the fake's clock (code, token and device-code expiry) forward by this many ms. */
  clockOffsetMs: number;
  /** `interval` of device authorizations issued from now on; 0 disables `slow_down`. */
  deviceIntervalSeconds: number;
  /**
   * The largest page a cursor search answers (exact URL path → items), below what the client
   * asks: to page through few items, as Datadog does when it caps `page.limit`.
   */
  pageCap: Record<string, number>;
}

/** A registered client: the DCR answer. */
export interface Client {
  client_id: string;
  /** Absent for public clients. */
  client_secret?: string;
  client_id_issued_at: number;
  client_secret_expires_at: number;
  client_name: string;
  redirect_uris: string[];
  grant_types: string[];
  response_types: string[];
  token_endpoint_auth_method: string;
}

/** An authorization code, bound to everything the token request must repeat. */
export interface AuthCode {
  code: string;
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scope: string;
  ddOid: string | null;
  /** Fake-clock ms. */
  expiresAt: number;
  used: boolean;
  /** The token family the code was exchanged for (revoked if the code is replayed). */
  familyId: string | null;
}

/** Every token descended from one grant; revoked together on code or refresh-token replay. */
export interface TokenFamily {
  id: string;
  clientId: string;
  scope: string;
  source: "authorization_code" | "refresh_token_seed" | "device_code";
  revoked: boolean;
  accessTokens: string[];
  refreshTokens: string[];
}

/** An issued access token. */
export interface AccessToken {
  token: string;
  clientId: string;
  familyId: string;
  scope: string;
  /** Fake-clock ms. */
  expiresAt: number;
  revoked: boolean;
}

/** An issued refresh token. `rotated` means it was exchanged once already. */
export interface RefreshToken {
  token: string;
  clientId: string;
  familyId: string;
  /** Fake-clock ms. */
  expiresAt: number;
  status: "active" | "rotated" | "revoked";
}

/** One authorize request that passed validation. */
export interface AuthorizationRecord {
  clientId: string;
  redirectUri: string;
  scope: string;
  state: string;
  codeChallenge: string;
  /** The `dd_oid` query parameter, when given. */
  ddOid: string | null;
  /** The code issued, or null when `authorizeError` answered. */
  code: string | null;
  error: string | null;
  at: number;
}

/** One RFC 8628 device authorization. */
export interface DeviceGrant {
  deviceCode: string;
  userCode: string;
  clientId: string;
  scope: string;
  /** Fake-clock ms. */
  expiresAt: number;
  intervalSeconds: number;
  lastPollAt: number | null;
  status: "pending" | "approved" | "denied" | "used";
}

/** Everything the fake remembers. */
export interface FakeState {
  clients: Map<string, Client>;
  codes: Map<string, AuthCode>;
  families: Map<string, TokenFamily>;
  accessTokens: Map<string, AccessToken>;
  refreshTokens: Map<string, RefreshToken>;
  /** Valid authorize requests, in order. */
  authorizations: AuthorizationRecord[];
  /** Device authorizations by device code. */
  devices: Map<string, DeviceGrant>;
}

/** What {@link FakeDatadogCore.issueTokens} returns: a token answer plus its client. */
export interface IssuedTokens {
  access_token: string;
  refresh_token: string;
  token_type: "Bearer";
  expires_in: number;
  scope: string;
  client_id: string;
  client_secret?: string;
}

/** The fake without a socket: state, knobs and helpers that {@link fakeDatadogApp} serves. */
export interface FakeDatadogCore {
  /** Every request, in order. */
  requests: RecordedRequest[];
  /** How many recorded requests had this method and exact path. */
  count(method: string, path: string): number;
  knobs: Knobs;
  state: FakeState;
  /** Registers a client directly (as DCR would), for tests that skip `pup auth login`. */
  registerClient(opts?: { public?: boolean }): Client;
  /**
   * Mints a valid token pair directly, for tests that skip login. Registers a new client when
   * `clientId` is not given (its id and secret are returned, to write pup's client file).
   */
  issueTokens(opts?: { clientId?: string; scope?: string; ttlSeconds?: number }): IssuedTokens;
  /** Makes the server reject this access token with 401 from now on. */
  expireAccessToken(accessToken: string): void;
  /** Approves (or denies) a pending device authorization; the newest one when no code given. */
  decideDevice(decision: "approve" | "deny", userCode?: string): void;
  /** The fake's clock: `Date.now() + knobs.clockOffsetMs`. */
  now(): number;
  /** Wakes every pending `delayMs` sleep at once (used by `close()`). */
  cancelDelays(): void;
  /**
   * Every secret the fake has handed out — client secrets, access and refresh tokens,
   * authorization codes, device codes — for tests that check none reaches an output.
   */
  secrets(): string[];
}

/** A fake Datadog listening on 127.0.0.1. */
export interface FakeDatadog extends FakeDatadogCore {
  /** `127.0.0.1:PORT`, the value for `DD_SITE`. */
  site: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  app: Hono<Env>;
  close(): Promise<void>;
}

/** Hono's environment for the fake: the request body, read once by the recorder. */
export type Env = { Variables: { body: string } };
/** A request context of the fake. */
export type C = Context<Env>;
