/**
 * @module
 * The token manager used before every API call (document: Token Refresh; CONTRACT §8): read
 * the session, refresh it when within 5 minutes of expiry, under the site's lock, re-reading
 * after taking the lock so that N concurrent processes make one refresh request.
 *
 * A refresh the server refuses (`invalid_grant`, `invalid_client`) or that cannot be made (the
 * site's client was removed) is recorded on the stored token as `refresh_error` and
 * `refresh_failed_at` — non-secret, durable, written under the lock, and gone with the next
 * good token — so `pup auth list` can say "refresh failed" without calling the network.
 * A network failure or 5xx is transient: nothing is written, the stored tokens stay as they were.
 */
import type { Clock } from "../deps.ts";
import { type OAuthContext, oauthDeps, refreshAccessToken } from "../auth/oauth_client.ts";
import type { SiteState, Token } from "../auth/types.ts";
import { PupError } from "../errors.ts";
import { type LockDeps, withSiteLock } from "../store/lock.ts";
import type { StateStore } from "../store/state_store.ts";
import { orgKey, sessionLabel } from "./resolve.ts";

/** A stored token, with the last refresh failure when there was one. */
export type StoredToken = Token & {
  /** Why the last refresh failed: `invalid_grant`, `invalid_client` or `client_missing`. */
  refresh_error?: string;
  /** When it failed (ISO 8601 UTC). */
  refresh_failed_at?: string;
};

/** Refresh when the token expires within this window. */
export const REFRESH_WINDOW_MS = 5 * 60 * 1000;

/** The document's message when a session cannot be refreshed. */
export function tokenExpiredError(reason: string): PupError {
  return new PupError("token_expired", reason, {
    display: "⚠️ Token expired",
    hint: "Run 'pup auth refresh' to refresh or 'pup auth login' to re-authenticate",
  });
}

/** The error for a session that does not exist. */
export function notLoggedIn(site: string, org: string | undefined): PupError {
  const flags = `${org ? ` --org ${org}` : ""}`;
  return new PupError(
    "not_authenticated",
    `not logged in: no session for ${sessionLabel(site, org)}`,
    {
      hint: `run 'pup auth login${flags}'${
        site === "datadoghq.com" ? "" : ` with DD_SITE=${site} (or --site ${site})`
      }, or set DD_API_KEY and DD_APP_KEY`,
    },
  );
}

/**
 * Whether a token is within the refresh window at `now`.
 *
 * @example
 * needsRefresh(token, Date.now()); // true within 5 minutes of token.expires_at
 */
export function needsRefresh(token: Token, now: number): boolean {
  return Date.parse(token.expires_at) - now <= REFRESH_WINDOW_MS;
}

/** What the token manager needs of a command's context (pup's `Context` satisfies it). */
export interface TokenContext extends OAuthContext {
  readonly deps: OAuthContext["deps"] & { clock: Clock };
  readonly dir: string;
  readonly lockDeps: LockDeps;
  store(): Promise<StateStore>;
}

/** Records why the refresh failed on the stored token (best effort, under the lock). */
async function recordFailure(
  ctx: TokenContext,
  store: StateStore,
  site: string,
  state: SiteState,
  key: string,
  reason: string,
): Promise<void> {
  const marked: StoredToken = {
    ...state.tokens[key],
    refresh_error: reason,
    refresh_failed_at: new Date(ctx.deps.clock.now()).toISOString(),
  };
  state.tokens[key] = marked;
  await store.write(site, state).catch(() => {});
}

/**
 * The refresh failures that make the session unusable until the next login, as the stored
 * reason and the error to throw; undefined for transient ones (network, 5xx).
 */
function lastingFailure(
  err: unknown,
  site: string,
  org: string | undefined,
): { reason: string; error: PupError } | undefined {
  if (!(err instanceof PupError)) return undefined;
  if (err.code === "oauth_invalid_grant") {
    return {
      reason: "invalid_grant",
      error: tokenExpiredError(
        `the refresh token of ${sessionLabel(site, org)} was rejected (invalid_grant)`,
      ),
    };
  }
  if (err.code === "invalid_client") {
    return {
      reason: "invalid_client",
      error: tokenExpiredError(
        `the OAuth client registered for ${site} is no longer valid (invalid_client)`,
      ),
    };
  }
  return undefined;
}

/**
 * Refreshes `state.tokens[key]` under the lock and stores the answer. The new token replaces
 * the old one whole (any recorded failure goes with it); a refresh answer always carries the
 * refresh token to keep, rotated or not (`tokenFromAnswer`).
 */
async function refreshLocked(
  ctx: TokenContext,
  store: StateStore,
  site: string,
  org: string | undefined,
  state: SiteState,
): Promise<Token> {
  const key = orgKey(org);
  const current = state.tokens[key];
  if (!state.client) {
    await recordFailure(ctx, store, site, state, key, "client_missing");
    throw tokenExpiredError(
      `cannot refresh ${
        sessionLabel(site, org)
      }: the site's client credentials are gone (logging out the default session removes them; the next 'pup auth login' on ${site} registers again)`,
    );
  }
  let token: Token;
  try {
    token = await refreshAccessToken(oauthDeps(ctx), site, state.client, current);
  } catch (err) {
    const lasting = lastingFailure(err, site, org);
    if (!lasting) throw err; // network or 5xx: exit 1, stored tokens untouched
    await recordFailure(ctx, store, site, state, key, lasting.reason);
    throw lasting.error;
  }
  state.tokens[key] = token;
  await store.write(site, state);
  return token;
}

/**
 * When a token was issued (clock time), from its `expires_at` and `expires_in`; NaN when either
 * is missing or not a number.
 */
function issuedAt(token: Token): number {
  return Date.parse(token.expires_at) - Number(token.expires_in) * 1000;
}

/**
 * `pup auth refresh`: refreshes (site, org) now. The site's lock is taken first and the entry
 * read once inside it (CONTRACT §8: with the lock taken first, that one read is the re-read),
 * so with a keychain the command starts one reading process — the store is chosen inside the
 * lock too, and its selection search serves the read.
 *
 * A token issued after this call began waiting for the lock (and not in the future) is another
 * process's refresh made meanwhile: it is returned with `refreshed: false`, so N concurrent
 * `auth refresh` make one refresh request. Not logged in is answered before `beforeRefresh`
 * (the trust check) and before any network call.
 *
 * @example
 * const { token, refreshed } = await refreshNow(ctx, site, org, {
 *   beforeRefresh: () => ensureTrusted(ctx, site),
 * });
 */
export async function refreshNow(
  ctx: TokenContext,
  site: string,
  org: string | undefined,
  options: { beforeRefresh?: () => Promise<void> } = {},
): Promise<{ token: Token; refreshed: boolean }> {
  const key = orgKey(org);
  const waitFrom = ctx.deps.clock.now();
  return await withSiteLock(ctx.dir, site, ctx.lockDeps, async () => {
    const store = await ctx.store();
    const state = await store.read(site);
    const current = state.tokens[key];
    if (!current) throw notLoggedIn(site, org);
    const issued = issuedAt(current);
    if (issued > waitFrom && issued <= ctx.deps.clock.now()) {
      return { token: current, refreshed: false };
    }
    await options.beforeRefresh?.();
    return { token: await refreshLocked(ctx, store, site, org, state), refreshed: true };
  });
}

/**
 * Returns a usable token for (site, org), refreshing it first when needed (or when `force`:
 * see {@link refreshNow}). `rejected` is an access token the API just answered 401 to: it is
 * refreshed even if its expiry says it is good, unless another process already replaced it.
 * `minTtlMs` also counts a token as stale when it expires sooner than that
 * (`auth token --min-ttl`); like the refresh window it is judged again under the lock, so many
 * callers make one refresh.
 *
 * @example
 * const { token } = await usableToken(ctx, site, org);
 * // after an API 401 with token.access_token:
 * const retry = await usableToken(ctx, site, org, { rejected: token.access_token });
 * // a token that lives at least 10 more minutes:
 * const long = await usableToken(ctx, site, org, { minTtlMs: 600_000 });
 */
export async function usableToken(
  ctx: TokenContext,
  site: string,
  org: string | undefined,
  options: { force?: boolean; rejected?: string; minTtlMs?: number } = {},
): Promise<{ token: Token; refreshed: boolean }> {
  if (options.force) return await refreshNow(ctx, site, org);
  const store = await ctx.store();
  const key = orgKey(org);
  // Outside the lock: what this command already read (auth status, the API credential check)
  // will do. The read under the lock below always asks the store again.
  const first = (await store.read(site, { reuse: true })).tokens[key];
  if (!first) throw notLoggedIn(site, org);
  const stale = (t: Token) => {
    const now = ctx.deps.clock.now();
    return needsRefresh(t, now) || t.access_token === options.rejected ||
      Date.parse(t.expires_at) - now < (options.minTtlMs ?? 0);
  };
  if (!stale(first)) return { token: first, refreshed: false };

  return await withSiteLock(ctx.dir, site, ctx.lockDeps, async () => {
    const state = await store.read(site);
    const current = state.tokens[key];
    if (!current) throw notLoggedIn(site, org);
    // Another process refreshed while we waited for the lock, or the token is good after all.
    if (!stale(current)) return { token: current, refreshed: false };
    return { token: await refreshLocked(ctx, store, site, org, state), refreshed: true };
  });
}
