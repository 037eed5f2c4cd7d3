/**
 * @module
 * The one way a credential leaves pup. Every request that carries one — OAuth registration,
 * code exchange, refresh, device authorization and polling, revocation, metadata, and every
 * Datadog API call — goes through {@link sendWithCredentials}, which:
 *
 * 1. parses the final URL and refuses plain `http` except to a loopback host (CONTRACT §1) and
 *    any URL with user info;
 * 2. asks the trust rule (`lib/auth/trust.ts`) about the **parsed origin**, never a raw string;
 * 3. never follows a redirect (`redirect: "manual"`; a 3xx is an error naming the status), so
 *    a server cannot move the credential to another origin (RFC 9700 §4.11);
 * 4. times out through `deps.clock.timeout` and honours the caller's `signal` (Ctrl-C);
 * 5. sends through `deps.fetch`, which in a real run is the proxy-aware fetch.
 *
 * A new command gets all of this by calling the API client (`lib/api/client.ts`) or a protocol
 * step (`lib/auth/oauth_client.ts`, `lib/auth/device.ts`), both of which only send from here.
 */
import type { Clock } from "../deps.ts";
import { PupError } from "../errors.ts";
import { cleanServerText } from "../text.ts";
import { isLoopbackHostname } from "./site.ts";
import type { OriginCheck } from "./trust.ts";

/** What the egress needs: the network and the clock. */
export interface EgressDeps {
  fetch: typeof fetch;
  clock: Clock;
}

/** How the caller wants its failures worded (each has a default). */
export interface EgressMessages {
  timeout?(ms: number): PupError;
  unreachable?(reason: string, cause: unknown): PupError;
  redirect?(status: number, location: string | null): PupError;
}

/** One request carrying a credential. */
export interface EgressRequest {
  method: "GET" | "POST" | string;
  headers: [string, string][] | Record<string, string>;
  body?: string;
  /** Per-request timeout. */
  timeoutMs: number;
  /** Aborts the request (e.g. Ctrl-C); the signal's reason is thrown. */
  signal?: AbortSignal;
  /** The trust rule for the parsed URL; throws `untrusted_site`. */
  allow: OriginCheck;
  /** Names the step in messages, e.g. `token exchange`. */
  what: string;
  messages?: EgressMessages;
}

/**
 * Parses `url` and checks its scheme: `https`, or `http` to a loopback host only; no user info.
 *
 * @example
 * egressUrl("http://127.0.0.1:9000/oauth2/v1/token"); // URL
 * egressUrl("http://evil.example/x"); // throws
 */
export function egressUrl(url: string | URL, what = "request"): URL {
  let u: URL;
  try {
    u = new URL(String(url));
  } catch {
    throw new PupError(
      "usage",
      `${what} failed: expected an http(s) URL, found "${cleanServerText(String(url), 120)}"`,
    );
  }
  const loopback = isLoopbackHostname(u.hostname);
  if (u.protocol !== "https:" && !(u.protocol === "http:" && loopback)) {
    throw new PupError(
      "untrusted_site",
      `refusing to send credentials to ${
        cleanServerText(u.origin, 120)
      }: expected https (plain http only to 127.0.0.1, [::1] or localhost)`,
    );
  }
  if (u.username || u.password) {
    throw new PupError(
      "untrusted_site",
      `refusing to send credentials to a URL with user info (${cleanServerText(u.host, 120)})`,
    );
  }
  return u;
}

function timeoutError(what: string, url: URL, ms: number): PupError {
  return new PupError(
    "network_timeout",
    `${what} timed out after ${ms / 1000} s (${url.href})`,
    { hint: "check your network connection and the site, then try again" },
  );
}

/** An answer, its body read within the request's time. */
export interface EgressAnswer {
  status: number;
  statusText: string;
  headers: Headers;
  text: string;
}

function isRedirect(res: Response): boolean {
  // `opaqueredirect` (status 0) is what a browser-like fetch gives for a manual redirect.
  // 304 Not Modified moves nothing anywhere (RFC 9110 §15.4.5): it is an answer, not a redirect.
  if (res.status === 304) return false;
  return (res.status >= 300 && res.status <= 399) || res.type === "opaqueredirect";
}

/**
 * Sends one request that carries a credential and reads the answer (any non-3xx status).
 * Throws `untrusted_site` before sending anything when the URL may not receive credentials,
 * and `redirect_refused` (or the caller's wording) for a 3xx.
 *
 * @example
 * const res = await sendWithCredentials(deps, `${apiBase(site)}/oauth2/v1/token`, {
 *   method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
 *   body, timeoutMs: 30_000, allow: trustGate(ctx), what: "token refresh",
 * });
 */
export async function sendWithCredentials(
  deps: EgressDeps,
  url: string | URL,
  req: EgressRequest,
): Promise<EgressAnswer> {
  const u = egressUrl(url, req.what);
  await req.allow(u);
  if (req.signal?.aborted) throw req.signal.reason;
  const timeout = deps.clock.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;
  let res: Response;
  let text = "";
  try {
    res = await deps.fetch(u.href, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal,
      redirect: "manual",
    });
    if (!isRedirect(res)) text = await res.text();
  } catch (err) {
    if (req.signal?.aborted) throw req.signal.reason;
    if (timeout.aborted) {
      throw req.messages?.timeout?.(req.timeoutMs) ?? timeoutError(req.what, u, req.timeoutMs);
    }
    const reason = cleanServerText(String((err as Error)?.message ?? err), 200);
    throw req.messages?.unreachable?.(reason, err) ??
      new PupError("network", `${req.what} failed: cannot reach ${u.href}: ${reason}`, {
        cause: err,
        hint: "check your network connection and the site, then try again",
      });
  }
  // Refused, not followed: following would re-send the credential to wherever it points.
  if (isRedirect(res)) {
    await res.body?.cancel().catch(() => {});
    const location = res.headers.get("location");
    throw req.messages?.redirect?.(res.status, location) ??
      new PupError(
        "redirect_refused",
        `${req.what} failed: HTTP ${res.status} redirect${
          location ? ` to ${cleanServerText(location, 200)}` : ""
        }`,
        {
          hint: "pup does not follow redirects, so credentials stay on the site; check the site",
          status: res.status || undefined,
        },
      );
  }
  return { status: res.status, statusText: res.statusText, headers: res.headers, text };
}
