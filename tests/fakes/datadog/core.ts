/**
 * @module
 * The fake's state, knobs and helpers without a socket or routes: token minting, families,
 * registration, and the small encoding helpers the routes share.
 */
import type {
  AccessToken,
  Client,
  FakeDatadogCore,
  FakeDatadogOptions,
  FakeState,
  IssuedTokens,
  Knobs,
  RecordedRequest,
  RefreshToken,
  TokenFamily,
} from "./types.ts";

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

export const CODE_TTL_MS = 60_000;
export const REFRESH_TTL_MS = 30 * 24 * 3600_000;
export const DEVICE_TTL_SECONDS = 600;
export const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
/** RFC 7636 §4.1: 43–128 characters of the unreserved set. */
export const VERIFIER_RE = /^[A-Za-z0-9\-._~]{43,128}$/;
/** A BASE64URL(SHA-256) value is always 43 characters, unpadded. */
export const CHALLENGE_RE = /^[A-Za-z0-9_-]{43}$/;

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

export function randomToken(prefix: string, bytes = 32): string {
  return prefix + base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** `BASE64URL(SHA256(ascii))`, the S256 code challenge. */
export async function s256(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

export function splitScopes(scope: string): string[] {
  return scope.split(/\s+/).filter((s) => s !== "");
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

export function sameSet(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && new Set(a).size === a.length && b.every((x) => a.includes(x));
}

/** Form or query parameters as a map, or the name of one sent twice (RFC 6749 §3.1 forbids it). */
export function singleParams(params: URLSearchParams): Map<string, string> | string {
  const out = new Map<string, string>();
  for (const [k, v] of params) {
    if (out.has(k)) return k;
    out.set(k, v);
  }
  return out;
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
    pageCap: {},
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
    secrets: () =>
      [
        ...[...state.clients.values()].map((c) => c.client_secret ?? ""),
        ...state.accessTokens.keys(),
        ...state.refreshTokens.keys(),
        ...state.codes.keys(),
        ...state.devices.keys(),
      ].filter((s) => s !== ""),
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

/** Helpers the routes use, beside the public core. */
export interface Internals {
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

/** The core with its internals, as the routes see it. */
export type Fake = FakeDatadogCore & Internals;
