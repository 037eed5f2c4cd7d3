/**
 * @module
 * `pup auth list [-o table|json|yaml]`: every session — those sessions.json records plus any
 * token stored for a site it names (and for `DD_SITE` / `site:` when set) — with its site, org,
 * org UUID, scopes, expiry and status: `valid`, `expiring` (within the 5-minute refresh window),
 * `expired`, `refresh failed` (the last refresh was refused; recorded on the stored token) or
 * `not logged in` (recorded, but no token). It reads only: no refresh, no network.
 */
import type { Context } from "../cli/context.ts";
import { outputFormat, printData, relativeTime, table } from "../cli/output.ts";
import type { CommandInput } from "../cli/spec.ts";
import { normalizeSite } from "../auth/site.ts";
import { DEFAULT_ORG_KEY, type SiteState } from "../auth/types.ts";
import { ExitCode, PupError } from "../errors.ts";
import { safeText } from "../text.ts";
import { tokenFor } from "../session/identity.ts";
import type { SessionEntry } from "../session/sessions.ts";
import { REFRESH_WINDOW_MS, type StoredToken } from "../session/tokens.ts";

/** A session's status in the list. */
export type SessionStatus = "valid" | "expiring" | "expired" | "refresh failed" | "not logged in";

/** One row of the list. */
export interface SessionRow {
  site: string;
  /** null for the default session. */
  org: string | null;
  org_uuid: string | null;
  scopes: string[];
  expires_at: string | null;
  status: SessionStatus;
  /** Why the last refresh failed, when `status` is `refresh failed`. */
  refresh_error?: string;
  refresh_failed_at?: string;
}

/**
 * The status of a stored token at `now`, from what is stored alone.
 *
 * @example
 * sessionStatus(token, true, Date.now()); // "valid"
 */
export function sessionStatus(
  token: StoredToken | undefined,
  hasClient: boolean,
  now: number,
): SessionStatus {
  if (!token) return "not logged in";
  // A missing client is cured by any later login on the site; the other failures are not.
  if (token.refresh_error && !(token.refresh_error === "client_missing" && hasClient)) {
    return "refresh failed";
  }
  const left = Date.parse(token.expires_at) - now;
  if (left <= 0) return "expired";
  if (left <= REFRESH_WINDOW_MS) return "expiring";
  return "valid";
}

function configuredSite(ctx: Context, configSite: string | undefined): string | undefined {
  const raw = ctx.deps.env.DD_SITE?.trim() || configSite;
  if (!raw) return undefined;
  try {
    return normalizeSite(raw);
  } catch {
    return undefined; // commands that use the site report it; a list only lists
  }
}

/** `pup auth list` takes no options of its own (`-o` is global). */
export type AuthListOptions = Record<string, never>;

/**
 * Reads the flags of `pup auth list` (pure): there are none.
 *
 * @example
 * parse({ values: {}, positionals: [] }); // {}
 */
export function parse(_input: CommandInput): AuthListOptions {
  return {};
}

/**
 * The rows of one site: each session sessions.json records for it and each token its state
 * holds. Keyed state is looked up as own properties only (an org named `constructor` is data).
 */
export function siteRows(
  site: string,
  state: SiteState,
  sessions: SessionEntry[],
  now: number,
): SessionRow[] {
  const keys = new Set<string>();
  for (const s of sessions) if (s.site === site) keys.add(s.org ?? DEFAULT_ORG_KEY);
  for (const k of Object.keys(state.tokens)) keys.add(k);
  return [...keys].map((key) => {
    const org = key === DEFAULT_ORG_KEY ? null : key;
    const token = tokenFor(state.tokens, org) as StoredToken | undefined;
    const entry = sessions.find((s) => s.site === site && s.org === org);
    const status = sessionStatus(token, state.client !== null, now);
    const row: SessionRow = {
      site,
      org,
      org_uuid: entry?.org_uuid ?? null,
      scopes: token?.scope ? token.scope.split(" ").filter(Boolean) : [],
      expires_at: token?.expires_at ?? null,
      status,
    };
    if (status === "refresh failed") {
      row.refresh_error = token!.refresh_error;
      row.refresh_failed_at = token!.refresh_failed_at;
    }
    return row;
  });
}

function printTable(ctx: Context, rows: SessionRow[], now: number): void {
  if (rows.length === 0) {
    ctx.print("No sessions. Run 'pup auth login' to log in.");
    return;
  }
  ctx.deps.io.out(table(
    ["SITE", "ORG", "ORG UUID", "SCOPES", "EXPIRES", "STATUS"],
    rows.map((r) => [
      r.site,
      r.org ?? "(default)",
      r.org_uuid ?? "",
      r.scopes.length,
      r.expires_at ? `${r.expires_at} (${relativeTime(Date.parse(r.expires_at), now)})` : "",
      r.status === "refresh failed" ? `refresh failed (${r.refresh_error})` : r.status,
    ]),
  ));
}

/**
 * Runs `pup auth list`.
 *
 * @example
 * await run(parse({ values: {}, positionals: [] }), ctx); // a table of every session
 */
export async function run(_options: AuthListOptions, ctx: Context): Promise<number> {
  const sessions = await ctx.sessions();
  const store = await ctx.store();
  const sites = [...new Set(sessions.map((s) => s.site))];
  const extra = configuredSite(ctx, (await ctx.config()).site);
  if (extra && !sites.includes(extra)) sites.push(extra);

  const now = ctx.deps.clock.now();
  const rows: SessionRow[] = [];
  let unreadable = false;
  for (const site of sites) {
    try {
      rows.push(...siteRows(site, await store.read(site), sessions, now));
    } catch (err) {
      if (!(err instanceof PupError)) throw err;
      unreadable = true;
      ctx.info(safeText(`⚠️ Cannot read the sessions of ${site}: ${err.message}`));
      if (err.hint) ctx.info(`  ${safeText(err.hint)}`);
    }
  }
  rows.sort((a, b) =>
    a.site.localeCompare(b.site) ||
    (a.org === null ? -1 : b.org === null ? 1 : a.org.localeCompare(b.org))
  );

  const plain = store.kind === "file";
  const data = { token_storage: store.kind, storage_location: store.location, sessions: rows };
  if (!(await printData(ctx, data, outputFormat(ctx, "table")))) {
    printTable(ctx, rows, now);
    ctx.print(
      plain
        ? `Tokens are stored in plain files under ${store.location} (mode 0600).`
        : `Tokens are stored in ${store.location}.`,
    );
  }
  if (plain && rows.length > 0) {
    ctx.info(
      "⚠️ No OS keychain holds these tokens: anyone who can read your files as you can use them.",
    );
  }
  return unreadable ? ExitCode.failure : ExitCode.ok;
}
