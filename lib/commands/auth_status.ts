/**
 * @module
 * `pup auth status`: whether the session is usable, its site, org, expiry, scopes and where
 * its tokens live. Exit 0 when usable, 4 when not (CONTRACT §9). An access token within the
 * refresh window is refreshed here, as any API call would, so the answer is the truth.
 *
 * Every field printed in the table view passes the neutraliser (`safeText`): the scope and the
 * org UUID come from a server or a file and may carry terminal escapes. The table view
 * summarises the scopes; `-o json|yaml` keep the full array ({@link StatusData} is the stable
 * schema).
 */
import type { Context } from "../cli/context.ts";
import { outputFormat, printData, relativeTime } from "../cli/output.ts";
import type { CommandInput } from "../cli/spec.ts";
import { ExitCode, PupError } from "../errors.ts";
import { DEFAULT_SCOPES, READ_ONLY_SCOPES } from "../auth/scopes.ts";
import { normalizeSite } from "../auth/site.ts";
import { ensureTrusted } from "../auth/trust.ts";
import type { Token } from "../auth/types.ts";
import { tokenFor } from "../session/identity.ts";
import { resolveTarget, sessionLabel } from "../session/resolve.ts";
import { needsRefresh, usableToken } from "../session/tokens.ts";
import { safeText } from "../text.ts";

/** What `pup auth status` was asked for. */
export interface StatusOptions {
  siteFlag: string | undefined;
}

/** The `-o json` document (stable: fields are only ever added). */
export interface StatusData {
  authenticated: boolean;
  status: string;
  site: string;
  org: string | null;
  org_uuid: string | null;
  expires_at: string | null;
  expires_in_seconds: number | null;
  scopes: string[];
  token_storage: string;
  storage_location: string;
}

/** Reads the flags of `pup auth status` (pure). */
export function parse(input: CommandInput): StatusOptions {
  return { siteFlag: input.values.site as string | undefined };
}

/** Lists this long or shorter are shown whole. */
const SHORT_LIST = 6;

function difference(a: readonly string[], b: readonly string[]): string[] {
  const drop = new Set(b);
  return a.filter((s) => !drop.has(s));
}

/**
 * The table view's one-line summary of granted scopes (issue 13): `110 (the default set)`,
 * `the read-only set + 2: a, b`, `the default set without 1: x`, or the list when short.
 */
export function summarizeScopes(scopes: string[]): string {
  if (scopes.length === 0) return "(none)";
  const sets: [string, readonly string[]][] = [
    ["the default set", DEFAULT_SCOPES],
    ["the read-only set", READ_ONLY_SCOPES],
  ];
  for (const [name, set] of sets) {
    const extra = difference(scopes, set);
    const missing = difference(set, scopes);
    if (extra.length === 0 && missing.length === 0) return `${scopes.length} (${name})`;
    if (missing.length === 0 && extra.length <= SHORT_LIST) {
      return `${name} + ${extra.length}: ${extra.join(", ")}`;
    }
    if (extra.length === 0 && missing.length <= SHORT_LIST) {
      return `${name} without ${missing.length}: ${missing.join(", ")}`;
    }
  }
  if (scopes.length <= SHORT_LIST) return scopes.join(", ");
  return `${scopes.length}: ${scopes.slice(0, 3).join(", ")}, …`;
}

/** The session's token, refreshed when within the refresh window; or what is wrong. */
async function checkToken(
  ctx: Context,
  site: string,
  org: string | undefined,
  token: Token | undefined,
): Promise<{ token?: Token; problem?: string; hint?: string; refreshed: boolean }> {
  if (!token) {
    return {
      problem: "not logged in",
      hint: `Run 'pup auth login${org ? ` --org ${org}` : ""}' to log in.`,
      refreshed: false,
    };
  }
  if (!needsRefresh(token, ctx.deps.clock.now())) return { token, refreshed: false };
  try {
    await ensureTrusted(ctx, site);
    const r = await usableToken(ctx, site, org);
    return { token: r.token, refreshed: r.refreshed };
  } catch (err) {
    if (!(err instanceof PupError)) throw err;
    return {
      token,
      problem: err.code === "token_expired" ? "token expired" : `refresh failed: ${err.message}`,
      hint: err.hint ?? "Run 'pup auth refresh' to refresh or 'pup auth login' to re-authenticate",
      refreshed: false,
    };
  }
}

/** Prints the table view; every field through the neutraliser. */
function printTable(ctx: Context, data: StatusData, problem?: string, hint?: string): void {
  const t = safeText;
  const label = t(sessionLabel(data.site, data.org ?? undefined));
  if (problem) {
    ctx.print(`✗ Not authenticated: ${label} (${t(problem)})`);
    if (hint) ctx.print(`  ${t(hint)}`);
  } else {
    ctx.print(`✓ Logged in: ${label}`);
    if (data.org_uuid) ctx.print(`  Org UUID:  ${t(data.org_uuid)}`);
    const expires = Date.parse(data.expires_at!);
    ctx.print(
      `  Expires:   ${t(data.expires_at!)} (${relativeTime(expires, ctx.deps.clock.now())})`,
    );
    ctx.print(`  Scopes:    ${t(summarizeScopes(data.scopes))}`);
    if (data.scopes.length > SHORT_LIST) {
      ctx.print(`             (all of them: pup auth scopes, or pup auth status -o json)`);
    }
  }
  ctx.print(
    data.token_storage === "file"
      ? `  Storage:   plain files under ${t(data.storage_location)} (0600); no OS keychain in use`
      : `  Storage:   ${t(data.storage_location)}`,
  );
}

/** Runs `pup auth status`. */
export async function run(options: StatusOptions, ctx: Context): Promise<number> {
  const target = await resolveTarget(ctx, options.siteFlag);
  // Whatever its source, the site is validated again before a refresh could send anything.
  const site = normalizeSite(target.site);
  const org = target.org;
  const store = await ctx.store();
  const state = await store.read(site);
  const entry = (await ctx.sessions()).find((s) => s.site === site && s.org === (org ?? null));
  const stored = tokenFor(state.tokens, org);
  const { token, problem, hint, refreshed } = await checkToken(ctx, site, org, stored);
  const now = ctx.deps.clock.now();
  const expiresAt = token ? Date.parse(token.expires_at) : undefined;
  const data: StatusData = {
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
  if (!(await printData(ctx, data, outputFormat(ctx, "table")))) {
    printTable(ctx, data, problem, hint);
  }
  return problem ? ExitCode.auth : ExitCode.ok;
}
