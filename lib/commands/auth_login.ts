/**
 * @module
 * `pup auth login`: `parse` reads the flags (pure); `run` resolves the site and org, runs the
 * trust gate on the resolved site whatever its source — before registration and before any
 * browser opens — then the browser (or device) login.
 */
import type { Context } from "../cli/context.ts";
import { relativeTime } from "../cli/output.ts";
import type { CommandInput, Env } from "../cli/spec.ts";
import { MAX_TIMER_MS } from "../deps.ts";
import { ExitCode, usageError } from "../errors.ts";
import { parseCallbackPort } from "../auth/callback.ts";
import { login, type LoginRequest } from "../auth/login.ts";
import type { Token } from "../auth/types.ts";
import type { StateStore } from "../store/state_store.ts";
import { parseScopeList, resolveScopes } from "../auth/scopes.ts";
import { apiBase, appBase, normalizeSite, validateSubdomain } from "../auth/site.ts";
import { ensureTrusted } from "../auth/trust.ts";
import { interruptible } from "../auth/wait.ts";
import { resolveTarget, sessionLabel } from "../session/resolve.ts";
import { updateSessions, upsertSession } from "../session/sessions.ts";
import { safeText } from "../text.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The longest `--timeout`, in whole seconds (a longer timer would overflow and fire at once). */
export const MAX_TIMEOUT_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

/** What `pup auth login` was asked for, before the site is resolved. */
export interface LoginOptions {
  siteFlag: string | undefined;
  orgUuid: string | undefined;
  subdomain: string | undefined;
  scopes: string[] | undefined;
  extraScopes: string[] | undefined;
  readOnly: boolean;
  pinnedPort: number | undefined;
  timeoutMs: number;
  noBrowser: boolean;
  device: boolean;
}

/** `--timeout SECONDS`: positive, at most {@link MAX_TIMEOUT_SECONDS}. */
export function parseTimeout(value: string | undefined): number {
  if (value === undefined) return 300_000;
  const s = Number(value);
  if (!Number.isFinite(s) || s <= 0 || !/^\s*[0-9.]+\s*$/.test(value)) {
    throw usageError(
      `invalid --timeout "${safeText(value)}": expected a positive number of seconds`,
    );
  }
  if (s > MAX_TIMEOUT_SECONDS) {
    throw usageError(
      `invalid --timeout "${value.trim()}": expected at most ${MAX_TIMEOUT_SECONDS} seconds (about 24 days)`,
    );
  }
  return Math.round(s * 1000);
}

/**
 * Reads the flags of `pup auth login` (pure).
 *
 * @example
 * parse({ values: { timeout: "60" }, positionals: [] }, {}).timeoutMs; // 60000
 */
export function parse(input: CommandInput, env: Env): LoginOptions {
  const v = input.values;
  const orgUuid = v["org-uuid"] as string | undefined;
  if (orgUuid !== undefined && !UUID.test(orgUuid.trim())) {
    throw usageError(
      `invalid --org-uuid "${
        safeText(orgUuid)
      }": expected a UUID like 11111111-2222-3333-4444-555555555555`,
    );
  }
  const portFlag = v["callback-port"] as string | undefined;
  const portEnv = env.PUP_OAUTH_CALLBACK_PORT?.trim();
  return {
    siteFlag: v.site as string | undefined,
    orgUuid: orgUuid?.trim().toLowerCase(),
    subdomain: v.subdomain as string | undefined,
    scopes: v.scopes === undefined ? undefined : parseScopeList(v.scopes as string, "--scopes"),
    extraScopes: v["extra-scopes"] === undefined
      ? undefined
      : parseScopeList(v["extra-scopes"] as string, "--extra-scopes"),
    readOnly: Boolean(v["read-only"]),
    pinnedPort: portFlag !== undefined
      ? parseCallbackPort(portFlag, "--callback-port")
      : portEnv
      ? parseCallbackPort(portEnv, "PUP_OAUTH_CALLBACK_PORT")
      : undefined,
    timeoutMs: parseTimeout(v.timeout as string | undefined),
    noBrowser: Boolean(v["no-browser"]),
    device: Boolean(v.device),
  };
}

/** Resolves the site, org, org UUID, subdomain and scopes of a login. */
export async function loginRequest(ctx: Context, options: LoginOptions): Promise<LoginRequest> {
  const target = await resolveTarget(ctx, options.siteFlag);
  // Whatever the source (flag, DD_SITE, config.yaml, sessions.json), the site is validated
  // again here: a planted value never reaches registration or the browser.
  const site = normalizeSite(target.site);
  const config = await ctx.config();
  const orgUuid = options.orgUuid ??
    (await ctx.sessions()).find((s) => s.site === site && s.org === (target.org ?? null))
      ?.org_uuid;
  const subdomain = options.subdomain === undefined
    ? undefined
    : validateSubdomain(options.subdomain, site);
  const scopes = resolveScopes({
    scopes: options.scopes,
    extraScopes: options.extraScopes,
    readOnly: options.readOnly,
    configScopes: (target.org && config.profiles?.[target.org]?.scopes) || config.scopes,
  });
  return {
    site,
    org: target.org,
    orgUuid,
    subdomain,
    scopes,
    pinnedPort: options.pinnedPort,
    timeoutMs: options.timeoutMs,
    noBrowser: options.noBrowser,
  };
}

/**
 * The trust gate on every host the login talks to, decided on the parsed origins it will use:
 * the API host (registration, token) and the app host (the browser's authorize page).
 */
export async function gateLogin(ctx: Context, req: LoginRequest): Promise<void> {
  const hosts = new Set([
    req.site,
    new URL(apiBase(req.site)).host,
    new URL(appBase(req.site, req.subdomain)).host,
  ]);
  for (const host of hosts) await ensureTrusted(ctx, host);
}

/** Runs `pup auth login`. */
export async function run(options: LoginOptions, ctx: Context): Promise<number> {
  const req = await loginRequest(ctx, options);
  await gateLogin(ctx, req);
  if (options.device) {
    const { deviceLogin } = await import("../auth/device.ts");
    // Ctrl-C aborts the request or the poll's wait under way (and releases a held lock).
    const done = await interruptible(ctx.deps.host, (signal) => deviceLogin(ctx, req, { signal }));
    await report(ctx, req, done);
  } else {
    await report(ctx, req, await login(ctx, req));
  }
  return ExitCode.ok;
}

/** Records the session in sessions.json and tells the user where it stands. */
async function report(ctx: Context, req: LoginRequest, done: { token: Token; store: StateStore }) {
  const { token, store } = done;
  await updateSessions(
    ctx.dir,
    ctx.lockDeps,
    (entries) =>
      upsertSession(entries, { site: req.site, org: req.org ?? null, org_uuid: req.orgUuid }),
  );
  const expires = Date.parse(token.expires_at);
  ctx.print(`✓ Logged in: ${safeText(sessionLabel(req.site, req.org))}`);
  ctx.print(
    `  Token expires ${safeText(token.expires_at)} (${
      relativeTime(expires, ctx.deps.clock.now())
    }); pup refreshes it automatically.`,
  );
  ctx.print(
    store.kind === "file"
      ? `  Tokens stored in files under ${safeText(store.location)} (mode 0600).`
      : `  Tokens stored in ${safeText(store.location)}.`,
  );
}
