/**
 * @module
 * `pup auth refresh [--org NAME]`: use the refresh token now (document: Token Refresh), under
 * the site's lock, and print the new expiry — never the token. A refused refresh token ends in
 * the document's `⚠️ Token expired` and exit 4; a network failure or 5xx exits 1 and leaves the
 * stored tokens exactly as they were.
 */
import type { Context } from "../cli/context.ts";
import { outputFormat, printData, relativeTime } from "../cli/output.ts";
import { ExitCode } from "../errors.ts";
import { ensureTrusted } from "../auth/trust.ts";
import { registryOrg } from "../session/identity.ts";
import { resolveTarget, sessionLabel } from "../session/resolve.ts";
import { refreshNow } from "../session/tokens.ts";

/** `pup auth refresh` takes no options of its own (`--org` is global; positionals: none). */
export type RefreshOptions = Record<never, never>;

/**
 * Reads the flags of `pup auth refresh` (pure): there are none of its own.
 *
 * @example
 * parse({ values: {}, positionals: [] }); // {}
 */
export function parse(): RefreshOptions {
  return {};
}

/**
 * Runs `pup auth refresh`.
 *
 * @example
 * await run(parse(), ctx); // prints "✓ Refreshed …", returns 0
 */
export async function run(_options: RefreshOptions, ctx: Context): Promise<number> {
  const { site, org } = await resolveTarget(ctx);
  // The site's lock first, then one read inside it (CONTRACT §8): one keychain read however many
  // sessions the site holds (issue 14). Not logged in is answered before the trust check (which
  // may prompt) and before any network call.
  const { token, refreshed } = await refreshNow(ctx, site, org, {
    beforeRefresh: () => ensureTrusted(ctx, site),
  });
  const now = ctx.deps.clock.now();
  const expires = Date.parse(token.expires_at);
  const data = {
    site,
    org: registryOrg(org),
    expires_at: token.expires_at,
    expires_in_seconds: Math.round((expires - now) / 1000),
  };
  if (await printData(ctx, data, outputFormat(ctx, "table"))) return ExitCode.ok;
  ctx.print(
    refreshed
      ? `✓ Refreshed: ${sessionLabel(site, org)}`
      : `✓ Refreshed: ${sessionLabel(site, org)} (by another pup process a moment ago)`,
  );
  ctx.print(`  Token expires ${token.expires_at} (${relativeTime(expires, now)})`);
  return ExitCode.ok;
}
