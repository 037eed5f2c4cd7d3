/**
 * @module
 * Which proxy a request goes through, from the usual environment variables: `https_proxy` /
 * `HTTPS_PROXY` for https URLs, `http_proxy` / `HTTP_PROXY` for http URLs, `all_proxy` /
 * `ALL_PROXY` for either (lower-case wins, as in curl), except for hosts that `no_proxy` /
 * `NO_PROXY` lists. Loopback hosts never use a proxy: a proxy elsewhere cannot reach them.
 * Pure: the runtime-specific sending lives in `lib/runtime/proxy_fetch.ts`, which uses this
 * module (it lives under `lib/runtime/` so the runtime layer imports nothing above it;
 * `lib/api/proxy.ts` re-exports it).
 */

type Env = Readonly<Record<string, string | undefined>>;

function pick(env: Env, name: string): string | undefined {
  const v = env[name.toLowerCase()] ?? env[name.toUpperCase()];
  return v && v.trim() !== "" ? v.trim() : undefined;
}

/** Strips IPv6 brackets and a trailing dot, lower-cases. */
function canonicalHost(host: string): string {
  return host.replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "").toLowerCase();
}

/** Whether a host is loopback: `localhost`, `*.localhost`, `127.0.0.0/8` or `::1`. */
export function isLoopbackHost(host: string): boolean {
  const h = canonicalHost(host);
  return h === "localhost" || h.endsWith(".localhost") || h === "::1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function ipv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

/** Splits one NO_PROXY entry into host pattern and optional port. */
function splitEntry(entry: string): { pattern: string; port?: string } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { pattern: bracketed[1], port: bracketed[2] };
  // A bare IPv6 address has several colons and no port.
  if ((entry.match(/:/g) ?? []).length > 1) return { pattern: entry };
  const m = /^(.*?)(?::(\d+))?$/.exec(entry)!;
  return { pattern: m[1], port: m[2] };
}

/**
 * Whether `NO_PROXY` (its text) exempts `host:port` from the proxy. Entries are separated by
 * commas or spaces; `*` matches every host; `example.com`, `.example.com` and `*.example.com`
 * match the domain and all its subdomains; an IPv4 entry may be a CIDR block (`10.0.0.0/8`);
 * an entry with `:port` matches only that port.
 *
 * @example
 * noProxyMatches("api.datadoghq.com", "443", ".datadoghq.com"); // true
 * noProxyMatches("api.datadoghq.com", "443", "datadoghq.com:8443"); // false
 */
export function noProxyMatches(host: string, port: string, noProxy: string): boolean {
  const h = canonicalHost(host);
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry === "*") return true;
    const { pattern, port: wantPort } = splitEntry(entry);
    if (wantPort !== undefined && wantPort !== port) continue;
    const cidr = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(pattern);
    if (cidr) {
      const base = ipv4(cidr[1]);
      const addr = ipv4(h);
      const bits = Number(cidr[2]);
      if (base === undefined || addr === undefined || bits > 32) continue;
      const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
      if (((addr & mask) >>> 0) === ((base & mask) >>> 0)) return true;
      continue;
    }
    const domain = canonicalHost(pattern.replace(/^\*?\./, ""));
    if (domain === "") continue;
    if (h === domain || h.endsWith(`.${domain}`)) return true;
  }
  return false;
}

/**
 * The proxy URL for a request to `url`, or undefined to connect directly.
 *
 * @example
 * proxyFor("https://api.datadoghq.com/api/v1/validate", { HTTPS_PROXY: "http://proxy:3128" });
 * // "http://proxy:3128"
 */
export function proxyFor(url: string | URL, env: Env): string | undefined {
  let u: URL;
  try {
    u = typeof url === "string" ? new URL(url) : url;
  } catch {
    return undefined;
  }
  const scheme = u.protocol.replace(/:$/, "");
  if (scheme !== "http" && scheme !== "https") return undefined;
  const proxy = pick(env, `${scheme}_proxy`) ?? pick(env, "all_proxy");
  if (!proxy) return undefined;
  if (isLoopbackHost(u.hostname)) return undefined;
  const port = u.port || (scheme === "https" ? "443" : "80");
  const noProxy = pick(env, "no_proxy");
  if (noProxy && noProxyMatches(u.hostname, port, noProxy)) return undefined;
  // `proxy.corp:3128` without a scheme means an http proxy, as in curl.
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
}
