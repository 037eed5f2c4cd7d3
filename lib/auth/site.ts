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
  s = s.toLowerCase();
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
    if (!/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
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
  return s;
}

/** Whether `site` is one of the canonical sites. */
export function isCanonicalSite(site: string): boolean {
  return (CANONICAL_SITES as readonly string[]).includes(site);
}

function hostOf(site: string): string {
  return site.startsWith("[") ? site.slice(0, site.indexOf("]") + 1) : site.split(":")[0];
}

/** Whether the site is a loopback address (served over plain http). */
export function isLoopbackSite(site: string): boolean {
  const host = hostOf(site);
  return host === "127.0.0.1" || host === "[::1]" || host === "localhost";
}

function origin(host: string): string {
  return `${isLoopbackSite(host) ? "http" : "https"}://${host}`;
}

/** The API origin: `https://api.<site>` for canonical sites, else the site itself. */
export function apiBase(site: string): string {
  return origin(isCanonicalSite(site) ? `api.${site}` : site);
}

/** The app origin (browser authorize page): `https://app.<site>`, or `https://<sub>.<site>`. */
export function appBase(site: string, subdomain?: string): string {
  if (subdomain) return origin(`${subdomain}.${site}`);
  return origin(isCanonicalSite(site) ? `app.${site}` : site);
}

/** Whether Datadog owns the site: a canonical site or a subdomain of a Datadog domain. */
export function isDatadogOwned(site: string): boolean {
  if (isCanonicalSite(site)) return true;
  const host = hostOf(site);
  return DATADOG_DOMAINS.some((d) => host === d || host.endsWith(`.${d}`));
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
