/**
 * @module
 * Datadog sites (CONTRACT §1): normalising what a user typed, validating it, the API and app
 * hosts, and whether credentials may be sent there.
 */
import { PupError } from "../errors.ts";

/** The canonical Datadog sites. */
export const CANONICAL_SITES = [
  "datadoghq.com",
  "datadoghq.eu",
  "us3.datadoghq.com",
  "us5.datadoghq.com",
  "ap1.datadoghq.com",
  "ap2.datadoghq.com",
  "ddog-gov.com",
  "datad0g.com",
] as const;

/** The default site. */
export const DEFAULT_SITE = "datadoghq.com";

const DATADOG_DOMAINS = ["datadoghq.com", "datadoghq.eu", "ddog-gov.com", "datad0g.com"];

/**
 * Normalises and validates a site: trims, drops a scheme, a trailing `/` and one leading
 * `app.`, `api.` or `www.` label, lower-cases, then checks the characters and the port.
 *
 * @example
 * normalizeSite("https://app.datadoghq.eu/"); // "datadoghq.eu"
 */
export function normalizeSite(input: string): string {
  let s = input.trim();
  s = s.replace(/^https?:\/\//i, "");
  s = s.replace(/\/$/, "");
  s = s.replace(/^(app|api|www)\./i, "");
  return validSiteForm(s.toLowerCase(), input);
}

/** Checks a site already normalised (`s`); messages name what the user gave (`input`). */
function validSiteForm(s: string, input: string): string {
  const fail = (rule: string) =>
    new PupError("invalid_site", `invalid site "${input}": ${rule}`, {
      hint: `expected a Datadog site such as ${CANONICAL_SITES.slice(0, 3).join(", ")}`,
    });
  if (s === "") throw fail("the site is empty");
  // `[::1]` is the one bracketed form allowed: loopback IPv6 for local tests.
  const m = /^(\[::1\]|[^:]*)(?::(.*))?$/.exec(s);
  if (!m) throw fail("expected host or host:port");
  const [, host, port] = m;
  if (port !== undefined) {
    // No leading zero: a URL reads `:01` as `:1`, so the site would not be the URL's host.
    if (!/^[1-9][0-9]{0,4}$/.test(port) || Number(port) > 65535) {
      throw fail(`the port must be a number from 1 to 65535, found "${port}"`);
    }
  }
  if (host === "[::1]") return s;
  if (/[\/?#@_\s]/.test(host)) {
    throw fail("a site may not contain /, ?, #, @, _ or whitespace");
  }
  if (!/^[a-z0-9.-]+$/.test(host)) {
    throw fail("only ASCII letters, digits, '.' and '-' are allowed, with an optional :port");
  }
  if (host.split(".").some((label) => label === "")) {
    throw fail("empty labels (a leading, trailing or doubled '.') are not allowed");
  }
  // A URL parser reads `9`, `127.1` or `0x7f000001` as another address (0.0.0.9, 127.0.0.1):
  // the site must be the host a URL built on it goes to.
  let parsed: string;
  try {
    parsed = new URL(`https://${host}`).hostname;
  } catch {
    throw fail("a host whose last label is a number must be a dotted IPv4 address");
  }
  if (parsed !== host) {
    throw fail(`expected a host name or a dotted IPv4 address; a URL reads it as ${parsed}`);
  }
  return s;
}

/**
 * The one validation every site source calls (CONTRACT §1): flag, `DD_SITE`, config.yaml,
 * sessions.json, a metadata document. Normalises like {@link normalizeSite}; a bad value is
 * an `invalid_site` error (exit 2) that names the value, the rule and where it came from.
 *
 * @example
 * parseSite("https://app.datadoghq.eu/", "DD_SITE"); // "datadoghq.eu"
 * parseSite("127.0.0.1#.datadoghq.com", "sessions.json"); // throws invalid_site
 */
export function parseSite(raw: string, source?: string): string {
  try {
    return normalizeSite(raw);
  } catch (err) {
    if (!(err instanceof PupError) || source === undefined) throw err;
    throw new PupError(err.code, `${source}: ${err.message}`, { hint: err.hint, cause: err });
  }
}

/**
 * The site, checked to be one {@link normalizeSite} accepts as it is written, so the host of a
 * URL built from it is the site itself (never a host hidden behind `#`, `/`, `?`, `\` or `@`).
 */
function checkedSite(site: string): string {
  // Not normalizeSite again: it drops one `app.` each time, so `app.datadoghq.com` (from
  // `--site app.app.datadoghq.com`) is a normal form that another pass would change.
  return validSiteForm(site, site);
}

/** Whether `site` is one of the canonical sites. */
export function isCanonicalSite(site: string): boolean {
  return (CANONICAL_SITES as readonly string[]).includes(site);
}

function hostOf(site: string): string {
  return site.startsWith("[") ? site.slice(0, site.indexOf("]") + 1) : site.split(":")[0];
}

/**
 * Whether a host name (as `URL.hostname` gives it, or a site's host) is one of the loopback
 * hosts of CONTRACT §1 — `127.0.0.1`, `[::1]`, `localhost` — the only ones pup talks plain
 * http to.
 */
export function isLoopbackHostname(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return h === "127.0.0.1" || h === "[::1]" || h === "::1" || h === "localhost";
}

/** Whether the site is a loopback address (served over plain http). */
export function isLoopbackSite(site: string): boolean {
  return isLoopbackHostname(hostOf(site));
}

function origin(host: string): string {
  return `${isLoopbackSite(host) ? "http" : "https"}://${host}`;
}

/**
 * The API origin: `https://api.<site>` for canonical sites, else the site itself. Throws
 * `invalid_site` for a site that is not in its normal form, so no URL built on it can point
 * at a host other than the site.
 */
export function apiBase(site: string): string {
  const s = checkedSite(site);
  return origin(isCanonicalSite(s) ? `api.${s}` : s);
}

/** The app origin (browser authorize page): `https://app.<site>`, or `https://<sub>.<site>`. */
export function appBase(site: string, subdomain?: string): string {
  const s = checkedSite(site);
  if (subdomain) return origin(`${subdomain}.${s}`);
  return origin(isCanonicalSite(s) ? `app.${s}` : s);
}

/**
 * Whether Datadog owns a host name (as `URL.hostname` gives it): a canonical site's host or a
 * subdomain of `datadoghq.com`, `datadoghq.eu`, `ddog-gov.com` or `datad0g.com`.
 */
export function isDatadogOwnedHostname(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return DATADOG_DOMAINS.some((d) => host === d || host.endsWith(`.${d}`));
}

/**
 * Whether Datadog owns the site: a canonical site or a subdomain of a Datadog domain. Decided
 * on the host of the site's parsed API origin, never on the raw text: a site that does not
 * validate (e.g. `127.0.0.1#.datadoghq.com`) is not Datadog's.
 */
export function isDatadogOwned(site: string): boolean {
  let url: URL;
  try {
    url = new URL(apiBase(normalizeSite(site)));
  } catch {
    return false;
  }
  return isDatadogOwnedHostname(url.hostname);
}

/** Validates `--subdomain`: one DNS label, and only with a canonical site. */
export function validateSubdomain(subdomain: string, site: string): string {
  const s = subdomain.trim().toLowerCase();
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(s)) {
    throw new PupError(
      "usage",
      `invalid --subdomain "${subdomain}": expected one DNS label (letters, digits, '-')`,
    );
  }
  if (!isCanonicalSite(site)) {
    throw new PupError(
      "usage",
      `--subdomain needs a canonical Datadog site, found "${site}"`,
      { hint: `canonical sites: ${CANONICAL_SITES.join(", ")}` },
    );
  }
  return s;
}
