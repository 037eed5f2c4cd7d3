/**
 * @module
 * The OAuth endpoints Datadog does not offer today (CONTRACT §2), each asked for only where
 * pup needs it: RFC 8414 metadata (a 404 means "not offered", any other failure is an error
 * that each caller weighs: the device login fails, logout's best-effort revocation is
 * skipped), the device login's two requests (RFC 8628) and revocation (RFC 7009).
 * Built by oauth4webapi and sent through the egress like every OAuth step (`oauth_client.ts`); an endpoint a metadata
 * document names is used only on the site's own API origin ({@link endpointOnSite}).
 */
import { PupError } from "../errors.ts";
import { cleanServerText } from "../text.ts";
import { type OAuthAnswer, oauthFailure, ok } from "./oauth_answer.ts";
import { type OAuthDeps, oauthStep } from "./oauth_client.ts";
import { authorizationServer, clientOf } from "./protocol.ts";
import { apiBase } from "./site.ts";
import type { ClientCredentials, Token } from "./types.ts";

/** RFC 8628 §3.4: the device code grant type. */
export const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

/** Starts a device login at a checked `endpoint` (RFC 8628 §3.1); the answer unchecked. */
export async function requestDeviceAuthorization(
  deps: OAuthDeps,
  site: string,
  endpoint: URL,
  client: ClientCredentials,
  scope: string,
): Promise<OAuthAnswer> {
  const as = authorizationServer(site, { device_authorization_endpoint: endpoint.href });
  const { client: c, auth } = await clientOf(client);
  return await oauthStep(
    deps,
    site,
    "device authorization",
    (o, options) => o.deviceAuthorizationRequest(as, c, auth, { scope }, options),
  );
}

/** One device-code poll at a checked token `endpoint` (RFC 8628 §3.4); the answer unchecked. */
export async function requestDeviceToken(
  deps: OAuthDeps,
  site: string,
  endpoint: URL,
  client: ClientCredentials,
  deviceCode: string,
): Promise<OAuthAnswer> {
  const as = { ...authorizationServer(site), token_endpoint: endpoint.href };
  const { client: c, auth } = await clientOf(client);
  return await oauthStep(
    deps,
    site,
    "device login",
    (o, options) => o.deviceCodeGrantRequest(as, c, auth, deviceCode, options),
  );
}

/**
 * Asks for RFC 8414 metadata and checks the answer: the document (a JSON object), or null when
 * the server has none (404). Every other outcome is an error saying what went wrong: the
 * egress's (unreachable, timeout, redirect, untrusted), {@link oauthFailure}'s for another
 * status (a 5xx or 429 with its try-again hint), and a 2xx that is not a JSON object.
 */
export async function requestMetadata(
  deps: OAuthDeps,
  site: string,
): Promise<Record<string, unknown> | null> {
  const res = await oauthStep(
    deps,
    site,
    "metadata request",
    (o, options) => o.discoveryRequest(new URL(apiBase(site)), { ...options, algorithm: "oauth2" }),
  );
  if (res.status === 404) return null;
  if (!ok(res.status)) throw oauthFailure("metadata request", res);
  if (res.json) return res.json;
  throw new PupError(
    "oauth_http",
    `metadata request failed: HTTP ${res.status}: the answer is not a JSON object${
      res.text ? ` (${cleanServerText(res.text, 120)})` : ""
    }`,
    { hint: "the answer was garbled or cut short; try again in a moment" },
  );
}

/**
 * The one same-origin check for an endpoint a metadata document names: the client secret and
 * tokens go only to the site's API origin (RFC 8414 §3.3's spirit). Returns the parsed URL, or
 * a reason it is refused.
 *
 * @example
 * endpointOnSite("http://127.0.0.1:9/oauth2/v1/revoke", "127.0.0.1:8"); // { problem: "…" }
 */
export function endpointOnSite(
  endpoint: unknown,
  site: string,
): { url: URL; problem?: undefined } | { url?: undefined; problem: string } {
  const base = apiBase(site);
  if (typeof endpoint !== "string") return { problem: "the endpoint is not a string" };
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return { problem: `the endpoint is not a URL (${cleanServerText(endpoint, 120)})` };
  }
  if (url.origin !== new URL(base).origin) {
    return {
      problem: `the server's metadata names an endpoint on another host (${
        cleanServerText(endpoint, 120)
      }); expected ${base}`,
    };
  }
  return { url };
}

/** How a revocation went (RFC 7009 §2.2: 200 means revoked, or already invalid). */
export type RevocationAnswer = { revoked: true } | {
  revoked: false;
  status: number;
  error: string;
};

/**
 * Revokes the session's refresh token (else its access token) at `endpoint` (RFC 7009 §2.1),
 * which must be on the site's API origin ({@link endpointOnSite}).
 */
export async function revokeToken(
  deps: OAuthDeps,
  site: string,
  endpoint: URL,
  client: ClientCredentials,
  token: Token,
): Promise<RevocationAnswer> {
  const as = authorizationServer(site, { revocation_endpoint: endpoint.href });
  const { client: c, auth } = await clientOf(client);
  const [value, hint] = token.refresh_token
    ? [token.refresh_token, "refresh_token"]
    : [token.access_token, "access_token"];
  const res = await oauthStep(
    deps,
    site,
    "token revocation",
    (o, options) =>
      o.revocationRequest(as, c, auth, value, {
        ...options,
        additionalParameters: { token_type_hint: hint },
      }),
  );
  if (ok(res.status)) return { revoked: true };
  const error = typeof res.json?.error === "string" ? cleanServerText(res.json.error, 80) : "";
  return { revoked: false, status: res.status, error };
}
