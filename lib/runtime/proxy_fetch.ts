/**
 * @module
 * A `fetch` that goes through the proxy the environment names (see `./proxy_env.ts`), in each
 * runtime's own way: Bun takes a `proxy` option per request (`false` forces a direct
 * connection, overriding Bun's own reading of the variables); Deno takes an HTTP client made by
 * `Deno.createHttpClient({proxy})`. Node's global fetch has no proxy hook and connects
 * directly (acceptable: pup ships as a Bun binary).
 */
import { proxyFor } from "./proxy_env.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

function urlOf(input: RequestInfo | URL): string {
  if (typeof input === "string") return input;
  if (input instanceof URL) return input.href;
  return input.url;
}

/** Deno's HTTP clients, one per proxy URL, kept for the life of the process. */
const denoClients = new Map<string, unknown>();

function denoClient(proxy: string): unknown {
  let client = denoClients.get(proxy);
  if (!client) {
    const u = new URL(proxy);
    const basicAuth = u.username
      ? { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) }
      : undefined;
    u.username = "";
    u.password = "";
    client = g.Deno.createHttpClient({ proxy: { url: u.href, basicAuth } });
    denoClients.set(proxy, client);
  }
  return client;
}

/**
 * Wraps `base` (the global fetch by default) so each request uses the proxy `env` chooses for
 * its URL.
 *
 * @example
 * const f = proxyAwareFetch({ HTTPS_PROXY: "http://proxy.corp:3128", NO_PROXY: ".internal" });
 * await f("https://api.datadoghq.com/api/v1/validate");
 */
export function proxyAwareFetch(
  env: Readonly<Record<string, string | undefined>>,
  base: typeof fetch = (input, init) => fetch(input, init),
): typeof fetch {
  return (input, init) => {
    const proxy = proxyFor(urlOf(input), env);
    if (g.Bun) return base(input, { ...init, proxy: proxy ?? false } as RequestInit);
    if (g.Deno && proxy) {
      return base(input, { ...init, client: denoClient(proxy) } as RequestInit);
    }
    return base(input, init);
  };
}
