/**
 * @module
 * Which site and session a command means (CONTRACT §8 and the document's Multi-Org Support):
 * `--site` (login/status only), then `DD_SITE` or `site:` in config.yaml, then the site that
 * sessions.json records for the org when exactly one session has that name, then the one
 * default session's site when no org is given and there is exactly one, then datadoghq.com.
 */
import { DEFAULT_SITE, normalizeSite } from "../auth/site.ts";
import { PupError } from "../errors.ts";
import { registryOrg, type SessionId, sessionId } from "./identity.ts";
import type { Config } from "./config.ts";
import type { SessionEntry } from "./sessions.ts";

/**
 * What resolving needs: the org asked for, the environment, config.yaml, sessions.json and a
 * way to warn. The CLI's `Context` is one; this layer does not import it (issue 10).
 */
export interface ResolveDeps {
  deps: { env: Readonly<Record<string, string | undefined>> };
  org(): Promise<string | undefined>;
  config(): Promise<Config>;
  sessions(): Promise<SessionEntry[]>;
  info(line: string): void;
}

/** A resolved session ({@link SessionId}: site, org — undefined is the default — and orgKey). */
export interface Target extends SessionId {
  /** Where the site came from, for messages. */
  siteSource: "flag" | "env" | "config" | "sessions" | "default";
}

/**
 * Resolves the (site, org) a command means. Only `auth login` and `auth status` pass
 * `siteFlag`; every other command resolves without one.
 *
 * @example
 * const { site, org } = await resolveTarget(ctx); // DD_ORG=prod-child → its recorded site
 */
export async function resolveTarget(ctx: ResolveDeps, siteFlag?: string): Promise<Target> {
  const org = await ctx.org();
  const target = (site: string, siteSource: Target["siteSource"]): Target => ({
    ...sessionId(site, org),
    siteSource,
  });
  if (siteFlag !== undefined) return target(normalizeSite(siteFlag), "flag");
  const envSite = ctx.deps.env.DD_SITE?.trim();
  if (envSite) return target(fromEnv(envSite), "env");
  const config = await ctx.config(); // its site is validated (and normalised) when loaded
  if (config.site) return target(normalizeSite(config.site), "config");
  // Every site in sessions.json is validated (and normalised) when it is read.
  const site = siteFromSessions(ctx, await ctx.sessions(), org);
  return site ? target(site, "sessions") : target(DEFAULT_SITE, "default");
}

function fromEnv(value: string): string {
  try {
    return normalizeSite(value);
  } catch (err) {
    if (!(err instanceof PupError)) throw err;
    throw new PupError(err.code, `DD_SITE: ${err.message}`, { hint: err.hint });
  }
}

/**
 * Step 2 and 3 of the rules: the one site sessions.json records for `org`, or (no org) for the
 * default session. Several sites make the step ambiguous: warn and skip it.
 */
function siteFromSessions(
  ctx: Pick<ResolveDeps, "info">,
  sessions: SessionEntry[],
  org: string | undefined,
): string | undefined {
  const matches = sessions.filter((s) => s.org === registryOrg(org));
  const sites = [...new Set(matches.map((s) => s.site))];
  if (sites.length === 1) return sites[0];
  if (sites.length > 1) {
    ctx.info(
      org
        ? `⚠️ Org "${org}" has sessions on several sites (${
          sites.join(", ")
        }); using ${DEFAULT_SITE}. Set DD_SITE to choose one.`
        : `⚠️ Default sessions exist on several sites (${
          sites.join(", ")
        }); using ${DEFAULT_SITE}. Set DD_SITE to choose one.`,
    );
  }
  return undefined;
}

// Kept for the modules that import them from here; the one definition is in identity.ts.
export { orgKey, sessionLabel } from "./identity.ts";
