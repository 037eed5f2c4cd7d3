/**
 * @module
 * `pup auth token [--org NAME] [--show]`: the one command that prints a token (CONTRACT §9).
 * It writes the access token (refreshed first when within 5 minutes of expiry) and a newline to
 * stdout — and nothing else — only when stdout is not a terminal (a pipe, a file, `$(…)`). On a
 * terminal it prints nothing secret and says how to use it, unless `--show` is given.
 */
import type { Context } from "../cli/context.ts";
import type { CommandInput } from "../cli/spec.ts";
import { ExitCode, usageError } from "../errors.ts";
import { ensureTrusted } from "../auth/trust.ts";
import { orgKey, resolveTarget, sessionLabel } from "../session/resolve.ts";
import { needsRefresh, notLoggedIn, usableToken } from "../session/tokens.ts";

/**
 * Runs `pup auth token`.
 *
 * @example
 * // curl -H "Authorization: Bearer $(pup auth token)" https://api.datadoghq.com/api/v1/validate
 * await run(ctx, { values: {}, positionals: [] });
 */
export async function run(ctx: Context, input: CommandInput): Promise<number> {
  if (input.positionals.length) {
    throw usageError(`unexpected argument "${input.positionals[0]}" for 'pup auth token'`);
  }
  const { site, org } = await resolveTarget(ctx);
  const store = await ctx.store();
  const stored = (await store.read(site)).tokens[orgKey(org)];
  if (!stored) throw notLoggedIn(site, org);

  if (ctx.deps.io.stdoutIsTTY && !input.values.show) {
    const flags = org ? ` --org ${org}` : "";
    ctx.info(
      `pup prints the access token of ${
        sessionLabel(site, org)
      } only into a pipe, a file or $(…), so it does not land in your terminal's scrollback.`,
    );
    ctx.info(`  curl -H "Authorization: Bearer $(pup auth token${flags})" …`);
    ctx.info(`  pup auth token${flags} | pbcopy`);
    ctx.info(`To print it here anyway: pup auth token${flags} --show`);
    return ExitCode.ok;
  }

  // A refresh sends the refresh token to the site: the trust gate comes first.
  if (needsRefresh(stored, ctx.deps.clock.now())) await ensureTrusted(ctx, site);
  const { token } = await usableToken(ctx, site, org);
  ctx.deps.io.out(token.access_token + "\n");
  return ExitCode.ok;
}
