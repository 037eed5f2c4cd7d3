/**
 * @module
 * `pup auth status`: whether the session is usable, its site, org, expiry, scopes and where
 * its tokens live. Exit 0 when usable, 4 when not (CONTRACT §9). An access token within the
 * refresh window is refreshed here, as any API call would, so the answer is the truth.
 */
import type { Context } from "../cli/context.ts";
import { outputFormat, printData, relativeTime } from "../cli/output.ts";
import type { CommandInput } from "../cli/spec.ts";
import { ExitCode, PupError, usageError } from "../errors.ts";
import { ensureTrusted } from "../auth/trust.ts";
import { orgKey, resolveTarget, sessionLabel } from "../session/resolve.ts";
import { needsRefresh, usableToken } from "../session/tokens.ts";

/** Runs `pup auth status`. */
export async function run(ctx: Context, input: CommandInput): Promise<number> {
  if (input.positionals.length) {
    throw usageError(`unexpected argument "${input.positionals[0]}" for 'pup auth status'`);
  }
  const { site, org } = await resolveTarget(ctx, input.values.site as string | undefined);
  const store = await ctx.store();
  const state = await store.read(site);
  let token = state.tokens[orgKey(org)];
  const entry = (await ctx.sessions()).find((s) => s.site === site && s.org === (org ?? null));
  let problem: string | undefined;
  let hint: string | undefined;
  let refreshed = false;
  if (!token) {
    problem = "not logged in";
    hint = `Run 'pup auth login${org ? ` --org ${org}` : ""}' to log in.`;
  } else if (needsRefresh(token, ctx.deps.clock.now())) {
    try {
      await ensureTrusted(ctx, site);
      const r = await usableToken(ctx, site, org);
      token = r.token;
      refreshed = r.refreshed;
    } catch (err) {
      if (!(err instanceof PupError)) throw err;
      problem = err.code === "token_expired" ? "token expired" : `refresh failed: ${err.message}`;
      hint = err.hint ?? "Run 'pup auth refresh' to refresh or 'pup auth login' to re-authenticate";
    }
  }
  const now = ctx.deps.clock.now();
  const expiresAt = token ? Date.parse(token.expires_at) : undefined;
  const data = {
    authenticated: problem === undefined,
    status: problem ?? (refreshed ? "valid (refreshed)" : "valid"),
    site,
    org: org ?? null,
    org_uuid: entry?.org_uuid ?? null,
    expires_at: token?.expires_at ?? null,
    expires_in_seconds: expiresAt === undefined ? null : Math.round((expiresAt - now) / 1000),
    scopes: token?.scope ? token.scope.split(" ").filter(Boolean) : [],
    token_storage: store.kind,
    storage_location: store.location,
  };
  const format = outputFormat(ctx, "table");
  if (!(await printData(ctx, data, format))) {
    const label = sessionLabel(site, org);
    if (problem) {
      ctx.print(`✗ Not authenticated: ${label} (${problem})`);
      if (hint) ctx.print(`  ${hint}`);
    } else {
      ctx.print(`✓ Logged in: ${label}`);
      if (entry?.org_uuid) ctx.print(`  Org UUID:  ${entry.org_uuid}`);
      ctx.print(`  Expires:   ${data.expires_at} (${relativeTime(expiresAt!, now)})`);
      ctx.print(`  Scopes:    ${data.scopes.length ? data.scopes.join(" ") : "(none)"}`);
    }
    ctx.print(
      store.kind === "file"
        ? `  Storage:   plain files under ${store.location} (0600); no OS keychain in use`
        : `  Storage:   ${store.location}`,
    );
  }
  return problem ? ExitCode.auth : ExitCode.ok;
}
