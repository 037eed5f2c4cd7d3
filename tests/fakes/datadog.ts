/**
 * @module
 * A fake Datadog for pup's tests and benchmarks: Dynamic Client Registration, the authorize page
 * (which approves at once), the token endpoint (PKCE, refresh-token rotation with reuse
 * detection), optional RFC 8414 metadata, revocation and device login, and a few API endpoints
 * with Datadog's response shapes. It is strict where Datadog is, so a client that passes against
 * it speaks the wire protocol of CONTRACT.md §2–§3; its knobs inject the failures a client must
 * survive. Every request is recorded so tests can assert what went over the wire.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { serveHttp } from "../../lib/runtime/serve.ts";

// ---------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------
// Constants

/** The DCR body pup must send, exactly (CONTRACT §3). */
export const EXPECTED_DCR = {
  client_name: "Datadog Pup CLI",
  redirect_uris: [8000, 8080, 8888, 9000].map((p) => `http://127.0.0.1:${p}/callback`),
  grant_types: ["authorization_code", "refresh_token"],
  response_types: ["code"],
  token_endpoint_auth_method: "client_secret_post",
} as const;

/** Datadog's canonical default scopes (CONTRACT §11); `issueTokens` grants these by default. */
export const DEFAULT_SCOPES = (
  "apm_generate_metrics apm_read apm_remote_configuration_read apm_remote_configuration_write " +
  "apm_service_catalog_read apm_service_ingest_read apm_service_ingest_write " +
  "apm_service_renaming_write apps_run apps_write connections_read audit_logs_read " +
  "aws_configuration_read azure_configuration_read bits_investigations_read " +
  "bits_investigations_write cases_read cases_write ci_visibility_read code_coverage_read " +
  "cloud_cost_management_read cloud_cost_management_write dora_metrics_read dora_metrics_write " +
  "test_optimization_read test_optimization_write debugger_read debugger_write " +
  "debugger_capture_variables dashboards_read dashboards_write data_scanner_read " +
  "data_streams_monitoring_capture_messages built_in_features dbm_read error_tracking_read " +
  "events_read feature_flag_config_read feature_flag_config_write " +
  "feature_flag_environment_config_read feature_flag_environment_config_write " +
  "gcp_configuration_read disaster_recovery_status_read disaster_recovery_status_write " +
  "hosts_read host_tags_write incident_read incident_write incident_notification_settings_read " +
  "incident_settings_read incident_settings_write integrations_read manage_integrations " +
  "llm_observability_read llm_observability_write logs_generate_metrics logs_modify_indexes " +
  "logs_read_archives logs_read_config logs_read_data logs_read_index_data " +
  "logs_write_archives logs_write_pipelines saved_views_write metrics_read monitors_read " +
  "monitors_write monitors_downtime notebooks_read notebooks_write observability_pipelines_read " +
  "observability_pipelines_deploy observability_pipelines_delete oci_configuration_edit " +
  "oci_configuration_read oci_configurations_manage on_call_read on_call_write org_management " +
  "reference_tables_read reference_tables_write rum_apps_read rum_apps_write " +
  "rum_generate_metrics rum_retention_filters_read rum_retention_filters_write " +
  "rum_session_replay_read security_monitoring_filters_read security_monitoring_filters_write " +
  "security_monitoring_findings_read security_monitoring_findings_write " +
  "security_monitoring_rules_read security_monitoring_rules_write " +
  "security_monitoring_signals_read slos_read slos_write status_pages_incident_write " +
  "status_pages_settings_read status_pages_settings_write synthetics_read synthetics_write " +
  "synthetics_private_location_read teams_manage teams_read timeseries_query usage_read " +
  "user_access_read workflows_read workflows_run workflows_write"
).split(" ");

const CODE_TTL_MS = 60_000;
const REFRESH_TTL_MS = 30 * 24 * 3600_000;
const DEVICE_TTL_SECONDS = 600;
const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
/** RFC 7636 §4.1: 43–128 characters of the unreserved set. */
const VERIFIER_RE = /^[A-Za-z0-9\-._~]{43,128}$/;
/** A BASE64URL(SHA-256) value is always 43 characters, unpadded. */
const CHALLENGE_RE = /^[A-Za-z0-9_-]{43}$/;

/** An RFC 8414 document for a fake at `baseUrl`, offering every endpoint the fake serves. */
export function oauthMetadata(baseUrl: string): Record<string, unknown> {
  return {
    issuer: baseUrl,
    authorization_endpoint: `${baseUrl}/oauth2/v1/authorize`,
    token_endpoint: `${baseUrl}/oauth2/v1/token`,
    registration_endpoint: `${baseUrl}/api/v2/oauth2/register`,
    revocation_endpoint: `${baseUrl}/oauth2/v1/revoke`,
    device_authorization_endpoint: `${baseUrl}/oauth2/v1/device/authorize`,
    response_types_supported: ["code"],
    grant_types_supported: ["authorization_code", "refresh_token", DEVICE_GRANT],
    code_challenge_methods_supported: ["S256"],
    token_endpoint_auth_methods_supported: ["client_secret_post", "none"],
    revocation_endpoint_auth_methods_supported: ["client_secret_post", "none"],
    scopes_supported: DEFAULT_SCOPES,
  };
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function randomToken(prefix: string, bytes = 32): string {
  return prefix + base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** `BASE64URL(SHA256(ascii))`, the S256 code challenge. */
export async function s256(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

function splitScopes(scope: string): string[] {
  return scope.split(/\s+/).filter((s) => s !== "");
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function sameSet(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && new Set(a).size === a.length && b.every((x) => a.includes(x));
}

/** Form or query parameters as a map, or the name of one sent twice (RFC 6749 §3.1 forbids it). */
function singleParams(params: URLSearchParams): Map<string, string> | string {
  const out = new Map<string, string>();
  for (const [k, v] of params) {
    if (out.has(k)) return k;
    out.set(k, v);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Seed data

/** A monitor as `GET /api/v1/monitor` returns it. */
export interface Monitor {
  id: number;
  name: string;
  type: string;
  query: string;
  message: string;
  tags: string[];
  options: Record<string, unknown>;
  overall_state: string;
  overall_state_modified: string;
  created: string;
  modified: string;
  creator: { email: string; handle: string; name: string };
  priority: number | null;
  multi: boolean;
  org_id: number;
  restricted_roles: null;
  deleted: null;
}

/** The seeded monitors; the last one's name and message carry terminal escape sequences. */
export function seedMonitors(): Monitor[] {
  const creator = { email: "jane.doe@example.com", handle: "jane.doe@example.com", name: "Jane" };
  const base = (
    id: number,
    name: string,
    type: string,
    query: string,
    message: string,
    tags: string[],
    overall_state: string,
    priority: number | null,
  ): Monitor => ({
    id,
    name,
    type,
    query,
    message,
    tags,
    options: {
      notify_no_data: false,
      notify_audit: false,
      require_full_window: false,
      include_tags: true,
      new_group_delay: 60,
      thresholds: { critical: 90, warning: 80 },
    },
    overall_state,
    overall_state_modified: "2024-05-02T09:30:00+00:00",
    created: `2024-0${(id % 9) + 1}-15T10:00:00.000000+00:00`,
    modified: "2024-05-01T12:00:00.000000+00:00",
    creator,
    priority,
    multi: query.includes(" by "),
    org_id: 321813,
    restricted_roles: null,
    deleted: null,
  });
  return [
    base(
      1001,
      "High CPU on web hosts",
      "metric alert",
      "avg(last_5m):avg:system.cpu.user{role:web} by {host} > 90",
      "CPU above 90% on {{host.name}}. @slack-platform-alerts",
      ["team:platform", "env:prod", "service:web-store"],
      "Alert",
      2,
    ),
    base(
      1002,
      "Checkout latency p99 above SLO",
      "query alert",
      "avg(last_10m):p99:trace.http.request.duration{service:checkout,env:prod} > 2",
      "Checkout p99 latency is above 2s. @pagerduty-payments",
      ["team:payments", "env:prod", "service:checkout"],
      "OK",
      1,
    ),
    base(
      1003,
      "Error logs spike in payments",
      "log alert",
      'logs("service:payments status:error").index("*").rollup("count").last("5m") > 100',
      "More than 100 error logs in 5 minutes. @slack-payments",
      ["team:payments", "env:prod", "service:payments"],
      "Warn",
      2,
    ),
    base(
      1004,
      "Disk space low on db hosts",
      "metric alert",
      "avg(last_15m):avg:system.disk.in_use{role:db} by {host,device} > 0.9",
      "Disk {{device.name}} on {{host.name}} is over 90% full.",
      ["team:data", "env:prod"],
      "No Data",
      3,
    ),
    base(
      1005,
      "Staging API health check",
      "service check",
      '"http.can_connect".over("env:staging").by("url").last(3).count_by_status()',
      "The staging API is unreachable.",
      ["team:platform", "env:staging", "service:api"],
      "OK",
      null,
    ),
    base(
      1006,
      "Terminal \u001b[31mred\u001b[0m \u001b]0;pwned\u0007 injection monitor",
      "metric alert",
      "avg(last_5m):avg:system.load.1{*} > 10",
      "Escapes in a message \u001b[2J\u001b[H should be shown inert.",
      ["team:security", "env:prod"],
      "Alert",
      null,
    ),
  ];
}

interface LogEntry {
  id: string;
  timestampMs: number;
  status: string;
  service: string;
  host: string;
  message: string;
  tags: string[];
}

const LOG_TEMPLATES: Array<[string, string, string, string]> = [
  ["info", "web-store", "web-1", "GET /cart 200 in 35ms"],
  ["error", "payments", "web-2", "payment declined: card_expired for order 8812"],
  ["warn", "checkout", "web-1", "slow upstream: inventory answered in 1450ms"],
  ["info", "api", "api-1", "user 42 signed in"],
  ["error", "checkout", "web-2", "timeout calling payments after 30000ms"],
  ["info", "payments", "web-1", "refund issued for order 8790"],
  ["info", "web-store", "web-2", "GET /product/17 200 in 12ms"],
  ["warn", "api", "api-1", "rate limit close for key ending 9f2a"],
  ["error", "web-store", "web-1", "template render failed: \u001b[31mnil\u001b[0m item"],
];

/** 40 logs, one every 45 s back from `nowMs` (so "now-15m" finds 20, "now-1h" all 40). */
function seedLogs(nowMs: number): LogEntry[] {
  const end = Math.floor(nowMs / 1000) * 1000;
  const logs: LogEntry[] = [];
  for (let i = 0; i < 40; i++) {
    const [status, service, host, message] = LOG_TEMPLATES[i % LOG_TEMPLATES.length];
    logs.push({
      id: "AQAAAZ" + btoa(`fake-log-${String(i).padStart(4, "0")}`).replace(/=+$/, ""),
      timestampMs: end - i * 45_000,
      status,
      service,
      host,
      message,
      tags: [`env:${i % 5 === 4 ? "staging" : "prod"}`, `service:${service}`, `host:${host}`],
    });
  }
  return logs;
}

/** Parses `now`, `now-15m`, an ISO date, or epoch milliseconds (number or digits). */
function parseLogTime(v: unknown, nowMs: number): number | null {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v !== "string" || v.trim() === "") return null;
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const rel = /^now(?:\s*-\s*(\d+)\s*([smhdw]))?$/.exec(s);
  if (rel) {
    if (!rel[1]) return nowMs;
    const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 }[rel[2] as "s"];
    return nowMs - Number(rel[1]) * unit;
  }
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(
    "^" + pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*") + "$",
    "i",
  );
  return re.test(value);
}

/** A small subset of Datadog's log search syntax: AND of `key:value` and words/phrases. */
function logMatches(query: string, log: LogEntry): boolean {
  const terms = query.match(/"[^"]*"|\S+/g) ?? [];
  return terms.every((term) => {
    if (term === "*") return true;
    if (term.startsWith('"')) {
      return log.message.toLowerCase().includes(term.slice(1, -1).toLowerCase());
    }
    const colon = term.indexOf(":");
    if (colon > 0) {
      const key = term.slice(0, colon);
      const value = term.slice(colon + 1);
      if (key === "service") return globMatch(value, log.service);
      if (key === "status") return globMatch(value, log.status);
      if (key === "host") return globMatch(value, log.host);
      return log.tags.some((t) => globMatch(`${key}:${value}`, t));
    }
    return log.message.toLowerCase().includes(term.toLowerCase());
  });
}

// ---------------------------------------------------------------------------------------------
// The core

/** Creates the fake's state, knobs and helpers (no socket). */
export function createFakeDatadogCore(options: FakeDatadogOptions = {}): FakeDatadogCore {
  const knobs: Knobs = {
    failNext: [],
    delayMs: {},
    authorizeError: null,
    authorizeStateOverride: null,
    rateLimitNext: 0,
    metadata: null,
    grantedScopes: null,
    apiKey: "test-api-key",
    appKey: "test-app-key",
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600,
    publicClient: options.publicClient ?? false,
    rotateRefreshTokens: true,
    bindRefreshTokensToClient: true,
    clockOffsetMs: 0,
    deviceIntervalSeconds: 5,
  };
  const state: FakeState = {
    clients: new Map(),
    codes: new Map(),
    families: new Map(),
    accessTokens: new Map(),
    refreshTokens: new Map(),
    authorizations: [],
    devices: new Map(),
  };
  const requests: RecordedRequest[] = [];
  const wakers = new Set<() => void>();
  const now = () => Date.now() + knobs.clockOffsetMs;

  const registerClient = (opts: { public?: boolean } = {}): Client => {
    const isPublic = opts.public ?? knobs.publicClient;
    const client: Client = {
      client_id: crypto.randomUUID(),
      client_id_issued_at: Math.floor(Date.now() / 1000),
      client_secret_expires_at: 0,
      client_name: EXPECTED_DCR.client_name,
      redirect_uris: [...EXPECTED_DCR.redirect_uris],
      grant_types: [...EXPECTED_DCR.grant_types],
      response_types: [...EXPECTED_DCR.response_types],
      token_endpoint_auth_method: isPublic ? "none" : "client_secret_post",
    };
    if (!isPublic) client.client_secret = randomToken("fake_cs_");
    state.clients.set(client.client_id, client);
    return client;
  };

  const issueTokens = (
    opts: { clientId?: string; scope?: string; ttlSeconds?: number } = {},
  ): IssuedTokens => {
    let client = opts.clientId ? state.clients.get(opts.clientId) : undefined;
    if (opts.clientId && !client) throw new Error(`fake datadog: unknown client ${opts.clientId}`);
    client ??= registerClient();
    const family = newFamily(
      client.client_id,
      grantScope(opts.scope ?? DEFAULT_SCOPES.join(" ")),
      "refresh_token_seed",
    );
    const pair = mint(family, true, opts.ttlSeconds);
    return {
      ...pair,
      refresh_token: pair.refresh_token!,
      client_id: client.client_id,
      ...(client.client_secret ? { client_secret: client.client_secret } : {}),
    };
  };

  const grantScope = (requested: string): string => {
    const scopes = splitScopes(requested);
    const granted = knobs.grantedScopes;
    return (granted ? scopes.filter((s) => granted.includes(s)) : scopes).join(" ");
  };

  const newFamily = (clientId: string, scope: string, source: TokenFamily["source"]) => {
    const family: TokenFamily = {
      id: crypto.randomUUID(),
      clientId,
      scope,
      source,
      revoked: false,
      accessTokens: [],
      refreshTokens: [],
    };
    state.families.set(family.id, family);
    return family;
  };

  /** Issues an access token (and a refresh token when `withRefresh`) in `family`. */
  const mint = (family: TokenFamily, withRefresh: boolean, ttlSeconds?: number) => {
    const ttl = ttlSeconds ?? knobs.accessTokenTtlSeconds;
    const access: AccessToken = {
      token: randomToken("fake_at_"),
      clientId: family.clientId,
      familyId: family.id,
      scope: family.scope,
      expiresAt: now() + ttl * 1000,
      revoked: false,
    };
    state.accessTokens.set(access.token, access);
    family.accessTokens.push(access.token);
    let refresh: RefreshToken | undefined;
    if (withRefresh) {
      refresh = {
        token: randomToken("fake_rt_"),
        clientId: family.clientId,
        familyId: family.id,
        expiresAt: now() + REFRESH_TTL_MS,
        status: "active",
      };
      state.refreshTokens.set(refresh.token, refresh);
      family.refreshTokens.push(refresh.token);
    }
    return {
      access_token: access.token,
      ...(refresh ? { refresh_token: refresh.token } : {}),
      token_type: "Bearer" as const,
      expires_in: ttl,
      scope: family.scope,
    };
  };

  const revokeFamily = (familyId: string | null) => {
    const family = familyId ? state.families.get(familyId) : undefined;
    if (!family) return;
    family.revoked = true;
    for (const t of family.accessTokens) state.accessTokens.get(t)!.revoked = true;
    for (const t of family.refreshTokens) state.refreshTokens.get(t)!.status = "revoked";
  };

  const core: FakeDatadogCore & Internals = {
    requests,
    count: (method, path) =>
      requests.filter((r) => r.method === method.toUpperCase() && r.path === path).length,
    knobs,
    state,
    registerClient,
    issueTokens,
    expireAccessToken(accessToken) {
      const rec = state.accessTokens.get(accessToken);
      if (!rec) throw new Error("fake datadog: expireAccessToken: unknown access token");
      rec.expiresAt = Number.NEGATIVE_INFINITY;
    },
    decideDevice(decision, userCode) {
      const grants = [...state.devices.values()].filter((d) =>
        d.status === "pending" && (userCode === undefined || d.userCode === userCode)
      );
      const grant = grants.at(-1);
      if (!grant) throw new Error("fake datadog: no pending device authorization");
      grant.status = decision === "approve" ? "approved" : "denied";
    },
    now,
    cancelDelays() {
      for (const wake of [...wakers]) wake();
    },
    // Internals used by the app.
    grantScope,
    newFamily,
    mint,
    revokeFamily,
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          wakers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, ms);
        wakers.add(wake);
      }),
  };
  return core;
}

interface Internals {
  grantScope(requested: string): string;
  newFamily(clientId: string, scope: string, source: TokenFamily["source"]): TokenFamily;
  mint(
    family: TokenFamily,
    withRefresh: boolean,
    ttlSeconds?: number,
  ): {
    access_token: string;
    refresh_token?: string;
    token_type: "Bearer";
    expires_in: number;
    scope: string;
  };
  revokeFamily(familyId: string | null): void;
  sleep(ms: number): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// The app

/** Hono's environment for the fake: the request body, read once by the recorder. */
export type Env = { Variables: { body: string } };
type C = Context<Env>;

function oauthError(c: C, status: 400 | 401, error: string, description: string): Response {
  c.header("Cache-Control", "no-store");
  c.header("Pragma", "no-cache");
  return c.json({ error, error_description: description }, status);
}

function htmlPage(c: C, status: 200 | 400, title: string, text: string): Response {
  return c.html(
    `<!doctype html><html><head><title>${escapeHtml(title)}</title></head>` +
      `<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>`,
    status,
  );
}

const API_SCOPES: Array<[RegExp, string]> = [
  [/^\/api\/v1\/monitor(\/[^/]+)?$/, "monitors_read"],
  [/^\/api\/v2\/logs\/events\/search$/, "logs_read_data"],
  [/^\/api\/v1\/query$/, "timeseries_query"],
];

/**
 * The fake as a Hono app, serving `core` (a new one with default options when omitted).
 * Tests may call `app.request()` directly, with no socket.
 */
export function fakeDatadogApp(core: FakeDatadogCore = createFakeDatadogCore()): Hono<Env> {
  const fake = core as FakeDatadogCore & Internals;
  const { knobs, state } = fake;
  const app = new Hono<Env>();

  // Record every request, then apply delays, canned failures and rate limits, in that order.
  app.use("*", async (c, next) => {
    const body = await c.req.text();
    c.set("body", body);
    const url = new URL(c.req.url);
    fake.requests.push({
      method: c.req.method,
      path: url.pathname,
      url: c.req.url,
      headers: Object.fromEntries(c.req.raw.headers),
      body,
      at: Date.now(),
    });
    const delay = knobs.delayMs[url.pathname];
    if (delay && delay > 0) await fake.sleep(delay);

    const i = knobs.failNext.findIndex((r) =>
      r.path === url.pathname && (!r.method || r.method.toUpperCase() === c.req.method)
    );
    if (i >= 0) {
      const rule = knobs.failNext[i];
      const left = (rule.times ?? 1) - 1;
      if (left <= 0) knobs.failNext.splice(i, 1);
      else rule.times = left;
      const defaultBody = url.pathname.startsWith("/oauth2/")
        ? JSON.stringify({ error: "server_error", error_description: "injected failure" })
        : JSON.stringify({ errors: ["Injected failure"] });
      return new Response(rule.body ?? defaultBody, {
        status: rule.status,
        headers: { "content-type": "application/json", ...rule.headers },
      });
    }

    const isApi = url.pathname.startsWith("/api/") && url.pathname !== "/api/v2/oauth2/register";
    if (isApi && knobs.rateLimitNext > 0) {
      knobs.rateLimitNext--;
      return c.json({ errors: ["Rate limit exceeded"] }, 429, {
        "Retry-After": "1",
        "X-RateLimit-Limit": "100",
        "X-RateLimit-Period": "10",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "1",
        "X-RateLimit-Name": "fake_api",
      });
    }
    await next();
  });

  // ---- Dynamic Client Registration (RFC 7591), CONTRACT §3.
  app.post("/api/v2/oauth2/register", (c) => {
    const bad = (description: string) =>
      c.json({ error: "invalid_client_metadata", error_description: description }, 400);
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      return bad("Content-Type must be application/json");
    }
    let body: unknown;
    try {
      body = JSON.parse(c.var.body);
    } catch {
      return bad("body is not valid JSON");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return bad("body must be a JSON object");
    }
    const b = body as Record<string, unknown>;
    const expectedKeys = Object.keys(EXPECTED_DCR);
    const extra = Object.keys(b).filter((k) => !expectedKeys.includes(k));
    if (extra.length) return bad(`unexpected fields: ${extra.join(", ")}`);
    for (const [key, want] of Object.entries(EXPECTED_DCR)) {
      const got = b[key];
      const ok = Array.isArray(want)
        ? Array.isArray(got) && sameSet(got, want as readonly string[])
        : got === want;
      if (!ok) return bad(`${key} must be ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
    }
    const client = fake.registerClient();
    return c.json(client, 201);
  });

  // ---- Authorize: validates, then approves at once with a 302 to the redirect URI.
  app.get("/oauth2/v1/authorize", (c) => {
    const url = new URL(c.req.url);
    const params = singleParams(url.searchParams);
    if (typeof params === "string") {
      return htmlPage(c, 400, "Invalid request", `parameter ${params} is repeated`);
    }
    const p = (k: string) => params.get(k) ?? "";
    const client = state.clients.get(p("client_id"));
    if (!client) return htmlPage(c, 400, "Invalid request", "unknown client_id");
    const redirectUri = p("redirect_uri");
    if (!client.redirect_uris.includes(redirectUri)) {
      // Never redirect to a URI that is not registered exactly.
      return htmlPage(c, 400, "Invalid request", "redirect_uri is not registered for this client");
    }
    const problems: string[] = [];
    if (p("response_type") !== "code") problems.push("response_type must be code");
    if (!CHALLENGE_RE.test(p("code_challenge"))) {
      problems.push("code_challenge must be 43 base64url characters");
    }
    if (p("code_challenge_method") !== "S256") problems.push("code_challenge_method must be S256");
    if (p("state") === "") problems.push("state is required");
    if (splitScopes(p("scope")).length === 0) problems.push("scope is required");
    if (problems.length) return htmlPage(c, 400, "Invalid request", problems.join("; "));

    const record: AuthorizationRecord = {
      clientId: client.client_id,
      redirectUri,
      scope: p("scope"),
      state: p("state"),
      codeChallenge: p("code_challenge"),
      ddOid: params.get("dd_oid") ?? null,
      code: null,
      error: null,
      at: Date.now(),
    };
    state.authorizations.push(record);
    const target = new URL(redirectUri);
    const returnedState = knobs.authorizeStateOverride ?? record.state;
    if (knobs.authorizeError !== null) {
      record.error = knobs.authorizeError;
      target.searchParams.set("error", knobs.authorizeError);
      target.searchParams.set("error_description", "The user denied the authorization request");
      target.searchParams.set("state", returnedState);
    } else {
      const code = randomToken("fake_code_", 24);
      record.code = code;
      state.codes.set(code, {
        code,
        clientId: client.client_id,
        redirectUri,
        codeChallenge: record.codeChallenge,
        scope: record.scope,
        ddOid: record.ddOid,
        expiresAt: fake.now() + CODE_TTL_MS,
        used: false,
        familyId: null,
      });
      target.searchParams.set("code", code);
      target.searchParams.set("state", returnedState);
    }
    c.header("Cache-Control", "no-store");
    return c.redirect(target.toString(), 302);
  });

  /** Reads a form body and authenticates the client (client_secret_post, or none if public). */
  const formAndClient = (c: C): { form: Map<string, string>; client: Client } | Response => {
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) {
      return oauthError(
        c,
        400,
        "invalid_request",
        "Content-Type must be application/x-www-form-urlencoded",
      );
    }
    const form = singleParams(new URLSearchParams(c.var.body));
    if (typeof form === "string") {
      return oauthError(c, 400, "invalid_request", `parameter ${form} is repeated`);
    }
    if (c.req.header("authorization")) {
      // The client registered client_secret_post; a second method is forbidden (RFC 6749 §2.3).
      return oauthError(c, 400, "invalid_request", "use client_secret_post only");
    }
    const client = state.clients.get(form.get("client_id") ?? "");
    if (!client) return oauthError(c, 401, "invalid_client", "unknown client");
    const secret = form.get("client_secret");
    if (client.client_secret === undefined) {
      if (secret !== undefined) {
        return oauthError(c, 401, "invalid_client", "public client must not send client_secret");
      }
    } else if (secret !== client.client_secret) {
      return oauthError(c, 401, "invalid_client", "client authentication failed");
    }
    return { form, client };
  };

  const tokenAnswer = (c: C, body: Record<string, unknown>): Response => {
    c.header("Cache-Control", "no-store");
    c.header("Pragma", "no-cache");
    return c.json(body, 200);
  };

  // ---- Token endpoint: code exchange, refresh (rotation + reuse detection), device code.
  app.post("/oauth2/v1/token", async (c) => {
    const authed = formAndClient(c);
    if (authed instanceof Response) return authed;
    const { form } = authed;
    const grantType = form.get("grant_type");
    if (!grantType) return oauthError(c, 400, "invalid_request", "grant_type is required");

    if (grantType === "authorization_code") {
      const code = form.get("code");
      const redirectUri = form.get("redirect_uri");
      const verifier = form.get("code_verifier");
      if (!code || !redirectUri || !verifier) {
        return oauthError(
          c,
          400,
          "invalid_request",
          "code, redirect_uri and code_verifier are required",
        );
      }
      if (!VERIFIER_RE.test(verifier)) {
        return oauthError(c, 400, "invalid_grant", "code_verifier is malformed");
      }
      // Hash first: everything after this await runs without interleaving, so two racing
      // exchanges of one code cannot both succeed.
      const challenge = await s256(verifier);
      const client = state.clients.get(authed.client.client_id);
      if (!client) return oauthError(c, 401, "invalid_client", "unknown client");
      const rec = state.codes.get(code);
      if (!rec) return oauthError(c, 400, "invalid_grant", "unknown authorization code");
      if (rec.used) {
        // RFC 6749 §4.1.2: a replayed code revokes the tokens issued from it.
        fake.revokeFamily(rec.familyId);
        return oauthError(c, 400, "invalid_grant", "authorization code already used");
      }
      if (rec.clientId !== client.client_id) {
        return oauthError(c, 400, "invalid_grant", "code was issued to another client");
      }
      if (fake.now() > rec.expiresAt) {
        return oauthError(c, 400, "invalid_grant", "authorization code expired");
      }
      if (redirectUri !== rec.redirectUri) {
        return oauthError(c, 400, "invalid_grant", "redirect_uri does not match");
      }
      if (challenge !== rec.codeChallenge) {
        return oauthError(c, 400, "invalid_grant", "PKCE verification failed");
      }
      rec.used = true;
      const family = fake.newFamily(
        client.client_id,
        fake.grantScope(rec.scope),
        "authorization_code",
      );
      rec.familyId = family.id;
      return tokenAnswer(c, fake.mint(family, true));
    }

    if (grantType === "refresh_token") {
      const token = form.get("refresh_token");
      if (!token) return oauthError(c, 400, "invalid_request", "refresh_token is required");
      const rec = state.refreshTokens.get(token);
      if (!rec) return oauthError(c, 400, "invalid_grant", "unknown refresh token");
      if (knobs.bindRefreshTokensToClient && rec.clientId !== authed.client.client_id) {
        return oauthError(c, 400, "invalid_grant", "refresh token was issued to another client");
      }
      if (rec.status === "rotated") {
        // Reuse detection: a rotated token came back, so someone holds a copy. Kill the family.
        fake.revokeFamily(rec.familyId);
        return oauthError(c, 400, "invalid_grant", "refresh token already used");
      }
      if (rec.status === "revoked") {
        return oauthError(c, 400, "invalid_grant", "refresh token revoked");
      }
      if (fake.now() > rec.expiresAt) {
        return oauthError(c, 400, "invalid_grant", "refresh token expired");
      }
      const family = state.families.get(rec.familyId)!;
      family.scope = fake.grantScope(family.scope);
      if (knobs.rotateRefreshTokens) rec.status = "rotated";
      return tokenAnswer(c, fake.mint(family, knobs.rotateRefreshTokens));
    }

    if (grantType === DEVICE_GRANT) {
      const deviceCode = form.get("device_code");
      if (!deviceCode) return oauthError(c, 400, "invalid_request", "device_code is required");
      const grant = state.devices.get(deviceCode);
      if (!grant || grant.clientId !== authed.client.client_id) {
        return oauthError(c, 400, "invalid_grant", "unknown device_code");
      }
      const t = fake.now();
      if (t > grant.expiresAt) return oauthError(c, 400, "expired_token", "device code expired");
      if (grant.status === "used") {
        return oauthError(c, 400, "invalid_grant", "device code already used");
      }
      if (grant.status === "denied") {
        return oauthError(c, 400, "access_denied", "the user denied the request");
      }
      // Polling faster than `interval` earns slow_down and 5 more seconds (RFC 8628 §3.5); a
      // little slack keeps timer jitter from making tests flaky.
      const early = grant.lastPollAt !== null && grant.intervalSeconds > 0 &&
        t - grant.lastPollAt < grant.intervalSeconds * 1000 - 100;
      grant.lastPollAt = t;
      if (early) {
        grant.intervalSeconds += 5;
        return oauthError(c, 400, "slow_down", "polling too fast");
      }
      if (grant.status === "pending") {
        return oauthError(c, 400, "authorization_pending", "waiting for the user");
      }
      grant.status = "used";
      const family = fake.newFamily(grant.clientId, fake.grantScope(grant.scope), "device_code");
      return tokenAnswer(c, fake.mint(family, true));
    }

    return oauthError(c, 400, "unsupported_grant_type", `grant_type ${grantType} not supported`);
  });

  // ---- Revocation (RFC 7009), offered only through metadata.
  app.post("/oauth2/v1/revoke", (c) => {
    const authed = formAndClient(c);
    if (authed instanceof Response) return authed;
    const token = authed.form.get("token");
    if (!token) return oauthError(c, 400, "invalid_request", "token is required");
    const refresh = state.refreshTokens.get(token);
    const access = state.accessTokens.get(token);
    // Tokens of other clients and unknown tokens are ignored silently (RFC 7009 §2.2).
    if (refresh && refresh.clientId === authed.client.client_id) {
      fake.revokeFamily(refresh.familyId);
    } else if (access && access.clientId === authed.client.client_id) {
      access.revoked = true;
    }
    return c.body(null, 200);
  });

  // ---- Device authorization (RFC 8628), offered only through metadata.
  app.post("/oauth2/v1/device/authorize", (c) => {
    const authed = formAndClient(c);
    if (authed instanceof Response) return authed;
    const scope = authed.form.get("scope") ?? "";
    if (splitScopes(scope).length === 0) {
      return oauthError(c, 400, "invalid_request", "scope is required");
    }
    const letters = "BCDFGHJKLMNPQRSTVWXZ";
    const pick = crypto.getRandomValues(new Uint8Array(8));
    const chars = [...pick].map((b) => letters[b % letters.length]).join("");
    const userCode = `${chars.slice(0, 4)}-${chars.slice(4)}`;
    const grant: DeviceGrant = {
      deviceCode: randomToken("fake_dc_"),
      userCode,
      clientId: authed.client.client_id,
      scope,
      expiresAt: fake.now() + DEVICE_TTL_SECONDS * 1000,
      intervalSeconds: knobs.deviceIntervalSeconds,
      lastPollAt: null,
      status: "pending",
    };
    state.devices.set(grant.deviceCode, grant);
    const origin = new URL(c.req.url).origin;
    c.header("Cache-Control", "no-store");
    return c.json({
      device_code: grant.deviceCode,
      user_code: userCode,
      verification_uri: `${origin}/oauth2/v1/device`,
      verification_uri_complete: `${origin}/oauth2/v1/device?user_code=${userCode}`,
      expires_in: DEVICE_TTL_SECONDS,
      interval: grant.intervalSeconds,
    });
  });

  // Visiting the verification page decides at once, as the authorize page does.
  app.get("/oauth2/v1/device", (c) => {
    const userCode = c.req.query("user_code") ?? "";
    const grant = [...state.devices.values()].find((d) => d.userCode === userCode);
    if (!grant || grant.status !== "pending" || fake.now() > grant.expiresAt) {
      return htmlPage(c, 400, "Invalid code", "unknown, used or expired user code");
    }
    grant.status = knobs.authorizeError === null ? "approved" : "denied";
    return htmlPage(c, 200, "Device " + grant.status, "You may close this window.");
  });

  // ---- RFC 8414 metadata: 404 unless a test offers some.
  app.get(
    "/.well-known/oauth-authorization-server",
    (c) =>
      knobs.metadata === null
        ? c.json({ errors: ["Not found"] }, 404)
        : c.json(knobs.metadata, 200),
  );

  // ---- API authentication: bearer token, or both API and application keys.
  app.use("/api/*", async (c, next) => {
    const path = c.req.path;
    if (path === "/api/v2/oauth2/register") return await next();
    const authz = c.req.header("authorization");
    // A bearer header decides alone, even beside keys: pup sends one kind, never both.
    if (authz !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(authz.trim());
      const rec = m ? state.accessTokens.get(m[1]) : undefined;
      const valid = rec && !rec.revoked && fake.now() < rec.expiresAt;
      if (!valid) {
        return c.json({ errors: ["Unauthorized"] }, 401, {
          "WWW-Authenticate": 'Bearer error="invalid_token"',
        });
      }
      const needed = API_SCOPES.find(([re]) => re.test(path))?.[1];
      if (needed) {
        const scopes = splitScopes(rec.scope);
        const allowed = scopes.includes(needed) &&
          (knobs.grantedScopes === null || knobs.grantedScopes.includes(needed));
        if (!allowed) return c.json({ errors: [`Forbidden: missing scope ${needed}`] }, 403);
      }
      return await next();
    }
    const apiKey = c.req.header("dd-api-key");
    const appKey = c.req.header("dd-application-key");
    if (apiKey !== knobs.apiKey || appKey !== knobs.appKey) {
      return c.json({ errors: ["Unauthorized"] }, 401);
    }
    return await next();
  });

  app.get("/api/v1/validate", (c) => c.json({ valid: true }));

  app.get("/api/v1/monitor", (c) => {
    const q = (k: string) => c.req.query(k);
    let monitors = seedMonitors();
    const name = q("name");
    if (name) monitors = monitors.filter((m) => m.name.toLowerCase().includes(name.toLowerCase()));
    for (const param of ["monitor_tags", "tags"]) {
      const wanted = (q(param) ?? "").split(",").map((t) => t.trim()).filter((t) => t);
      monitors = monitors.filter((m) => wanted.every((t) => m.tags.includes(t)));
    }
    const pageSize = q("page_size");
    const page = q("page");
    if (pageSize !== undefined || page !== undefined) {
      const size = Number(pageSize ?? 100);
      const index = Number(page ?? 0);
      if (!Number.isInteger(size) || size < 1 || size > 1000) {
        return c.json({ errors: ["page_size must be an integer between 1 and 1000"] }, 400);
      }
      if (!Number.isInteger(index) || index < 0) {
        return c.json({ errors: ["page must be a non-negative integer"] }, 400);
      }
      monitors = monitors.slice(index * size, index * size + size);
    }
    return c.json(monitors);
  });

  app.get("/api/v1/monitor/:id", (c) => {
    const monitor = seedMonitors().find((m) => String(m.id) === c.req.param("id"));
    return monitor ? c.json(monitor) : c.json({ errors: ["Monitor not found"] }, 404);
  });

  app.post("/api/v2/logs/events/search", (c) => {
    let body: Record<string, unknown> = {};
    if (c.var.body.trim() !== "") {
      try {
        body = JSON.parse(c.var.body);
      } catch {
        body = null as unknown as Record<string, unknown>;
      }
      if (typeof body !== "object" || body === null || Array.isArray(body)) {
        return c.json({ errors: ["Invalid JSON body: expected an object"] }, 400);
      }
    }
    const filter = (body.filter ?? {}) as Record<string, unknown>;
    const pageIn = (body.page ?? {}) as Record<string, unknown>;
    const t = fake.now();
    const from = parseLogTime(filter.from ?? "now-15m", t);
    const to = parseLogTime(filter.to ?? "now", t);
    if (from === null) return c.json({ errors: ["Invalid filter.from"] }, 400);
    if (to === null) return c.json({ errors: ["Invalid filter.to"] }, 400);
    const limit = pageIn.limit === undefined ? 10 : Number(pageIn.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 5000) {
      return c.json({ errors: ["page.limit must be an integer between 1 and 5000"] }, 400);
    }
    let offset = 0;
    if (pageIn.cursor !== undefined) {
      const m = typeof pageIn.cursor === "string"
        ? /^fake-cursor-(\d+)$/.exec(safeAtob(pageIn.cursor))
        : null;
      if (!m) return c.json({ errors: ["Invalid page.cursor"] }, 400);
      offset = Number(m[1]);
    }
    const query = typeof filter.query === "string" ? filter.query : "*";
    const matched = seedLogs(t)
      .filter((l) => l.timestampMs >= from && l.timestampMs <= to && logMatches(query, l))
      .sort((a, b) =>
        body.sort === "timestamp" ? a.timestampMs - b.timestampMs : b.timestampMs - a.timestampMs
      );
    const slice = matched.slice(offset, offset + limit);
    const more = offset + limit < matched.length;
    const after = more ? btoa(`fake-cursor-${offset + limit}`) : undefined;
    return c.json({
      data: slice.map((l) => ({
        id: l.id,
        type: "log",
        attributes: {
          timestamp: new Date(l.timestampMs).toISOString(),
          status: l.status,
          service: l.service,
          message: l.message,
          host: l.host,
          tags: l.tags,
          attributes: {},
        },
      })),
      meta: {
        elapsed: 12,
        request_id: "fake-" + crypto.randomUUID(),
        status: "done",
        page: after ? { after } : {},
      },
      ...(after
        ? {
          links: { next: `${new URL(c.req.url).origin}/api/v2/logs/events?page[cursor]=${after}` },
        }
        : {}),
    });
  });

  app.get("/api/v1/query", (c) => {
    const query = c.req.query("query");
    const fromS = c.req.query("from");
    const toS = c.req.query("to");
    if (!fromS || !toS) {
      return c.json({ errors: ["Parameters 'from' and 'to' are required"] }, 400);
    }
    if (!query) return c.json({ errors: ["Parameter 'query' is required"] }, 400);
    const from = Number(fromS);
    const to = Number(toS);
    if (!Number.isInteger(from) || !Number.isInteger(to) || from >= to) {
      return c.json({ errors: ["'from' and 'to' must be epoch seconds with from < to"] }, 400);
    }
    const m =
      /^\s*(?:(avg|sum|min|max|count):)?([A-Za-z0-9_.]+)\{([^}]*)\}(?:\s*by\s*\{([^}]*)\})?\s*$/
        .exec(query);
    if (!m) return c.json({ errors: [`Error parsing query: ${query}`] }, 400);
    const [, aggr, metric, scopeIn, byIn] = m;
    const scopeTags = scopeIn.split(",").map((s) => s.trim()).filter((s) => s && s !== "*");
    const groupKeys = (byIn ?? "").split(",").map((s) => s.trim()).filter((s) => s);
    const groups: string[][] = groupKeys.length
      ? [1, 2].map((n) =>
        groupKeys.map((k) => `${k}:${k === "host" ? `web-${n}` : `${k}-${"ab"[n - 1]}`}`)
      )
      : [[]];
    const interval = Math.max(1, Math.ceil((to - from) / 100));
    const series = groups.map((tagSet, idx) => {
      const pointlist: Array<[number, number]> = [];
      for (let s = Math.ceil(from / interval) * interval; s <= to; s += interval) {
        const v = 50 + 25 * Math.sin((s / 3600) * 2 * Math.PI + idx);
        pointlist.push([s * 1000, Math.round(v * 1000) / 1000]);
      }
      const scopeList = [...scopeTags, ...tagSet];
      const scope = scopeList.length ? scopeList.join(",") : "*";
      return {
        metric,
        display_name: metric,
        pointlist,
        scope,
        expression: tagSet.length ? `${aggr ? aggr + ":" : ""}${metric}{${scope}}` : query.trim(),
        tag_set: tagSet,
        unit: null,
        aggr: aggr ?? null,
        start: pointlist.length ? pointlist[0][0] : from * 1000,
        end: pointlist.length ? pointlist[pointlist.length - 1][0] : to * 1000,
        interval,
        length: pointlist.length,
        attributes: {},
        query_index: 0,
      };
    });
    return c.json({
      status: "ok",
      res_type: "time_series",
      resp_version: 1,
      query,
      message: "",
      group_by: groupKeys,
      from_date: from * 1000,
      to_date: to * 1000,
      series,
      values: [],
      times: [],
    });
  });

  app.notFound((c) =>
    c.req.path.startsWith("/api/")
      ? c.json({ errors: ["Not found"] }, 404)
      : c.text("404 Not Found", 404)
  );
  return app;
}

function safeAtob(s: string): string {
  try {
    return atob(s);
  } catch {
    return "";
  }
}

// ---------------------------------------------------------------------------------------------
// With a socket

/** Starts the fake on `127.0.0.1` (a free port unless `port` is given). Always `close()` it. */
export async function startFakeDatadog(
  options: FakeDatadogOptions & { port?: number } = {},
): Promise<FakeDatadog> {
  const core = createFakeDatadogCore(options);
  const app = fakeDatadogApp(core);
  const server = await serveHttp((req) => app.fetch(req), {
    hostname: "127.0.0.1",
    port: options.port ?? 0,
  });
  const site = `127.0.0.1:${server.port}`;
  return Object.assign(core, {
    site,
    url: `http://${site}`,
    app,
    async close() {
      // Sleeping handlers would hold a graceful shutdown open; wake them first.
      core.cancelDelays();
      await server.close();
    },
  });
}
