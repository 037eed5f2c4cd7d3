/**
 * @module
 * pup's OAuth requests built by panva's `oauth4webapi` (3.x): Datadog's endpoints described
 * directly as an `AuthorizationServer` (no discovery: Datadog publishes no metadata; the issuer
 * is the site's API origin), the client authenticated with `ClientSecretPost` (`None` for a
 * public client without a secret), `allowInsecureRequests` only for loopback sites
 * (CONTRACT §1), and `customFetch` set to the one egress (`egress.ts`: trust on the parsed
 * origin, no redirects, the clock's timeout, the proxy), with the caller's `signal`.
 *
 * The library is loaded on first use, so commands that make no OAuth request (`auth status`,
 * `--version`) do not pay for it at start-up. Its response processors are not used: each
 * rejects something pup must accept (see `oauth_client.ts`), so the answers are checked by
 * pup's own processors, in the same build-then-check shape.
 */
import type * as O from "oauth4webapi";
import { PupError } from "../errors.ts";
import { cleanServerText } from "../text.ts";
import { type EgressDeps, sendWithCredentials } from "./egress.ts";
import { apiBase, isLoopbackSite } from "./site.ts";
import type { OriginCheck } from "./trust.ts";
import type { ClientCredentials } from "./types.ts";

let loaded: Promise<typeof O> | undefined;

/** oauth4webapi, imported once, lazily. */
export function oauth4webapi(): Promise<typeof O> {
  return loaded ??= import("oauth4webapi");
}

/** Endpoints a metadata document may add (device login, revocation). */
export interface ExtraEndpoints {
  device_authorization_endpoint?: string;
  revocation_endpoint?: string;
}

/**
 * Datadog's authorization server for `site` (CONTRACT §2): token and registration endpoints on
 * the API origin, plus any endpoint a checked metadata document offered.
 *
 * @example
 * authorizationServer("datadoghq.eu").token_endpoint; // "https://api.datadoghq.eu/oauth2/v1/token"
 */
export function authorizationServer(
  site: string,
  extra: ExtraEndpoints = {},
): O.AuthorizationServer {
  const base = apiBase(site);
  return {
    issuer: base,
    token_endpoint: `${base}/oauth2/v1/token`,
    registration_endpoint: `${base}/api/v2/oauth2/register`,
    ...extra,
  };
}

/** The client as oauth4webapi sees it, and how it authenticates (`client_secret_post`). */
export async function clientOf(
  client: ClientCredentials,
): Promise<{ client: O.Client; auth: O.ClientAuth }> {
  const o = await oauth4webapi();
  return {
    client: { client_id: client.client_id },
    auth: client.client_secret ? o.ClientSecretPost(client.client_secret) : o.None(),
  };
}

/** What one step's requests need. */
export interface StepDeps extends EgressDeps {
  timeoutMs: number;
  signal?: AbortSignal;
  allow: OriginCheck;
}

/** Statuses whose `Response` may carry no body (the constructor throws otherwise). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * The options of one oauth4webapi call: its fetch is the egress, so every byte it sends obeys
 * the egress's rules; plain http only for a loopback site.
 */
export async function stepOptions(
  deps: StepDeps,
  site: string,
  what: string,
): Promise<O.HttpRequestOptions<"POST" | "GET", unknown>> {
  const o = await oauth4webapi();
  const viaEgress = async (url: string, init: O.CustomFetchOptions<string, unknown>) => {
    const answer = await sendWithCredentials(deps, url, {
      method: init.method,
      headers: init.headers,
      body: init.body === undefined || init.body === null ? undefined : String(init.body),
      timeoutMs: deps.timeoutMs,
      signal: init.signal ?? undefined,
      allow: deps.allow,
      what,
    });
    const status = answer.status >= 200 && answer.status <= 599 ? answer.status : 502;
    return new Response(NULL_BODY.has(status) ? null : answer.text, {
      status,
      statusText: answer.statusText,
      headers: answer.headers,
    });
  };
  return {
    [o.customFetch]: viaEgress,
    [o.allowInsecureRequests]: isLoopbackSite(site),
    signal: deps.signal,
  } as O.HttpRequestOptions<"POST" | "GET", unknown>;
}

/**
 * Runs one oauth4webapi request builder; its own errors (say, an endpoint it refuses) become
 * `oauth_http` errors naming the step. pup's errors (the egress's) pass through.
 */
export async function buildAndSend(
  what: string,
  send: (o: typeof O) => Promise<Response>,
): Promise<Response> {
  const o = await oauth4webapi();
  try {
    return await send(o);
  } catch (err) {
    if (err instanceof PupError || !(err instanceof Error)) throw err;
    if (err.name === "AbortError" || err.name === "TimeoutError") throw err;
    throw new PupError(
      "oauth_http",
      `${what} failed: ${cleanServerText(err.message, 200)}`,
      { cause: err },
    );
  }
}
