/**
 * @module
 * `pup auth login --device`: the device authorization grant (RFC 8628) where the server's
 * metadata (RFC 8414) offers `device_authorization_endpoint`; otherwise a clear error.
 * Datadog offers none today (CONTRACT §2), so this mostly says so and points to --no-browser.
 *
 * Every request goes through the egress (no redirects: a 307 cannot re-post the client secret
 * or the device code elsewhere). Server numbers are bounded: the polling `interval` is 5 s
 * when missing or not positive, at least 1 s and at most 5 minutes, plus 5 s per `slow_down`
 * (RFC 8628 §3.5); polling stops at `expires_in` (default 15 minutes, at most one day) or the
 * login's timeout, whichever is first. Every wait is `deps.clock.sleep`.
 *
 * While it polls, the waiting line of `wait_line.ts` shows the time left (issue 13): on a
 * terminal one line on stderr redrawn in place and cleared when polling ends; otherwise one
 * plain line, with no `\r` and no cursor codes.
 */
import type { Clock } from "../deps.ts";
import { PupError } from "../errors.ts";
import type { LockDeps } from "../store/lock.ts";
import type { StateStore } from "../store/state_store.ts";
import { cleanServerText } from "../text.ts";
import { getOrRegisterClient, storeSession } from "./client_store.ts";
import { type OAuthAnswer, oauthFailure } from "./oauth_answer.ts";
import {
  type OAuthContext,
  type OAuthDeps,
  oauthDeps,
  processTokenAnswer,
  registerClient,
} from "./oauth_client.ts";
import {
  endpointOnSite,
  requestDeviceAuthorization,
  requestDeviceToken,
  requestMetadata,
} from "./oauth_optional.ts";
import type { ScopeRetry } from "./invalid_scope.ts";
import type { ClientCredentials, Token } from "./types.ts";
import { startWaitLine } from "./wait_line.ts";

/** What the waiting line says while the device login polls. */
export const DEVICE_WAITING = "Waiting for you to approve the device login";

/** RFC 8628 §3.2: the interval when the server gives none. */
export const DEFAULT_INTERVAL_S = 5;
const MIN_INTERVAL_S = 1;
const MAX_INTERVAL_S = 300;
const DEFAULT_DEVICE_EXPIRES_S = 900;
const MAX_DEVICE_EXPIRES_S = 24 * 3600;

/** What the device login needs of a command's context (pup's `Context` satisfies it). */
export interface DeviceContext extends OAuthContext {
  readonly deps: OAuthContext["deps"] & { clock: Clock };
  readonly dir: string;
  readonly lockDeps: LockDeps;
  store(): Promise<StateStore>;
  info(line: string): void;
}

/** What the login asked for (a `LoginRequest` satisfies it). */
export interface DeviceRequest {
  site: string;
  org: string | undefined;
  scopes: string[];
  timeoutMs: number;
}

function seconds(raw: unknown): number | undefined {
  const n = typeof raw === "number" ? raw : typeof raw === "string" ? Number(raw) : NaN;
  return Number.isNaN(n) ? undefined : n;
}

/**
 * The polling interval in milliseconds for the server's `interval` (RFC 8628 §3.2).
 *
 * @example
 * pollIntervalMs(0); // 5000
 * pollIntervalMs(1e300); // 300000
 */
export function pollIntervalMs(raw: unknown): number {
  const s = seconds(raw);
  if (s === undefined || !(s > 0)) return DEFAULT_INTERVAL_S * 1000;
  return Math.min(Math.max(s, MIN_INTERVAL_S), MAX_INTERVAL_S) * 1000;
}

/** How long the device code lives, in milliseconds, for the server's `expires_in`. */
export function deviceExpiresMs(raw: unknown): number {
  const s = seconds(raw);
  if (s === undefined || !(s > 0)) return DEFAULT_DEVICE_EXPIRES_S * 1000;
  return Math.min(s, MAX_DEVICE_EXPIRES_S) * 1000;
}

/** The device authorization answer (RFC 8628 §3.2), checked. */
interface DeviceStart {
  deviceCode: string;
  userCode: string;
  verify: string;
  intervalMs: number;
  expiresMs: number;
}

/** The login as an `invalid_scope` hint retries it (`--device` included). */
function retryOf(req: DeviceRequest): ScopeRetry {
  return { site: req.site, org: req.org, scopes: req.scopes, device: true };
}

function processDeviceStart(res: OAuthAnswer, req: DeviceRequest): DeviceStart {
  // An error answer (RFC 8628 §3.2 → RFC 6749 §5.2) reads like every OAuth step's: its code
  // and description, a try-again hint for a 5xx or a 429, the retry for an invalid_scope.
  if (res.status !== 200) {
    throw oauthFailure("device authorization", res, { retry: retryOf(req) });
  }
  const j = res.json ?? {};
  if (typeof j.device_code !== "string" || typeof j.user_code !== "string") {
    throw new PupError(
      "oauth_http",
      `device authorization failed: HTTP ${res.status}: ${
        typeof j.error === "string" ? cleanServerText(j.error, 80) : "no device_code"
      }`,
    );
  }
  return {
    deviceCode: j.device_code,
    userCode: j.user_code,
    verify: String(j.verification_uri_complete ?? j.verification_uri ?? ""),
    intervalMs: pollIntervalMs(j.interval),
    expiresMs: deviceExpiresMs(j.expires_in),
  };
}

/** One poll's verdict (RFC 8628 §3.5). */
type Poll = { token: Token } | { wait: "pending" | "slow_down" };

function processPoll(res: OAuthAnswer, now: number, req: DeviceRequest): Poll {
  const error = res.json?.error;
  if (error === "authorization_pending") return { wait: "pending" };
  if (error === "slow_down") return { wait: "slow_down" };
  if (error === "access_denied" || error === "expired_token") {
    throw new PupError("authorization_denied", `device login failed: ${error}`);
  }
  const retry = retryOf(req);
  if (typeof error === "string" || res.status !== 200) {
    throw oauthFailure("device login", res, { retry });
  }
  return { token: processTokenAnswer("device login", res, now, { scope: req.scopes.join(" ") }) };
}

const NO_BROWSER_HINT =
  "use 'pup auth login --no-browser': it prints the URL to open on any machine and accepts the redirected URL pasted back";

/**
 * The server's metadata for the device login: null only when it has none (404). A failed
 * request (5xx, 429, timeout, unreachable, a garbled answer) is an exit-1 error saying what
 * went wrong and to try again, never "does not offer a device login".
 */
async function deviceMetadata(
  oauth: OAuthDeps,
  site: string,
): Promise<Record<string, unknown> | null> {
  try {
    return await requestMetadata(oauth, site);
  } catch (err) {
    if (!(err instanceof PupError) || oauth.signal?.aborted) throw err;
    if (err.code === "untrusted_site") throw err;
    throw new PupError(
      err.code,
      `cannot start the device login: ${err.message}`,
      { hint: err.hint ?? "try again in a moment", cause: err, status: err.status },
    );
  }
}

async function deviceEndpoints(oauth: OAuthDeps, site: string) {
  const meta = await deviceMetadata(oauth, site);
  const endpoint = meta?.device_authorization_endpoint;
  if (endpoint === undefined || endpoint === null) {
    throw new PupError(
      "device_unsupported",
      `the OAuth server of ${site} does not offer a device login`,
      { hint: NO_BROWSER_HINT },
    );
  }
  if (typeof endpoint !== "string" || typeof meta?.token_endpoint !== "string") {
    const field = typeof endpoint !== "string" ? "device_authorization_endpoint" : "token_endpoint";
    throw new PupError(
      "oauth_http",
      `cannot start the device login: the OAuth server's metadata is malformed (${field} is not a string)`,
      { hint: `try again later; meanwhile ${NO_BROWSER_HINT}` },
    );
  }
  // Never send the client secret to a host the site does not own (RFC 8414 §3.3's spirit).
  const device = endpointOnSite(endpoint, site);
  const token = endpointOnSite(meta.token_endpoint, site);
  const problem = device.problem ?? token.problem;
  if (problem) throw new PupError("oauth_http", problem);
  return { deviceUrl: device.url!, tokenUrl: token.url! };
}

async function poll(
  ctx: DeviceContext,
  oauth: OAuthDeps,
  req: DeviceRequest,
  client: ClientCredentials,
  tokenUrl: URL,
  start: DeviceStart,
): Promise<Token> {
  const clock = ctx.deps.clock;
  let interval = start.intervalMs;
  const deadline = clock.now() + Math.min(req.timeoutMs, start.expiresMs);
  const line = startWaitLine(ctx.deps, DEVICE_WAITING, deadline);
  try {
    for (;;) {
      if (clock.now() + interval > deadline) {
        throw new PupError(
          "callback_timeout",
          "timeout waiting for the device login to be approved",
          { hint: "Run pup auth login --device again to restart the flow." },
        );
      }
      await clock.sleep(interval, oauth.signal);
      const res = await requestDeviceToken(oauth, req.site, tokenUrl, client, start.deviceCode);
      const verdict = processPoll(res, clock.now(), req);
      if ("token" in verdict) return verdict.token;
      if (verdict.wait === "slow_down") {
        interval = Math.min(interval + 5000, MAX_INTERVAL_S * 1000); // RFC 8628 §3.5
      }
    }
  } finally {
    line.stop(); // cleared before any message that follows: the login's, or an error
  }
}

/** Runs the device login and stores the session. */
export async function deviceLogin(
  ctx: DeviceContext,
  req: DeviceRequest,
  options: { signal?: AbortSignal } = {},
): Promise<{ token: Token; store: StateStore }> {
  const oauth = oauthDeps(ctx, { signal: options.signal });
  const { deviceUrl, tokenUrl } = await deviceEndpoints(oauth, req.site);
  const store = await ctx.store();
  const client = await getOrRegisterClient(
    ctx,
    store,
    req.site,
    () => registerClient(oauth, req.site),
  );
  const res = await requestDeviceAuthorization(
    oauth,
    req.site,
    deviceUrl,
    client,
    req.scopes.join(" "),
  );
  const start = processDeviceStart(res, req);
  ctx.info(
    `To log in, open ${cleanServerText(start.verify)} and enter the code: ${
      cleanServerText(start.userCode)
    }`,
  );
  const token = await poll(ctx, oauth, req, client, tokenUrl, start);
  await storeSession(ctx, store, req, token, client);
  return { token, store };
}
