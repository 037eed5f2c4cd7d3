/**
 * @module
 * The trust gate (CONTRACT §1): credentials go only to Datadog-owned hosts unless the user
 * opted in with `--trust-site`, `PUP_TRUST_SITE=1`, `trusted_sites:` or `y` at a prompt.
 *
 * One rule, {@link originAllowed}, decides on the **parsed origin** of the URL a credential is
 * about to go to; {@link ensureTrusted} (asked early by commands, may prompt) and
 * {@link trustGate} (asked by the egress, `lib/auth/egress.ts`, for every request) both use it,
 * and share the prompt's answers so a user is asked once per host.
 */
import { PupError } from "../errors.ts";
import { apiBase, isDatadogOwnedHostname, normalizeSite } from "./site.ts";

/**
 * What the gate needs; pup's command context satisfies it. Narrow on purpose: the gate knows
 * nothing of commands.
 */
export interface TrustContext {
  deps: {
    env: Readonly<Record<string, string | undefined>>;
    io: {
      err(text: string): void;
      readLine(): Promise<string | null>;
      stdinIsTTY: boolean;
      stderrIsTTY: boolean;
    };
  };
  globals: { trustSite: boolean };
  dir: string;
  config(): Promise<{ trusted_sites?: string[] }>;
}

/** The user's standing opt-ins (everything but the interactive prompt). */
export interface OptIn {
  /** `--trust-site` or `PUP_TRUST_SITE=1`: every host. */
  all: boolean;
  /** `trusted_sites:` of config.yaml, as written there. */
  trusted: readonly string[];
}

/** Approved at the prompt, per context: origins. */
const approvals = new WeakMap<object, Set<string>>();

function trustedOrigin(entry: string): string | undefined {
  try {
    return new URL(apiBase(normalizeSite(entry))).origin;
  } catch {
    return undefined;
  }
}

/**
 * The one rule: may credentials go to `url`? Yes when its host name is Datadog's (a canonical
 * site or a subdomain of datadoghq.com, datadoghq.eu, ddog-gov.com, datad0g.com), when the user
 * trusts every host, or when `trusted_sites:` names its origin. Decided on the parsed URL.
 *
 * @example
 * originAllowed(new URL("https://api.datadoghq.eu/x"), { all: false, trusted: [] }); // true
 * originAllowed(new URL("https://127.0.0.1#.datadoghq.com"), { all: false, trusted: [] }); // false
 */
export function originAllowed(url: URL, optIn: OptIn): boolean {
  if (url.protocol !== "https:" && url.protocol !== "http:") return false;
  if (url.username || url.password) return false;
  if (url.protocol === "https:" && isDatadogOwnedHostname(url.hostname)) return true;
  if (optIn.all) return true;
  return optIn.trusted.some((t) => trustedOrigin(t) === url.origin);
}

function envOptIn(env: TrustContext["deps"]["env"]): boolean {
  const v = env.PUP_TRUST_SITE?.trim().toLowerCase();
  return v === "1" || v === "true" || v === "yes";
}

async function optInOf(ctx: TrustContext): Promise<OptIn> {
  if (ctx.globals.trustSite || envOptIn(ctx.deps.env)) return { all: true, trusted: [] };
  return { all: false, trusted: (await ctx.config()).trusted_sites ?? [] };
}

async function checkOrigin(ctx: TrustContext, url: URL, label: string): Promise<void> {
  const standing = { all: false, trusted: [] };
  if (originAllowed(url, standing)) return; // Datadog's: no config read needed
  if (originAllowed(url, await optInOf(ctx))) return;
  const approved = approvals.get(ctx);
  if (approved?.has(url.origin)) return;
  const { io } = ctx.deps;
  if (io.stdinIsTTY && io.stderrIsTTY) {
    io.err(
      `⚠️ ${label} is not a Datadog site. Send your Datadog credentials to it? [y/N] `,
    );
    const answer = (await io.readLine())?.trim().toLowerCase();
    if (answer === "y" || answer === "yes") {
      if (approved) approved.add(url.origin);
      else approvals.set(ctx, new Set([url.origin]));
      return;
    }
  }
  throw new PupError(
    "untrusted_site",
    `refusing to send credentials to ${label}: it is not a Datadog site`,
    {
      hint:
        `if you trust it, pass --trust-site, set PUP_TRUST_SITE=1, or add it under trusted_sites: in ${ctx.dir}/config.yaml`,
    },
  );
}

/**
 * Throws (exit 2) unless credentials may be sent to `site`'s API origin; prompts on a
 * terminal. A site that does not validate is an `invalid_site` error (exit 2).
 */
export async function ensureTrusted(ctx: TrustContext, site: string): Promise<void> {
  await checkOrigin(ctx, new URL(apiBase(site)), site);
}

/** A check of a request's parsed URL, for the egress: throws `untrusted_site`. */
export type OriginCheck = (url: URL) => Promise<void>;

/**
 * The gate as the egress asks it, for the final URL of each request. The prompt's answers
 * given to {@link ensureTrusted} on the same context count, so nobody is asked twice.
 */
export function trustGate(ctx: TrustContext): OriginCheck {
  return (url) => checkOrigin(ctx, url, url.host);
}
