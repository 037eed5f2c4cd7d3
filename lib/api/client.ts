/**
 * @module
 * pup's one HTTP client for Datadog's API. Per request it: builds the URL on the resolved
 * site's API origin; adds the credentials of CONTRACT §9 (after the trust gate of §1) and a
 * `User-Agent`; times out (60 s by default, `PUP_HTTP_TIMEOUT` seconds to change); on a 401
 * with an OAuth session refreshes once and retries once (CONTRACT §8); on a 429 waits as
 * `Retry-After` / `X-RateLimit-Reset` ask (at most 3 times, at most 60 s each) through the
 * clock, so tests can fake the wait; never follows redirects (credentials stay on the site);
 * and with `-v` prints each request and answer on stderr with credentials redacted.
 */
import { type Host, MAX_TIMER_MS } from "../deps.ts";
import { sendWithCredentials } from "../auth/egress.ts";
import { apiBase } from "../auth/site.ts";
import { trustGate } from "../auth/trust.ts";
import { PupError } from "../errors.ts";
import { resolveTarget } from "../session/resolve.ts";
import type { TokenContext } from "../session/tokens.ts";
import { safeText } from "../text.ts";
import {
  type Credentials,
  describeSource,
  refreshRejected,
  resolveCredentials,
} from "./credentials.ts";
import { apiMessages, formatMs, responseError, serverLine } from "./errors.ts";
import { checkHeader, CREDENTIAL_HEADERS } from "./headers.ts";
import { redactHeader, redactUrl } from "./redact.ts";
import { buildUrl } from "./url.ts";
import { DEFAULT_RETRY, rateLimitWaitMs, type RetryPolicy } from "./retry.ts";

/** The default per-request timeout. */
export const DEFAULT_TIMEOUT_MS = 60_000;

/** Options of a client; tests pass a short timeout and a small retry budget. */
export interface ApiClientOptions {
  /** Per-request timeout; default `PUP_HTTP_TIMEOUT` seconds, else 60 s. */
  timeoutMs?: number;
  /** The 429 policy; default 3 retries of at most 60 s each. */
  retry?: Partial<RetryPolicy>;
}

/** One API request. */
export interface ApiRequest {
  /** Default GET. */
  method?: string;
  /** Starts with `/`; may carry a query string. */
  path: string;
  /** Query parameters added to the path's own; undefined values are left out. */
  query?: Record<string, string | number | undefined>;
  /** A value sent as JSON (sets `Content-Type: application/json`). */
  json?: unknown;
  /** A body sent as is (use `headers` for its type). */
  body?: string;
  /** Extra headers; they may replace `Accept`, `Content-Type` and `User-Agent`. */
  headers?: [string, string][];
}

/** A complete answer (the body read). */
export interface ApiResponse {
  method: string;
  /** The path and query sent. */
  path: string;
  status: number;
  statusText: string;
  headers: Headers;
  text: string;
  /** Whether a 401 led to a refresh and a retry. */
  retriedAfterRefresh: boolean;
}

/**
 * What the client needs of a command's context (pup's `Context` satisfies it). Site resolution
 * still takes the whole context (`session/resolve.ts`), so that part is named by its parameter.
 */
export type ApiContext = TokenContext & Parameters<typeof resolveTarget>[0] & {
  readonly deps: { host: Host; version: string; fetch: typeof fetch };
  readonly globals: { verbose: boolean; trustSite: boolean };
  info(line: string): void;
};

/** `pup/<version> (<runtime> <version>; os <os>; arch <arch>)`. */
export function userAgent(ctx: { deps: { host: Host; version: string } }): string {
  const h = ctx.deps.host;
  // The version without the build's commit: `0.1.0 (abc…)` → `0.1.0`.
  const version = ctx.deps.version.replace(/ \(.*\)$/, "");
  return `pup/${version} (${h.runtime} ${h.runtimeVersion}; os ${h.os}; arch ${h.arch})`;
}

/** The longest `PUP_HTTP_TIMEOUT` in seconds: a timer cannot wait longer (about 24.8 days). */
export const MAX_TIMEOUT_S = Math.floor(MAX_TIMER_MS / 1000);

/**
 * The per-request timeout from `PUP_HTTP_TIMEOUT` (seconds), else 60 s. A value above
 * {@link MAX_TIMEOUT_S} is rejected (exit 2), not clamped: a runtime timer that long overflows
 * to 1 ms, and the user should know their number was not used.
 */
export function timeoutFromEnv(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.PUP_HTTP_TIMEOUT?.trim();
  if (!raw) return DEFAULT_TIMEOUT_MS;
  const n = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !(n > 0)) {
    throw new PupError(
      "config",
      `invalid PUP_HTTP_TIMEOUT "${raw}": expected a positive number of seconds`,
    );
  }
  if (n > MAX_TIMEOUT_S) {
    throw new PupError(
      "config",
      `invalid PUP_HTTP_TIMEOUT "${raw}": expected at most ${MAX_TIMEOUT_S} seconds (about 24 days); not clamped`,
    );
  }
  return Math.max(1, Math.round(n * 1000));
}

/** A client bound to one command run; site, org and credentials are resolved once, lazily. */
export class ApiClient {
  readonly ctx: ApiContext;
  readonly #options: ApiClientOptions;
  #target?: Promise<{ site: string; org: string | undefined }>;
  #credentials?: Credentials;

  constructor(ctx: ApiContext, options: ApiClientOptions = {}) {
    this.ctx = ctx;
    this.#options = options;
  }

  #verbose(line: string): void {
    if (this.ctx.globals.verbose) this.ctx.info(line);
  }

  /**
   * The site and org this client sends to, resolved once (site resolution may warn, e.g. about
   * an ambiguous sessions.json): a command that needs them too asks here instead of resolving
   * again.
   */
  target(): Promise<{ site: string; org: string | undefined }> {
    return this.#target ??= resolveTarget(this.ctx).then(({ site, org }) => ({ site, org }));
  }

  async #credentialsOnce(site: string, org: string | undefined): Promise<Credentials> {
    if (!this.#credentials) {
      this.#credentials = await resolveCredentials(this.ctx, site, org);
      this.#verbose(
        `* credentials: ${describeSource(this.#credentials.source)}${
          this.#credentials.refreshed ? " (access token refreshed)" : ""
        }`,
      );
    }
    return this.#credentials;
  }

  /** Sends a request with pup's policies; returns the final answer whatever its status. */
  async send(req: ApiRequest): Promise<ApiResponse> {
    const method = (req.method ?? "GET").toUpperCase();
    const timeoutMs = this.#options.timeoutMs ?? timeoutFromEnv(this.ctx.deps.env);
    const policy = { ...DEFAULT_RETRY, ...this.#options.retry };
    const { site, org } = await this.target();
    const url = buildUrl(apiBase(site), req.path, req.query);
    const path = url.pathname + url.search;
    let creds = await this.#credentialsOnce(site, org);
    let body = req.body;
    if (req.json !== undefined) body = JSON.stringify(req.json);

    let refreshed = false;
    let retries = 0;
    for (;;) {
      const headers = this.#headers(creds, req, body !== undefined && req.json !== undefined);
      const r = await this.#attempt(url, method, path, headers, body, timeoutMs);
      if (r.status === 401 && creds.source === "session" && !refreshed && creds.accessToken) {
        this.#verbose("* 401: refreshing the access token and retrying once");
        creds = this.#credentials = await refreshRejected(this.ctx, site, org, creds.accessToken);
        refreshed = true;
        continue;
      }
      if (r.status === 429 && retries < policy.maxRetries) {
        const waitMs = rateLimitWaitMs(r.headers, this.ctx.deps.clock.now(), retries + 1);
        if (waitMs > policy.maxWaitMs) {
          this.#verbose(
            `* 429: Datadog asks for ${Math.ceil(waitMs / 1000)} s, more than pup waits`,
          );
        } else {
          retries++;
          this.#verbose(
            `* 429: waiting ${formatMs(waitMs)} before retry ${retries} of ${policy.maxRetries}`,
          );
          await this.ctx.deps.clock.sleep(waitMs);
          continue;
        }
      }
      return { ...r, method, path, retriedAfterRefresh: refreshed };
    }
  }

  /** Throws the right {@link PupError} unless the answer is a 2xx; returns it otherwise. */
  async check(res: ApiResponse): Promise<ApiResponse> {
    if (res.status >= 200 && res.status <= 299) return res;
    const { org } = await this.target();
    throw responseError(
      { ...res, body: res.text, source: this.#credentials?.source ?? "session", org },
      res.retriedAfterRefresh,
    );
  }

  /** Sends a request and returns its 2xx answer; any other status throws. */
  async request(req: ApiRequest): Promise<ApiResponse> {
    return await this.check(await this.send(req));
  }

  /** Sends a request and returns its 2xx answer's JSON. */
  async json<T = unknown>(req: ApiRequest): Promise<T> {
    const res = await this.request(req);
    try {
      return JSON.parse(res.text) as T;
    } catch {
      throw new PupError(
        "api",
        `request ${res.method} ${safeText(res.path)} returned malformed JSON: expected a JSON ` +
          `document, found ${
            res.text.trim() === "" ? "an empty body" : `"${serverLine(res.text, 120)}"`
          }`,
        { hint: "Datadog or a proxy in between answered something else; try again, or use -v" },
      );
    }
  }

  #headers(creds: Credentials, req: ApiRequest, isJson: boolean): [string, string][] {
    const out: [string, string][] = [
      ["Accept", "application/json"],
      ["User-Agent", userAgent(this.ctx)],
    ];
    if (isJson) out.push(["Content-Type", "application/json"]);
    for (const [name, value] of req.headers ?? []) {
      checkHeader(name, value);
      if (CREDENTIAL_HEADERS.has(name.toLowerCase())) continue; // callers refuse these earlier
      const i = out.findIndex(([n]) => n.toLowerCase() === name.toLowerCase());
      if (i >= 0) out.splice(i, 1);
      out.push([name, value]);
    }
    const display: Record<string, string> = {
      authorization: "Authorization",
      "dd-api-key": "DD-API-KEY",
      "dd-application-key": "DD-APPLICATION-KEY",
    };
    for (const [name, value] of Object.entries(creds.headers)) {
      out.push([display[name] ?? name, value]);
    }
    return out;
  }

  async #attempt(
    url: URL,
    method: string,
    path: string,
    headers: [string, string][],
    body: string | undefined,
    timeoutMs: number,
  ): Promise<Omit<ApiResponse, "method" | "path" | "retriedAfterRefresh">> {
    this.#verbose(`> ${method} ${redactUrl(url.href)}`);
    for (const [n, v] of headers) this.#verbose(`> ${n}: ${redactHeader(n, v)}`);
    if (body !== undefined) {
      this.#verbose(`> (body: ${new TextEncoder().encode(body).length} bytes)`);
    }
    const clock = this.ctx.deps.clock;
    const started = clock.now();
    const took = () => formatMs(clock.now() - started);
    const res = await sendWithCredentials(this.ctx.deps, url, {
      method,
      headers,
      body,
      timeoutMs,
      allow: trustGate(this.ctx),
      what: `request ${method} ${safeText(path)}`,
      messages: apiMessages((l) => this.#verbose(l), { method, path, url, timeoutMs }, took),
    });
    this.#verbose(
      `< ${res.status}${res.statusText ? ` ${serverLine(res.statusText, 60)}` : ""} (${took()})`,
    );
    return res;
  }
}
