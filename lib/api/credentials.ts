/**
 * @module
 * Which credentials an API call carries (CONTRACT §9), in order: `DD_ACCESS_TOKEN` (bearer),
 * the OAuth session of the resolved (site, org) (bearer, refreshed within 5 minutes of expiry),
 * `DD_API_KEY` + `DD_APP_KEY` (`DD-API-KEY` / `DD-APPLICATION-KEY`), else "not authenticated"
 * (exit 4). The first source that exists is used: a session that exists but cannot be refreshed
 * is an error, not a silent fall-back to keys. The trust gate (CONTRACT §1) runs before any
 * credential (or refresh token) leaves for a host that Datadog does not own.
 */
import { isDatadogOwned } from "../auth/site.ts";
import { ensureTrusted } from "../auth/trust.ts";
import { PupError } from "../errors.ts";
import { hasOrg } from "../session/identity.ts";
import { notLoggedIn, type TokenContext, usableToken } from "../session/tokens.ts";

/** Where the credentials of a request came from. */
export type CredentialSource = "access_token_env" | "session" | "api_keys";

/** The credentials of one request. */
export interface Credentials {
  source: CredentialSource;
  /** Headers to send: `Authorization`, or `DD-API-KEY` and `DD-APPLICATION-KEY`. */
  headers: Record<string, string>;
  /** The bearer token of a session, to name it as rejected when the API answers 401. */
  accessToken?: string;
  /** Whether the session's token was refreshed to get these credentials. */
  refreshed?: boolean;
}

/** How each source is named in messages. */
export function describeSource(source: CredentialSource): string {
  return source === "access_token_env"
    ? "DD_ACCESS_TOKEN"
    : source === "session"
    ? "your pup session"
    : "DD_API_KEY and DD_APP_KEY";
}

function envValue(ctx: TokenContext, name: string): string | undefined {
  const v = ctx.deps.env[name]?.trim();
  return v ? v : undefined;
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** A session's credentials: its access token as the bearer, named for a later 401. */
function sessionCredentials(accessToken: string, refreshed: boolean): Credentials {
  return { source: "session", headers: bearer(accessToken), accessToken, refreshed };
}

/**
 * The error for "no credentials at all": the session's guidance, plus which key variable is
 * missing when only one of the two is set.
 */
export function notAuthenticated(
  ctx: TokenContext,
  site: string,
  org: string | undefined,
): PupError {
  const base = notLoggedIn(site, org);
  const api = envValue(ctx, "DD_API_KEY");
  const app = envValue(ctx, "DD_APP_KEY");
  if (Boolean(api) === Boolean(app)) return base;
  const missing = api ? "DD_APP_KEY" : "DD_API_KEY";
  return new PupError(
    "not_authenticated",
    `${base.message}, and ${missing} is not set (API keys need both DD_API_KEY and DD_APP_KEY)`,
    { hint: base.hint },
  );
}

/** Resolves the credentials for a call to `site` as `org`. */
export async function resolveCredentials(
  ctx: TokenContext,
  site: string,
  org: string | undefined,
): Promise<Credentials> {
  const envToken = envValue(ctx, "DD_ACCESS_TOKEN");
  if (envToken) {
    await ensureTrusted(ctx, site);
    return { source: "access_token_env", headers: bearer(envToken) };
  }

  // Off Datadog, look before refreshing: a refresh sends the refresh token to the site, so the
  // trust gate must come first, but only when there is a session to trust it with.
  let hasSession = true;
  if (!isDatadogOwned(site)) {
    const state = await (await ctx.store()).read(site);
    hasSession = hasOrg(state.tokens, org);
    if (hasSession) await ensureTrusted(ctx, site);
  }
  if (hasSession) {
    try {
      const { token, refreshed } = await usableToken(ctx, site, org);
      return sessionCredentials(token.access_token, refreshed);
    } catch (err) {
      if (!(err instanceof PupError && err.code === "not_authenticated")) throw err;
    }
  }

  const apiKey = envValue(ctx, "DD_API_KEY");
  const appKey = envValue(ctx, "DD_APP_KEY");
  if (apiKey && appKey) {
    await ensureTrusted(ctx, site);
    return {
      source: "api_keys",
      headers: { "dd-api-key": apiKey, "dd-application-key": appKey },
    };
  }
  throw notAuthenticated(ctx, site, org);
}

/** Refreshes a session token the API rejected (401); returns the new credentials. */
export async function refreshRejected(
  ctx: TokenContext,
  site: string,
  org: string | undefined,
  rejected: string,
): Promise<Credentials> {
  const { token } = await usableToken(ctx, site, org, { rejected });
  return sessionCredentials(token.access_token, true);
}
