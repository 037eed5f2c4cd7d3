/**
 * @module
 * `pup auth token [--org NAME] [--show] [--json] [--min-ttl SECONDS]`: the one command that
 * prints a token (CONTRACT §9). It writes the access token (refreshed first when within 5
 * minutes of expiry, or within `--min-ttl`) and a newline to stdout — or with `--json` one
 * object `{"access_token","expires_at","site","org","scopes"}` — and nothing else, only when
 * stdout is not a terminal (a pipe, a file, `$(…)`). On a terminal it prints nothing secret and
 * says how to use it, unless `--show` is given.
 */
import type { Context } from "../cli/context.ts";
import type { CommandInput } from "../cli/spec.ts";
import { ExitCode, usageError } from "../errors.ts";
import { normalizeSite } from "../auth/site.ts";
import { ensureTrusted } from "../auth/trust.ts";
import { tokenFor } from "../session/identity.ts";
import { resolveTarget, sessionLabel } from "../session/resolve.ts";
import { needsRefresh, notLoggedIn, usableToken } from "../session/tokens.ts";
import { safeText } from "../text.ts";
import { MAX_TIMEOUT_SECONDS } from "./auth_login.ts";

/** What `pup auth token` was asked for. */
export interface TokenOptions {
  show: boolean;
  json: boolean;
  /** Refresh first when the token expires within this many seconds (undefined: 5 minutes). */
  minTtlSeconds: number | undefined;
}

/** `--min-ttl SECONDS`: a whole number of seconds, 0 or more. */
export function parseMinTtl(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (!/^\d+$/.test(text) || Number(text) > MAX_TIMEOUT_SECONDS) {
    throw usageError(
      `invalid --min-ttl "${
        safeText(value)
      }": expected a whole number of seconds from 0 to ${MAX_TIMEOUT_SECONDS}`,
    );
  }
  return Number(text);
}

/**
 * The time left under which `--min-ttl` refreshes: the asked TTL, but never more than a fresh
 * token's lifetime less a minute — asking for more than the server gives must not make every
 * call a refresh.
 */
export function refreshBelow(minTtlMs: number, lifetimeSeconds: number | undefined): number {
  const lifetime = Number(lifetimeSeconds);
  if (!Number.isFinite(lifetime) || lifetime <= 0) return minTtlMs;
  return Math.min(minTtlMs, lifetime * 1000 - 60_000);
}

/** Reads the flags of `pup auth token` (pure). */
export function parse(input: CommandInput): TokenOptions {
  return {
    show: Boolean(input.values.show),
    json: Boolean(input.values.json),
    minTtlSeconds: parseMinTtl(input.values["min-ttl"] as string | undefined),
  };
}

/** How to use the command, on a terminal (no secret). */
function explain(ctx: Context, site: string, org: string | undefined): void {
  const flags = org ? ` --org ${org}` : "";
  ctx.info(
    `pup prints the access token of ${
      safeText(sessionLabel(site, org))
    } only into a pipe, a file or $(…), so it does not land in your terminal's scrollback.`,
  );
  ctx.info(`  curl -H "Authorization: Bearer $(pup auth token${flags})" …`);
  ctx.info(`  pup auth token${flags} | pbcopy`);
  ctx.info(`To print it here anyway: pup auth token${flags} --show`);
}

/**
 * Runs `pup auth token`.
 *
 * @example
 * // curl -H "Authorization: Bearer $(pup auth token)" https://api.datadoghq.com/api/v1/validate
 * await run(parse({ values: {}, positionals: [] }), ctx);
 */
export async function run(options: TokenOptions, ctx: Context): Promise<number> {
  const target = await resolveTarget(ctx);
  // Whatever its source, the site is validated again before a refresh could send anything.
  const site = normalizeSite(target.site);
  const org = target.org;
  const store = await ctx.store();
  const tokens = (await store.read(site)).tokens;
  const stored = tokenFor(tokens, org);
  if (!stored) throw notLoggedIn(site, org);

  if (ctx.deps.io.stdoutIsTTY && !options.show) {
    explain(ctx, site, org);
    return ExitCode.ok;
  }

  const now = ctx.deps.clock.now();
  const minTtlMs = (options.minTtlSeconds ?? 0) * 1000;
  const below = refreshBelow(minTtlMs, stored.expires_in);
  const tooShort = Date.parse(stored.expires_at) - now < below;
  // A refresh sends the refresh token to the site: the trust gate comes first.
  if (tooShort || needsRefresh(stored, now)) await ensureTrusted(ctx, site);
  // Judged again under the site's lock after a re-read: many callers with the same --min-ttl
  // make one refresh (the others find the new token).
  const { token } = await usableToken(ctx, site, org, { minTtlMs: below });
  const left = Date.parse(token.expires_at) - ctx.deps.clock.now();
  if (left < minTtlMs) {
    ctx.info(
      `⚠️ the token expires in ${
        Math.max(0, Math.round(left / 1000))
      } s, sooner than --min-ttl ${options.minTtlSeconds}: the server issues no longer-lived ones`,
    );
  }
  if (options.json) {
    const doc = {
      access_token: token.access_token,
      expires_at: token.expires_at,
      site,
      org: org ?? null,
      scopes: token.scope ? token.scope.split(" ").filter(Boolean) : [],
    };
    ctx.deps.io.out(JSON.stringify(doc) + "\n");
  } else {
    ctx.deps.io.out(token.access_token + "\n");
  }
  return ExitCode.ok;
}
