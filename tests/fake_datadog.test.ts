/**
 * @module
 * Tests of the fake Datadog itself. Every other test trusts it to be as strict as Datadog on the
 * OAuth wire protocol (CONTRACT §2–§3) and to inject failures exactly as its knobs say, so its
 * rules are pinned down here, mostly through `app.request()` with no socket.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  API_SCOPES,
  type Client,
  createFakeDatadog,
  createFakeDatadogCore,
  DEFAULT_SCOPES,
  EXPECTED_DCR,
  fakeDatadogApp,
  type FakeDatadogCore,
  type FakeDatadogOptions,
  oauthMetadata,
  s256,
} from "./fakes/datadog.ts";
import { networkFetch } from "./fakes/network.ts";

// ---------------------------------------------------------------------------------------------
// Helpers: a minimal, independent OAuth client.

type App = ReturnType<typeof fakeDatadogApp>;

function setup(options: FakeDatadogOptions = {}): { fake: FakeDatadogCore; app: App } {
  const fake = createFakeDatadogCore(options);
  return { fake, app: fakeDatadogApp(fake) };
}

const UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

function makeVerifier(length = 128): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return [...bytes].map((b) => UNRESERVED[b % UNRESERVED.length]).join("");
}

const REDIRECT = "http://127.0.0.1:8080/callback";
const KEYS = { "DD-API-KEY": "test-api-key", "DD-APPLICATION-KEY": "test-app-key" };

async function register(app: App, body: unknown = EXPECTED_DCR): Promise<Response> {
  return await app.request("/api/v2/oauth2/register", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function registerOk(app: App): Promise<Client> {
  const res = await register(app);
  assert.equal(res.status, 201);
  return await res.json();
}

interface AuthorizeOpts {
  verifier?: string;
  redirectUri?: string;
  state?: string;
  scope?: string;
  extra?: Record<string, string>;
  omit?: string[];
}

async function authorizeUrl(client: Client, o: AuthorizeOpts = {}): Promise<string> {
  const params: Record<string, string> = {
    response_type: "code",
    client_id: client.client_id,
    redirect_uri: o.redirectUri ?? REDIRECT,
    state: o.state ?? "s".repeat(32),
    scope: o.scope ?? "monitors_read logs_read_data timeseries_query",
    code_challenge: await s256(o.verifier ?? makeVerifier()),
    code_challenge_method: "S256",
    ...o.extra,
  };
  for (const k of o.omit ?? []) delete params[k];
  return "/oauth2/v1/authorize?" + new URLSearchParams(params);
}

/** Authorizes and returns the redirect's URL. */
async function authorize(app: App, client: Client, o: AuthorizeOpts = {}): Promise<URL> {
  const res = await app.request(await authorizeUrl(client, o));
  assert.equal(res.status, 302, await res.clone().text());
  return new URL(res.headers.get("location")!);
}

async function postForm(
  app: App,
  path: string,
  params: Record<string, string | undefined>,
  headers: Record<string, string> = {},
): Promise<Response> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) body.set(k, v);
  return await app.request(path, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: body.toString(),
  });
}

function clientAuth(client: Client): Record<string, string | undefined> {
  return { client_id: client.client_id, client_secret: client.client_secret };
}

async function exchange(
  app: App,
  client: Client,
  code: string,
  verifier: string,
  redirectUri = REDIRECT,
): Promise<Response> {
  return await postForm(app, "/oauth2/v1/token", {
    grant_type: "authorization_code",
    code,
    redirect_uri: redirectUri,
    code_verifier: verifier,
    ...clientAuth(client),
  });
}

async function refresh(app: App, client: Client, refreshToken: string): Promise<Response> {
  return await postForm(app, "/oauth2/v1/token", {
    grant_type: "refresh_token",
    refresh_token: refreshToken,
    ...clientAuth(client),
  });
}

interface Tokens {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
}

/** The whole browser login; returns the client, tokens and the code used. */
async function login(
  app: App,
  o: AuthorizeOpts = {},
): Promise<{ client: Client; tokens: Tokens; code: string; verifier: string }> {
  const client = await registerOk(app);
  const verifier = makeVerifier();
  const location = await authorize(app, client, { ...o, verifier });
  const code = location.searchParams.get("code")!;
  const res = await exchange(app, client, code, verifier, o.redirectUri);
  assert.equal(res.status, 200, await res.clone().text());
  return { client, tokens: await res.json(), code, verifier };
}

async function api(
  app: App,
  path: string,
  auth: string | Record<string, string> | null,
  init: RequestInit = {},
): Promise<Response> {
  const headers: Record<string, string> = typeof auth === "string"
    ? { authorization: `Bearer ${auth}` }
    : auth ?? {};
  return await app.request(path, {
    ...init,
    headers: { ...headers, ...(init.headers as Record<string, string>) },
  });
}

async function expectOAuthError(res: Response, status: number, error: string): Promise<void> {
  const body = await res.text();
  assert.equal(res.status, status, body);
  assert.equal(JSON.parse(body).error, error, body);
}

// ---------------------------------------------------------------------------------------------

describe("dynamic client registration", () => {
  test("the contract's exact body registers a client with an id and a secret (201)", async () => {
    const { app, fake } = setup();
    const res = await register(app);
    assert.equal(res.status, 201);
    const body = await res.json();
    assert.match(body.client_id, /^[0-9a-f-]{36}$/);
    assert.equal(typeof body.client_secret, "string");
    assert.equal(body.client_name, "Datadog Pup CLI");
    assert.deepEqual(body.redirect_uris, EXPECTED_DCR.redirect_uris);
    assert.equal(body.token_endpoint_auth_method, "client_secret_post");
    assert.equal(fake.state.clients.get(body.client_id)?.client_secret, body.client_secret);
  });

  test("redirect URIs are accepted in any order", async () => {
    const { app } = setup();
    const res = await register(app, {
      ...EXPECTED_DCR,
      redirect_uris: [...EXPECTED_DCR.redirect_uris].reverse(),
    });
    assert.equal(res.status, 201);
  });

  test("a public-client fake registers clients without a secret", async () => {
    const { app } = setup({ publicClient: true });
    const body = await (await register(app)).json();
    assert.equal(body.client_secret, undefined);
    assert.equal(body.token_endpoint_auth_method, "none");
  });

  test("every deviation from the contract's body is rejected as invalid_client_metadata", async () => {
    const { app, fake } = setup();
    const bad: unknown[] = [
      { ...EXPECTED_DCR, client_name: "pup" },
      { ...EXPECTED_DCR, redirect_uris: EXPECTED_DCR.redirect_uris.slice(0, 3) },
      { ...EXPECTED_DCR, redirect_uris: ["http://127.0.0.1:8001/callback"] },
      {
        ...EXPECTED_DCR,
        redirect_uris: [...EXPECTED_DCR.redirect_uris, EXPECTED_DCR.redirect_uris[0]],
      },
      { ...EXPECTED_DCR, grant_types: ["authorization_code"] },
      { ...EXPECTED_DCR, response_types: ["token"] },
      { ...EXPECTED_DCR, token_endpoint_auth_method: "client_secret_basic" },
      { ...EXPECTED_DCR, scope: "monitors_read" },
      Object.fromEntries(Object.entries(EXPECTED_DCR).filter(([k]) => k !== "grant_types")),
      [EXPECTED_DCR],
      "{not json",
    ];
    for (const body of bad) {
      const res = await register(app, body);
      await expectOAuthError(res, 400, "invalid_client_metadata");
    }
    const wrongType = await app.request("/api/v2/oauth2/register", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify(EXPECTED_DCR),
    });
    await expectOAuthError(wrongType, 400, "invalid_client_metadata");
    assert.equal(fake.state.clients.size, 0);
  });
});

describe("authorize", () => {
  test("a valid request redirects to the redirect URI with a code and the same state", async () => {
    const { app, fake } = setup();
    const client = await registerOk(app);
    const location = await authorize(app, client, { state: "abc123" });
    assert.equal(location.origin + location.pathname, REDIRECT);
    assert.equal(location.searchParams.get("state"), "abc123");
    const code = location.searchParams.get("code")!;
    assert.ok(fake.state.codes.has(code));
    assert.equal(fake.state.authorizations.length, 1);
    assert.equal(fake.state.authorizations[0].ddOid, null);
  });

  test("dd_oid is recorded with the authorization", async () => {
    const { app, fake } = setup();
    const client = await registerOk(app);
    const oid = "11111111-2222-3333-4444-555555555555";
    await authorize(app, client, { extra: { dd_oid: oid } });
    assert.equal(fake.state.authorizations[0].ddOid, oid);
    assert.equal(fake.state.codes.get(fake.state.authorizations[0].code!)?.ddOid, oid);
  });

  test("an unknown client or unregistered redirect URI gets a 400 page, never a redirect", async () => {
    const { app } = setup();
    const client = await registerOk(app);
    const stranger = { ...client, client_id: "not-a-client" };
    const cases: Array<[Client, string]> = [
      [stranger, REDIRECT],
      [client, "http://127.0.0.1:8001/callback"],
      [client, "http://localhost:8080/callback"],
      [client, "http://127.0.0.1:8080/callback/"],
      [client, "http://127.0.0.1:8080/callback?x=1"],
      [client, "https://evil.example/callback"],
    ];
    for (const [c, redirectUri] of cases) {
      const res = await app.request(await authorizeUrl(c, { redirectUri }));
      assert.equal(res.status, 400, redirectUri);
      assert.equal(res.headers.get("location"), null);
      assert.match(res.headers.get("content-type") ?? "", /text\/html/);
    }
  });

  test("a missing or wrong PKCE, state, scope or response_type gets a 400 page", async () => {
    const { app, fake } = setup();
    const client = await registerOk(app);
    const cases: AuthorizeOpts[] = [
      { omit: ["state"] },
      { omit: ["scope"] },
      { scope: "   " },
      { omit: ["code_challenge"] },
      { omit: ["code_challenge_method"] },
      { extra: { code_challenge_method: "plain" } },
      { extra: { code_challenge: "too-short" } },
      { extra: { response_type: "token" } },
    ];
    for (const o of cases) {
      const res = await app.request(await authorizeUrl(client, o));
      assert.equal(res.status, 400, JSON.stringify(o));
      assert.equal(res.headers.get("location"), null);
    }
    const repeated = (await authorizeUrl(client)) + "&state=other";
    assert.equal((await app.request(repeated)).status, 400);
    assert.equal(fake.state.codes.size, 0);
  });

  test("the authorizeError knob redirects with that error, a description and the state", async () => {
    const { app, fake } = setup();
    const client = await registerOk(app);
    fake.knobs.authorizeError = "access_denied";
    const location = await authorize(app, client, { state: "xyz" });
    assert.equal(location.searchParams.get("error"), "access_denied");
    assert.ok(location.searchParams.get("error_description"));
    assert.equal(location.searchParams.get("state"), "xyz");
    assert.equal(location.searchParams.get("code"), null);
    assert.equal(fake.state.codes.size, 0);
  });

  test("the authorizeStateOverride knob replaces the state in the redirect", async () => {
    const { app, fake } = setup();
    const client = await registerOk(app);
    fake.knobs.authorizeStateOverride = "forged";
    const location = await authorize(app, client, { state: "real" });
    assert.equal(location.searchParams.get("state"), "forged");
    assert.ok(location.searchParams.get("code"));
  });
});

describe("token endpoint: authorization code", () => {
  test("the right verifier buys a Bearer pair that must not be cached", async () => {
    const { app } = setup();
    const client = await registerOk(app);
    const verifier = makeVerifier();
    const code = (await authorize(app, client, { verifier, scope: "monitors_read" }))
      .searchParams.get("code")!;
    const res = await exchange(app, client, code, verifier);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("cache-control"), "no-store");
    const body = await res.json();
    assert.equal(body.token_type, "Bearer");
    assert.equal(body.expires_in, 3600);
    assert.equal(body.scope, "monitors_read");
    assert.ok(body.access_token && body.refresh_token);
    assert.equal((await api(app, "/api/v1/validate", body.access_token)).status, 200);
  });

  test("S256 matches RFC 7636 Appendix B and that verifier completes a login", async () => {
    const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    assert.equal(await s256(verifier), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    const { app } = setup();
    const client = await registerOk(app);
    const code = (await authorize(app, client, { verifier })).searchParams.get("code")!;
    assert.equal((await exchange(app, client, code, verifier)).status, 200);
  });

  test("a wrong, malformed or missing verifier is refused", async () => {
    const { app } = setup();
    const client = await registerOk(app);
    const verifier = makeVerifier();
    const code = (await authorize(app, client, { verifier })).searchParams.get("code")!;
    await expectOAuthError(await exchange(app, client, code, makeVerifier()), 400, "invalid_grant");
    await expectOAuthError(
      await exchange(app, client, code, verifier.slice(0, 42)),
      400,
      "invalid_grant",
    );
    await expectOAuthError(
      await exchange(app, client, code, verifier + "x"),
      400,
      "invalid_grant",
    );
    await expectOAuthError(
      await exchange(app, client, code, verifier.slice(0, 127) + "+"),
      400,
      "invalid_grant",
    );
    await expectOAuthError(
      await postForm(app, "/oauth2/v1/token", {
        grant_type: "authorization_code",
        code,
        redirect_uri: REDIRECT,
        ...clientAuth(client),
      }),
      400,
      "invalid_request",
    );
    // The failures did not burn the code.
    assert.equal((await exchange(app, client, code, verifier)).status, 200);
  });

  test("a code is bound to its redirect URI, its client, and a 60-second lifetime", async () => {
    const { app, fake } = setup();
    const client = await registerOk(app);
    const other = await registerOk(app);
    const verifier = makeVerifier();
    const code = (await authorize(app, client, { verifier })).searchParams.get("code")!;
    await expectOAuthError(
      await exchange(app, client, code, verifier, "http://127.0.0.1:8000/callback"),
      400,
      "invalid_grant",
    );
    await expectOAuthError(await exchange(app, other, code, verifier), 400, "invalid_grant");
    await expectOAuthError(await exchange(app, client, "nope", verifier), 400, "invalid_grant");
    fake.knobs.clockOffsetMs = 61_000;
    await expectOAuthError(await exchange(app, client, code, verifier), 400, "invalid_grant");
    fake.knobs.clockOffsetMs = 59_000;
    assert.equal((await exchange(app, client, code, verifier)).status, 200);
  });

  test("a replayed code is refused and revokes the tokens issued from it", async () => {
    const { app } = setup();
    const { client, tokens, code, verifier } = await login(app);
    await expectOAuthError(await exchange(app, client, code, verifier), 400, "invalid_grant");
    assert.equal((await api(app, "/api/v1/validate", tokens.access_token)).status, 401);
    await expectOAuthError(await refresh(app, client, tokens.refresh_token), 400, "invalid_grant");
  });

  test("only a form body is accepted", async () => {
    const { app } = setup();
    const client = await registerOk(app);
    const res = await app.request("/oauth2/v1/token", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ grant_type: "refresh_token", ...clientAuth(client) }),
    });
    await expectOAuthError(res, 400, "invalid_request");
    const repeated = await app.request("/oauth2/v1/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `grant_type=refresh_token&grant_type=authorization_code&client_id=${client.client_id}`,
    });
    await expectOAuthError(repeated, 400, "invalid_request");
  });

  test("an unknown client, a wrong or missing secret, or Basic auth is refused", async () => {
    const { app } = setup();
    const client = await registerOk(app);
    const params = { grant_type: "refresh_token", refresh_token: "x" };
    await expectOAuthError(
      await postForm(app, "/oauth2/v1/token", { ...params, client_id: "nobody" }),
      401,
      "invalid_client",
    );
    await expectOAuthError(
      await postForm(app, "/oauth2/v1/token", {
        ...params,
        client_id: client.client_id,
        client_secret: "wrong",
      }),
      401,
      "invalid_client",
    );
    await expectOAuthError(
      await postForm(app, "/oauth2/v1/token", { ...params, client_id: client.client_id }),
      401,
      "invalid_client",
    );
    await expectOAuthError(
      await postForm(app, "/oauth2/v1/token", { ...params, ...clientAuth(client) }, {
        authorization: "Basic " + btoa(`${client.client_id}:${client.client_secret}`),
      }),
      400,
      "invalid_request",
    );
  });

  test("a public client logs in without a secret and is refused if it sends one", async () => {
    const { app } = setup({ publicClient: true });
    const { client, tokens } = await login(app);
    assert.equal(client.client_secret, undefined);
    const res = await postForm(app, "/oauth2/v1/token", {
      grant_type: "refresh_token",
      refresh_token: tokens.refresh_token,
      client_id: client.client_id,
      client_secret: "undefined",
    });
    await expectOAuthError(res, 401, "invalid_client");
    assert.equal((await refresh(app, client, tokens.refresh_token)).status, 200);
  });

  test("an unknown or missing grant type is refused", async () => {
    const { app } = setup();
    const client = await registerOk(app);
    await expectOAuthError(
      await postForm(app, "/oauth2/v1/token", {
        grant_type: "client_credentials",
        ...clientAuth(client),
      }),
      400,
      "unsupported_grant_type",
    );
    await expectOAuthError(
      await postForm(app, "/oauth2/v1/token", clientAuth(client)),
      400,
      "invalid_request",
    );
  });

  test("grantedScopes narrows the scopes a login is granted", async () => {
    const { app, fake } = setup();
    fake.knobs.grantedScopes = ["monitors_read", "dashboards_read"];
    const { tokens } = await login(app, { scope: "monitors_read logs_read_data" });
    assert.equal(tokens.scope, "monitors_read");
  });
});

describe("token endpoint: refresh", () => {
  test("each refresh rotates both tokens and the chain keeps working", async () => {
    const { app } = setup();
    const { client, tokens } = await login(app);
    const r1 = await refresh(app, client, tokens.refresh_token);
    assert.equal(r1.status, 200);
    assert.equal(r1.headers.get("cache-control"), "no-store");
    const t1 = await r1.json();
    assert.notEqual(t1.access_token, tokens.access_token);
    assert.notEqual(t1.refresh_token, tokens.refresh_token);
    assert.equal(t1.token_type, "Bearer");
    assert.equal(t1.scope, tokens.scope);
    const r2 = await refresh(app, client, t1.refresh_token);
    assert.equal(r2.status, 200);
    const t2 = await r2.json();
    assert.equal((await api(app, "/api/v1/validate", t2.access_token)).status, 200);
  });

  test("a rotated refresh token presented again revokes the whole family", async () => {
    const { app, fake } = setup();
    const { client, tokens } = await login(app);
    const t1 = await (await refresh(app, client, tokens.refresh_token)).json();
    await expectOAuthError(await refresh(app, client, tokens.refresh_token), 400, "invalid_grant");
    assert.equal((await api(app, "/api/v1/validate", t1.access_token)).status, 401);
    await expectOAuthError(await refresh(app, client, t1.refresh_token), 400, "invalid_grant");
    assert.equal(fake.count("POST", "/oauth2/v1/token"), 4);
  });

  test("two concurrent refreshes with one token leave one winner and a revoked family", async () => {
    const { app } = setup();
    const { client, tokens } = await login(app);
    const answers = await Promise.all([
      refresh(app, client, tokens.refresh_token),
      refresh(app, client, tokens.refresh_token),
    ]);
    assert.deepEqual(answers.map((r) => r.status).sort(), [200, 400]);
    const winner = await answers.find((r) => r.status === 200)!.json();
    assert.equal((await api(app, "/api/v1/validate", winner.access_token)).status, 401);
  });

  test("a refresh token works only for the client it was issued to", async () => {
    const { app } = setup();
    const { tokens } = await login(app);
    const other = await registerOk(app);
    await expectOAuthError(await refresh(app, other, tokens.refresh_token), 400, "invalid_grant");
    await expectOAuthError(await refresh(app, other, "made-up"), 400, "invalid_grant");
  });

  test("with rotation off a refresh omits refresh_token and the old one stays valid", async () => {
    const { app, fake } = setup();
    const { client, tokens } = await login(app);
    fake.knobs.rotateRefreshTokens = false;
    const t1 = await (await refresh(app, client, tokens.refresh_token)).json();
    assert.equal(t1.refresh_token, undefined);
    assert.ok(t1.access_token);
    assert.equal((await refresh(app, client, tokens.refresh_token)).status, 200);
  });

  test("grantedScopes set later also narrows what a refresh grants", async () => {
    const { app, fake } = setup();
    const { client, tokens } = await login(app, { scope: "monitors_read logs_read_data" });
    fake.knobs.grantedScopes = ["logs_read_data"];
    const t1 = await (await refresh(app, client, tokens.refresh_token)).json();
    assert.equal(t1.scope, "logs_read_data");
  });
});

describe("direct helpers", () => {
  test("issueTokens mints a working pair with a new client when none is given", async () => {
    const { app, fake } = setup();
    const issued = fake.issueTokens();
    assert.ok(fake.state.clients.has(issued.client_id));
    assert.equal(typeof issued.client_secret, "string");
    assert.equal((await api(app, "/api/v1/monitor", issued.access_token)).status, 200);
    const client = fake.state.clients.get(issued.client_id)!;
    assert.equal((await refresh(app, client, issued.refresh_token)).status, 200);
  });

  test("issueTokens honours clientId, scope and ttlSeconds", async () => {
    const { app, fake } = setup();
    const client = fake.registerClient();
    const issued = fake.issueTokens({
      clientId: client.client_id,
      scope: "logs_read_data",
      ttlSeconds: 10,
    });
    assert.equal(issued.client_id, client.client_id);
    assert.equal(issued.expires_in, 10);
    assert.equal((await api(app, "/api/v1/monitor", issued.access_token)).status, 403);
    fake.knobs.clockOffsetMs = 11_000;
    assert.equal((await api(app, "/api/v1/validate", issued.access_token)).status, 401);
    assert.throws(() => fake.issueTokens({ clientId: "nobody" }));
  });

  test("expireAccessToken makes the API reject that token with 401", async () => {
    const { app, fake } = setup();
    const issued = fake.issueTokens();
    const other = fake.issueTokens();
    fake.expireAccessToken(issued.access_token);
    const res = await api(app, "/api/v1/validate", issued.access_token);
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { errors: ["Unauthorized"] });
    assert.equal((await api(app, "/api/v1/validate", other.access_token)).status, 200);
    assert.throws(() => fake.expireAccessToken("unknown"));
  });

  test("secrets lists every client secret, token and code the fake handed out", async () => {
    const { app, fake } = setup();
    assert.deepEqual(fake.secrets(), []);
    const issued = fake.issueTokens();
    const { client, tokens, code } = await login(app);
    const secrets = fake.secrets();
    for (
      const s of [
        issued.client_secret!,
        issued.access_token,
        issued.refresh_token,
        client.client_secret!,
        tokens.access_token,
        tokens.refresh_token,
        code,
      ]
    ) {
      assert.ok(secrets.includes(s));
    }
    assert.ok(!secrets.includes(""));
  });

  test("access tokens expire after accessTokenTtlSeconds on the fake's clock", async () => {
    const { app, fake } = setup({ accessTokenTtlSeconds: 120 });
    const { tokens } = await login(app);
    assert.equal(tokens.expires_in, 120);
    fake.knobs.clockOffsetMs = 119_000;
    assert.equal((await api(app, "/api/v1/validate", tokens.access_token)).status, 200);
    fake.knobs.clockOffsetMs = 121_000;
    assert.equal((await api(app, "/api/v1/validate", tokens.access_token)).status, 401);
  });
});

describe("metadata, revocation and device login", () => {
  test("metadata is 404 by default and the knob's JSON when set", async () => {
    const { app, fake } = setup();
    const path = "/.well-known/oauth-authorization-server";
    assert.equal((await app.request(path)).status, 404);
    fake.knobs.metadata = oauthMetadata("http://127.0.0.1:1");
    const res = await app.request(path);
    assert.equal(res.status, 200);
    const doc = await res.json();
    assert.equal(doc.token_endpoint, "http://127.0.0.1:1/oauth2/v1/token");
    assert.equal(doc.revocation_endpoint, "http://127.0.0.1:1/oauth2/v1/revoke");
    assert.deepEqual(doc.code_challenge_methods_supported, ["S256"]);
  });

  test("revoking a refresh token revokes its family and answers 200", async () => {
    const { app } = setup();
    const { client, tokens } = await login(app);
    const res = await postForm(app, "/oauth2/v1/revoke", {
      token: tokens.refresh_token,
      token_type_hint: "refresh_token",
      ...clientAuth(client),
    });
    assert.equal(res.status, 200);
    assert.equal((await api(app, "/api/v1/validate", tokens.access_token)).status, 401);
    await expectOAuthError(await refresh(app, client, tokens.refresh_token), 400, "invalid_grant");
    const unknown = await postForm(app, "/oauth2/v1/revoke", {
      token: "unknown",
      ...clientAuth(client),
    });
    assert.equal(unknown.status, 200);
  });

  test("device login is pending until the verification page approves it", async () => {
    const { app, fake } = setup();
    fake.knobs.deviceIntervalSeconds = 0;
    const client = await registerOk(app);
    const start = await postForm(app, "/oauth2/v1/device/authorize", {
      scope: "monitors_read",
      ...clientAuth(client),
    });
    assert.equal(start.status, 200);
    const d = await start.json();
    assert.match(d.user_code, /^[A-Z]{4}-[A-Z]{4}$/);
    assert.equal(d.verification_uri, "http://localhost/oauth2/v1/device");
    const poll = () =>
      postForm(app, "/oauth2/v1/token", {
        grant_type: "urn:ietf:params:oauth:grant-type:device_code",
        device_code: d.device_code,
        ...clientAuth(client),
      });
    await expectOAuthError(await poll(), 400, "authorization_pending");
    const page = await app.request(
      new URL(d.verification_uri_complete).pathname +
        new URL(d.verification_uri_complete).search,
    );
    assert.equal(page.status, 200);
    const res = await poll();
    assert.equal(res.status, 200);
    const tokens = await res.json();
    assert.equal(tokens.scope, "monitors_read");
    await expectOAuthError(await poll(), 400, "invalid_grant");
  });

  test("device polling too fast earns slow_down, and a denial answers access_denied", async () => {
    const { app, fake } = setup();
    const client = await registerOk(app);
    const d = await (await postForm(app, "/oauth2/v1/device/authorize", {
      scope: "monitors_read",
      ...clientAuth(client),
    })).json();
    assert.equal(d.interval, 5);
    const poll = () =>
      postForm(app, "/oauth2/v1/token", {
        grant_type: "urn:ietf:params:oauth:grant-type:device_code",
        device_code: d.device_code,
        ...clientAuth(client),
      });
    await expectOAuthError(await poll(), 400, "authorization_pending");
    await expectOAuthError(await poll(), 400, "slow_down");
    fake.decideDevice("deny");
    fake.knobs.clockOffsetMs = 20_000;
    await expectOAuthError(await poll(), 400, "access_denied");
    fake.knobs.clockOffsetMs = 601_000;
    await expectOAuthError(await poll(), 400, "expired_token");
  });
});

describe("API authentication", () => {
  test("validate answers valid:true for API and application keys", async () => {
    const { app } = setup();
    const res = await api(app, "/api/v1/validate", KEYS);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { valid: true });
  });

  test("missing, partial, or wrong credentials answer 401 Unauthorized", async () => {
    const { app, fake } = setup();
    const cases: Array<string | Record<string, string> | null> = [
      null,
      { "DD-API-KEY": "test-api-key" },
      { "DD-APPLICATION-KEY": "test-app-key" },
      { ...KEYS, "DD-API-KEY": "wrong" },
      "fake_at_not-issued",
      { authorization: "Basic Zm9vOmJhcg==" },
    ];
    for (const auth of cases) {
      const res = await api(app, "/api/v1/validate", auth);
      assert.equal(res.status, 401, JSON.stringify(auth));
      assert.deepEqual(await res.json(), { errors: ["Unauthorized"] });
    }
    fake.knobs.apiKey = "rotated";
    assert.equal((await api(app, "/api/v1/validate", KEYS)).status, 401);
    assert.equal(
      (await api(app, "/api/v1/validate", { ...KEYS, "DD-API-KEY": "rotated" })).status,
      200,
    );
  });

  test("a bearer token lacking the endpoint's scope gets 403 naming the scope", async () => {
    const { app, fake } = setup();
    const issued = fake.issueTokens({ scope: "logs_read_data" });
    const res = await api(app, "/api/v1/monitor", issued.access_token);
    assert.equal(res.status, 403);
    assert.deepEqual(await res.json(), { errors: ["Forbidden: missing scope monitors_read"] });
    assert.equal((await api(app, "/api/v1/validate", issued.access_token)).status, 200);
    const logs = await api(app, "/api/v2/logs/events/search", issued.access_token, {
      method: "POST",
    });
    assert.equal(logs.status, 200);
  });

  test("grantedScopes set after issuance also answers 403, but not for API keys", async () => {
    const { app, fake } = setup();
    const issued = fake.issueTokens();
    fake.knobs.grantedScopes = ["monitors_read"];
    assert.equal((await api(app, "/api/v1/monitor", issued.access_token)).status, 200);
    const res = await api(app, "/api/v1/query?query=avg:a{*}&from=1&to=2", issued.access_token);
    assert.equal(res.status, 403);
    assert.deepEqual(await res.json(), { errors: ["Forbidden: missing scope timeseries_query"] });
    assert.equal((await api(app, "/api/v1/query?query=avg:a{*}&from=1&to=2", KEYS)).status, 200);
  });

  test("unknown API paths answer 404 once authenticated and 401 before", async () => {
    const { app } = setup();
    const res = await api(app, "/api/v1/no_such_family", KEYS);
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { errors: ["Not found"] });
    assert.equal((await api(app, "/api/v1/monitor", KEYS, { method: "DELETE" })).status, 404);
    assert.equal((await api(app, "/api/v1/no_such_family", null)).status, 401);
  });
});

describe("API endpoints", () => {
  test("monitors list in Datadog's shape, including one with terminal escapes", async () => {
    const { app } = setup();
    const monitors = await (await api(app, "/api/v1/monitor", KEYS)).json();
    assert.ok(monitors.length >= 5);
    for (const m of monitors) {
      for (const k of ["id", "name", "type", "query", "message", "tags", "overall_state"]) {
        assert.ok(k in m, k);
      }
      assert.equal(typeof m.id, "number");
      assert.ok(!Number.isNaN(Date.parse(m.created)) && !Number.isNaN(Date.parse(m.modified)));
    }
    assert.ok(monitors.some((m: { name: string }) => m.name.includes("\u001b[31m")));
  });

  test("monitors filter by name, by tags and by page", async () => {
    const { app } = setup();
    const get = async (q: string) =>
      (await (await api(app, "/api/v1/monitor?" + q, KEYS)).json()) as Array<{
        id: number;
        name: string;
        tags: string[];
      }>;
    const byName = await get("name=cpu");
    assert.deepEqual(byName.map((m) => m.name), ["High CPU on web hosts"]);
    const byTags = await get("monitor_tags=team:payments,env:prod");
    assert.deepEqual(byTags.map((m) => m.id), [1002, 1003]);
    assert.deepEqual((await get("tags=env:staging")).map((m) => m.id), [1005]);
    const all = await get("");
    const page1 = await get("page_size=2&page=1");
    assert.deepEqual(page1.map((m) => m.id), all.slice(2, 4).map((m) => m.id));
    assert.deepEqual(await get("page_size=2&page=99"), []);
    assert.equal((await api(app, "/api/v1/monitor?page_size=0", KEYS)).status, 400);
    const one = await api(app, "/api/v1/monitor/1003", KEYS);
    assert.equal((await one.json()).name, "Error logs spike in payments");
    assert.equal((await api(app, "/api/v1/monitor/9", KEYS)).status, 404);
  });

  test("logs search answers Datadog's v2 shape and honours query, time range and limit", async () => {
    const { app } = setup();
    const search = async (body: unknown) => {
      const res = await api(app, "/api/v2/logs/events/search", KEYS, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 200);
      return await res.json();
    };
    const first = await search({ filter: { query: "*", from: "now-1h", to: "now" } });
    assert.equal(first.data.length, 10);
    const log = first.data[0];
    assert.equal(log.type, "log");
    for (const k of ["timestamp", "status", "service", "message", "host", "tags"]) {
      assert.ok(k in log.attributes, k);
    }
    assert.ok(typeof first.meta.page.after === "string");
    const times = first.data.map((d: { attributes: { timestamp: string } }) =>
      Date.parse(d.attributes.timestamp)
    );
    assert.deepEqual(times, [...times].sort((a, b) => b - a));

    const services = await search({
      filter: { query: "service:payments", from: "now-1h", to: "now" },
      page: { limit: 100 },
    });
    assert.ok(services.data.length > 0);
    assert.ok(
      services.data.every((d: { attributes: { service: string } }) =>
        d.attributes.service === "payments"
      ),
    );
    assert.deepEqual(services.meta.page, {});

    const word = await search({ filter: { query: "declined", from: "now-1h" } });
    assert.ok(
      word.data.every((d: { attributes: { message: string } }) =>
        d.attributes.message.includes("declined")
      ),
    );

    const all = await search({ filter: { from: "now-1h" }, page: { limit: 1000 } });
    const recent = await search({ filter: { from: "now-15m" }, page: { limit: 1000 } });
    assert.equal(all.data.length, 40);
    assert.ok(recent.data.length > 0 && recent.data.length < all.data.length);
    const past = await search({
      filter: { from: Date.now() - 3 * 3600_000, to: new Date(Date.now() - 2 * 3600_000) },
    });
    assert.equal(past.data.length, 0);

    let seen = 0;
    let cursor: string | undefined;
    do {
      const page = await search({
        filter: { from: "now-1h" },
        page: { limit: 15, ...(cursor ? { cursor } : {}) },
      });
      seen += page.data.length;
      cursor = page.meta.page.after;
    } while (cursor);
    assert.equal(seen, 40);

    const bad = await api(app, "/api/v2/logs/events/search", KEYS, {
      method: "POST",
      body: "{not json",
    });
    assert.equal(bad.status, 400);
    assert.ok(Array.isArray((await bad.json()).errors));
  });

  test("metrics query answers the v1 timeseries shape and 400 without from or to", async () => {
    const { app } = setup();
    const to = Math.floor(Date.now() / 1000);
    const from = to - 3600;
    const q = encodeURIComponent("avg:system.cpu.user{env:prod} by {host}");
    const res = await api(app, `/api/v1/query?query=${q}&from=${from}&to=${to}`, KEYS);
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.status, "ok");
    assert.equal(body.from_date, from * 1000);
    assert.equal(body.to_date, to * 1000);
    assert.equal(body.query, "avg:system.cpu.user{env:prod} by {host}");
    assert.equal(body.series.length, 2);
    const s = body.series[0];
    assert.equal(s.metric, "system.cpu.user");
    assert.equal(s.scope, "env:prod,host:web-1");
    assert.ok(s.expression);
    assert.ok(s.pointlist.length > 10);
    for (const [t, v] of s.pointlist) {
      assert.ok(t >= from * 1000 && t <= to * 1000);
      assert.equal(typeof v, "number");
    }
    for (const path of [`/api/v1/query?query=${q}&from=${from}`, `/api/v1/query?query=${q}`]) {
      const r = await api(app, path, KEYS);
      assert.equal(r.status, 400);
      assert.ok(Array.isArray((await r.json()).errors));
    }
    const garbage = `/api/v1/query?query=${encodeURIComponent("avg(")}&from=${from}&to=${to}`;
    assert.equal((await api(app, garbage, KEYS)).status, 400);
  });
});

describe("API families", () => {
  test("every path's scope is one of Datadog's default scopes", () => {
    for (const [, , scope] of API_SCOPES) assert.ok(DEFAULT_SCOPES.includes(scope), scope);
  });

  test("reads and writes of one path need different scopes", async () => {
    const { fake, app } = setup();
    const { access_token } = fake.issueTokens({ scope: "monitors_read" });
    assert.equal((await api(app, "/api/v1/monitor/1001", access_token)).status, 200);
    const del = await api(app, "/api/v1/monitor/1001", access_token, { method: "DELETE" });
    assert.equal(del.status, 403);
    assert.deepEqual(await del.json(), { errors: ["Forbidden: missing scope monitors_write"] });
    const ok = await api(app, "/api/v1/monitor/1001", KEYS, { method: "DELETE" });
    assert.deepEqual(await ok.json(), { deleted_monitor_id: 1001 });
    assert.equal((await api(app, "/api/v1/monitor/1001", KEYS)).status, 404);
  });

  test("page sizes outside the API's range answer 400, as Datadog does", async () => {
    const { app } = setup();
    for (
      const path of [
        "/api/v2/users?page[size]=0",
        "/api/v1/dashboard?count=5000",
        "/api/v2/incidents?page[offset]=-1",
        "/api/v1/synthetics/tests?page_size=101",
      ]
    ) {
      const res = await api(app, path, KEYS);
      assert.equal(res.status, 400, path);
      assert.match((await res.json()).errors[0], /must be/);
    }
  });

  test("v2 lists answer JSON:API data with meta; pages do not overlap", async () => {
    const { app } = setup();
    const page = async (
      n: number,
    ) => (await (await api(app, `/api/v2/users?page[size]=4&page[number]=${n}`, KEYS)).json());
    const [a, b, c] = [await page(0), await page(1), await page(2)];
    assert.equal(a.meta.page.total_count, 9);
    assert.deepEqual([a.data.length, b.data.length, c.data.length], [4, 4, 1]);
    const ids = [...a.data, ...b.data, ...c.data].map((u: { id: string }) => u.id);
    assert.equal(new Set(ids).size, 9);
    assert.equal(a.data[0].type, "users");
    assert.equal(typeof a.data[0].attributes.email, "string");
  });

  test("pageCap caps a cursor search's page and hands out the next cursor", async () => {
    const { fake, app } = setup();
    fake.knobs.pageCap["/api/v2/events/search"] = 3;
    const search = async (page: Record<string, unknown>) =>
      await (await api(app, "/api/v2/events/search", KEYS, {
        method: "POST",
        body: JSON.stringify({ filter: { from: "now-1h" }, page }),
      })).json();
    const first = await search({ limit: 10 });
    assert.equal(first.data.length, 3);
    const second = await search({ limit: 10, cursor: first.meta.page.after });
    assert.equal(second.data.length, 3);
    assert.notEqual(second.data[0].id, first.data[0].id);
    assert.equal((await search({ cursor: "bogus" })).errors[0], "Invalid page.cursor");
  });

  test("writes change the fake's copy: a created dashboard is listed, a cancelled downtime shows so", async () => {
    const { app } = setup();
    const created = await api(app, "/api/v1/dashboard", KEYS, {
      method: "POST",
      body: JSON.stringify({ title: "Made", layout_type: "ordered", widgets: [] }),
    });
    assert.equal(created.status, 200);
    const list = await (await api(app, "/api/v1/dashboard", KEYS)).json();
    assert.ok(list.dashboards.some((d: { title: string }) => d.title === "Made"));
    const bad = await api(app, "/api/v1/dashboard", KEYS, { method: "POST", body: "{}" });
    assert.equal(bad.status, 400);
    const id = "00000000-0000-0000-0000-000000000002";
    const cancel = await api(app, `/api/v2/downtime/${id}`, KEYS, { method: "DELETE" });
    assert.equal(cancel.status, 204);
    const after = await (await api(app, `/api/v2/downtime/${id}`, KEYS)).json();
    assert.equal(after.data.attributes.status, "canceled");
  });
});

describe("failure knobs and recording", () => {
  test("failNext answers matching requests with its status and body, then is consumed", async () => {
    const { app, fake } = setup();
    fake.knobs.failNext.push({ path: "/api/v1/validate", status: 503, times: 2 });
    fake.knobs.failNext.push({ method: "POST", path: "/api/v1/monitor", status: 500 });
    assert.equal((await api(app, "/api/v1/monitor", KEYS)).status, 200);
    const first = await api(app, "/api/v1/validate", KEYS);
    assert.equal(first.status, 503);
    assert.deepEqual(await first.json(), { errors: ["Injected failure"] });
    assert.equal((await api(app, "/api/v1/validate", null)).status, 503);
    assert.equal((await api(app, "/api/v1/validate", KEYS)).status, 200);
    assert.equal(fake.knobs.failNext.length, 1);
  });

  test("failNext can send OAuth errors and malformed JSON with a 200", async () => {
    const { app, fake } = setup();
    const { client, tokens } = await login(app);
    fake.knobs.failNext.push({
      path: "/oauth2/v1/token",
      status: 400,
      body: '{"error":"invalid_client"}',
    });
    await expectOAuthError(await refresh(app, client, tokens.refresh_token), 400, "invalid_client");
    fake.knobs.failNext.push({ path: "/oauth2/v1/token", status: 200, body: "{not json" });
    const res = await refresh(app, client, tokens.refresh_token);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "{not json");
    fake.knobs.failNext.push({ path: "/oauth2/v1/token", status: 500 });
    await expectOAuthError(await refresh(app, client, tokens.refresh_token), 500, "server_error");
    // The canned answers never reached the grant: the refresh token is still unused.
    assert.equal((await refresh(app, client, tokens.refresh_token)).status, 200);
  });

  test("rateLimitNext answers API calls 429 with Datadog's headers, sparing OAuth", async () => {
    const { app, fake } = setup();
    fake.knobs.rateLimitNext = 2;
    const client = await registerOk(app);
    assert.ok(client.client_id);
    for (let i = 0; i < 2; i++) {
      const res = await api(app, "/api/v1/monitor", KEYS);
      assert.equal(res.status, 429);
      assert.equal(res.headers.get("retry-after"), "1");
      assert.equal(res.headers.get("x-ratelimit-remaining"), "0");
      assert.equal(res.headers.get("x-ratelimit-reset"), "1");
      assert.ok(res.headers.get("x-ratelimit-limit"));
      assert.ok(res.headers.get("x-ratelimit-period"));
      await res.body?.cancel();
    }
    assert.equal(fake.knobs.rateLimitNext, 0);
    assert.equal((await api(app, "/api/v1/monitor", KEYS)).status, 200);
  });

  test("every request is recorded with lower-cased headers and its body", async () => {
    const { app, fake } = setup();
    const { client } = await login(app);
    assert.deepEqual(
      fake.requests.map((r) => `${r.method} ${r.path}`),
      ["POST /api/v2/oauth2/register", "GET /oauth2/v1/authorize", "POST /oauth2/v1/token"],
    );
    const dcr = fake.requests[0];
    assert.deepEqual(JSON.parse(dcr.body), EXPECTED_DCR);
    assert.equal(dcr.headers["content-type"], "application/json");
    const token = new URLSearchParams(fake.requests[2].body);
    assert.equal(token.get("client_secret"), client.client_secret);
    assert.match(fake.requests[1].url, /code_challenge_method=S256/);
    assert.equal(fake.count("post", "/oauth2/v1/token"), 1);
    assert.equal(fake.count("GET", "/oauth2/v1/token"), 0);
    assert.ok(fake.requests.every((r) => typeof r.at === "number"));
  });
});

describe("in process (the unit tests' network)", () => {
  test("createFakeDatadog answers on the in-process network until closed", async () => {
    const fake = createFakeDatadog();
    const other = createFakeDatadog();
    assert.match(fake.site, /^127\.0\.0\.1:\d+$/);
    assert.equal(fake.url, `http://${fake.site}`);
    assert.notEqual(fake.site, other.site, "each fake has its own origin");
    const res = await networkFetch(`${fake.url}/api/v1/validate`, { headers: KEYS });
    assert.equal(res.status, 200);
    assert.equal(res.statusText, "OK", "the reason phrase a server would send");
    assert.deepEqual(await res.json(), { valid: true });
    assert.equal(fake.count("GET", "/api/v1/validate"), 1);
    assert.equal(other.count("GET", "/api/v1/validate"), 0);
    await fake.close();
    await assert.rejects(networkFetch(`${fake.url}/api/v1/validate`), /connection refused/);
    await other.close();
  });

  test("an origin no fake answers is refused, as a closed port is", async () => {
    await assert.rejects(networkFetch("http://127.0.0.1:9/api/v1/validate"), TypeError);
    await assert.rejects(networkFetch("https://api.datadoghq.com/api/v1/validate"), TypeError);
  });
});
