/**
 * @module
 * The fake's OAuth side: Dynamic Client Registration (CONTRACT §3), the authorize page (which
 * approves at once), the token endpoint (PKCE, refresh rotation with reuse detection, device
 * code), revocation, device authorization and RFC 8414 metadata.
 */
import type { Hono } from "hono";
import {
  CHALLENGE_RE,
  CODE_TTL_MS,
  DEVICE_GRANT,
  DEVICE_TTL_SECONDS,
  escapeHtml,
  EXPECTED_DCR,
  type Fake,
  randomToken,
  s256,
  sameSet,
  singleParams,
  splitScopes,
  VERIFIER_RE,
} from "./core.ts";
import type { AuthorizationRecord, C, Client, DeviceGrant, Env } from "./types.ts";

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

/** Registers the OAuth routes on `app`. */

/** A form body with its authenticated client. */
type Authed = { form: Map<string, string>; client: Client };

function formAndClient(
  c: C,
  state: Fake["state"],
): { form: Map<string, string>; client: Client } | Response {
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
}

function tokenAnswer(c: C, body: Record<string, unknown>): Response {
  c.header("Cache-Control", "no-store");
  c.header("Pragma", "no-cache");
  return c.json(body, 200);
}

/** `grant_type=authorization_code`: PKCE, one use, bound to client and redirect URI. */
async function codeGrant(c: C, fake: Fake, authed: Authed): Promise<Response> {
  const { state } = fake;
  const { form } = authed;
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

/** `grant_type=refresh_token`: rotation and reuse detection. */
function refreshGrant(c: C, fake: Fake, authed: Authed): Response {
  const { knobs, state } = fake;
  const { form } = authed;
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

/** The device code grant (RFC 8628 §3.4–3.5). */
function deviceGrant(c: C, fake: Fake, authed: Authed): Response {
  const { state } = fake;
  const { form } = authed;
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

/** DCR and the authorize page. */
function registrationAndAuthorize(app: Hono<Env>, fake: Fake): void {
  const { knobs, state } = fake;
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
}

/** The token endpoint: code exchange, refresh (rotation + reuse detection), device code. */
function tokenRoute(app: Hono<Env>, fake: Fake): void {
  app.post("/oauth2/v1/token", async (c) => {
    const authed = formAndClient(c, fake.state);
    if (authed instanceof Response) return authed;
    const grantType = authed.form.get("grant_type");
    if (!grantType) return oauthError(c, 400, "invalid_request", "grant_type is required");
    if (grantType === "authorization_code") return await codeGrant(c, fake, authed);
    if (grantType === "refresh_token") return refreshGrant(c, fake, authed);
    if (grantType === DEVICE_GRANT) return deviceGrant(c, fake, authed);
    return oauthError(c, 400, "unsupported_grant_type", `grant_type ${grantType} not supported`);
  });
}

/** Revocation, device authorization and metadata. */
function revokeDeviceAndMetadata(app: Hono<Env>, fake: Fake): void {
  const { knobs, state } = fake;
  // ---- Revocation (RFC 7009), offered only through metadata.
  app.post("/oauth2/v1/revoke", (c) => {
    const authed = formAndClient(c, state);
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
    const authed = formAndClient(c, state);
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
}

/** Registers the OAuth routes on `app`. */
export function oauthRoutes(app: Hono<Env>, fake: Fake): void {
  registrationAndAuthorize(app, fake);
  tokenRoute(app, fake);
  revokeDeviceAndMetadata(app, fake);
}
