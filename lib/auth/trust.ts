/**
 * @module
 * The trust gate (CONTRACT §1): credentials go only to Datadog-owned hosts unless the user
 * opted in with `--trust-site`, `PUP_TRUST_SITE=1`, `trusted_sites:` or `y` at a prompt.
 */
import type { Context } from "../cli/context.ts";
import { PupError } from "../errors.ts";
import { isDatadogOwned, normalizeSite } from "./site.ts";

/** Throws (exit 2) unless credentials may be sent to `site`. */
export async function ensureTrusted(ctx: Context, site: string): Promise<void> {
  if (isDatadogOwned(site) || ctx.globals.trustSite) return;
  const env = ctx.deps.env.PUP_TRUST_SITE?.trim().toLowerCase();
  if (env === "1" || env === "true" || env === "yes") return;
  const trusted = (await ctx.config()).trusted_sites ?? [];
  if (trusted.some((t) => safeNormalize(t) === site)) return;
  const { io } = ctx.deps;
  if (io.stdinIsTTY && io.stderrIsTTY) {
    io.err(
      `⚠️ ${site} is not a Datadog site. Send your Datadog credentials to it? [y/N] `,
    );
    const answer = (await io.readLine())?.trim().toLowerCase();
    if (answer === "y" || answer === "yes") return;
  }
  throw new PupError(
    "untrusted_site",
    `refusing to send credentials to ${site}: it is not a Datadog site`,
    {
      hint:
        `if you trust it, pass --trust-site, set PUP_TRUST_SITE=1, or add it under trusted_sites: in ${ctx.dir}/config.yaml`,
    },
  );
}

function safeNormalize(site: string): string | undefined {
  try {
    return normalizeSite(site);
  } catch {
    return undefined;
  }
}
