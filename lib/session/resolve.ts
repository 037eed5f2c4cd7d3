/**
 * @module
 * Which site and session a command means (CONTRACT §8 and the document's Multi-Org Support):
 * `--site` (login/status only), then `DD_SITE` or `site:` in config.yaml, then the site that
 * sessions.json records for the org when exactly one session has that name, then the one
 * default session's site when no org is given and there is exactly one, then datadoghq.com.
 */
import type { Context } from "../cli/context.ts";
import { DEFAULT_SITE, normalizeSite } from "../auth/site.ts";
import { readSessions, type SessionEntry } from "./sessions.ts";

/** A resolved (site, org) pair; `org` undefined is the default session. */
export interface Target {
  site: string;
  org: string | undefined;
  /** Where the site came from, for messages. */
  siteSource: "flag" | "env" | "config" | "sessions" | "default";
}

/** Resolves the target of a command. */
export async function resolveTarget(ctx: Context, siteFlag?: string): Promise<Target> {
  const org = await ctx.org();
  if (siteFlag !== undefined) return { site: normalizeSite(siteFlag), org, siteSource: "flag" };
  const envSite = ctx.deps.env.DD_SITE?.trim();
  if (envSite) return { site: normalizeSite(envSite), org, siteSource: "env" };
  const config = await ctx.config();
  if (config.site) return { site: normalizeSite(config.site), org, siteSource: "config" };
  const sessions = await readSessions(ctx.dir);
  const site = siteFromSessions(ctx, sessions, org);
  return site
    ? { site, org, siteSource: "sessions" }
    : { site: DEFAULT_SITE, org, siteSource: "default" };
}

function siteFromSessions(
  ctx: Context,
  sessions: SessionEntry[],
  org: string | undefined,
): string | undefined {
  const matches = sessions.filter((s) => s.org === (org ?? null));
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

/** The key a session's token is stored under. */
export function orgKey(org: string | undefined): string {
  return org ?? "__default__";
}

/** How a session is named in messages. */
export function sessionLabel(site: string, org: string | undefined): string {
  return org ? `org "${org}" on ${site}` : `the default session on ${site}`;
}
