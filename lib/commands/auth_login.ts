/**
 * @module
 * `pup auth login`: flags to a {@link LoginRequest}, then the browser (or device) login.
 */
import type { Context } from "../cli/context.ts";
import { relativeTime } from "../cli/output.ts";
import type { CommandInput } from "../cli/spec.ts";
import { ExitCode, usageError } from "../errors.ts";
import { parseCallbackPort } from "../auth/callback.ts";
import { login, type LoginRequest } from "../auth/login.ts";
import type { Token } from "../auth/types.ts";
import type { StateStore } from "../store/state_store.ts";
import { parseScopeList, resolveScopes } from "../auth/scopes.ts";
import { validateSubdomain } from "../auth/site.ts";
import { ensureTrusted } from "../auth/trust.ts";
import { resolveTarget, sessionLabel } from "../session/resolve.ts";
import { updateSessions, upsertSession } from "../session/sessions.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Turns flags and environment into a login request. */
export async function loginRequest(ctx: Context, input: CommandInput): Promise<LoginRequest> {
  const v = input.values;
  if (input.positionals.length) {
    throw usageError(`unexpected argument "${input.positionals[0]}" for 'pup auth login'`);
  }
  const target = await resolveTarget(ctx, v.site as string | undefined);
  const config = await ctx.config();
  let orgUuid = v["org-uuid"] as string | undefined;
  if (orgUuid !== undefined && !UUID.test(orgUuid.trim())) {
    throw usageError(
      `invalid --org-uuid "${orgUuid}": expected a UUID like 11111111-2222-3333-4444-555555555555`,
    );
  }
  orgUuid = orgUuid?.trim().toLowerCase() ??
    (await ctx.sessions()).find((s) => s.site === target.site && s.org === (target.org ?? null))
      ?.org_uuid;
  const subdomain = v.subdomain === undefined
    ? undefined
    : validateSubdomain(v.subdomain as string, target.site);
  const scopes = resolveScopes({
    scopes: v.scopes === undefined ? undefined : parseScopeList(v.scopes as string, "--scopes"),
    extraScopes: v["extra-scopes"] === undefined
      ? undefined
      : parseScopeList(v["extra-scopes"] as string, "--extra-scopes"),
    readOnly: Boolean(v["read-only"]),
    configScopes: (target.org && config.profiles?.[target.org]?.scopes) || config.scopes,
  });
  const portFlag = v["callback-port"] as string | undefined;
  const portEnv = ctx.deps.env.PUP_OAUTH_CALLBACK_PORT?.trim();
  const pinnedPort = portFlag !== undefined
    ? parseCallbackPort(portFlag, "--callback-port")
    : portEnv
    ? parseCallbackPort(portEnv, "PUP_OAUTH_CALLBACK_PORT")
    : undefined;
  let timeoutMs = 300_000;
  if (v.timeout !== undefined) {
    const s = Number(v.timeout);
    if (!Number.isFinite(s) || s <= 0 || !/^\s*[0-9.]+\s*$/.test(v.timeout as string)) {
      throw usageError(`invalid --timeout "${v.timeout}": expected a positive number of seconds`);
    }
    timeoutMs = Math.round(s * 1000);
  }
  return {
    site: target.site,
    org: target.org,
    orgUuid,
    subdomain,
    scopes,
    pinnedPort,
    timeoutMs,
    noBrowser: Boolean(v["no-browser"]),
  };
}

/** Runs `pup auth login`. */
export async function run(ctx: Context, input: CommandInput): Promise<number> {
  const req = await loginRequest(ctx, input);
  await ensureTrusted(ctx, req.site);
  if (input.values.device) {
    const { deviceLogin } = await import("../auth/device.ts");
    await report(ctx, req, await deviceLogin(ctx, req));
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
  ctx.print(`✓ Logged in: ${sessionLabel(req.site, req.org)}`);
  ctx.print(
    `  Token expires ${token.expires_at} (${
      relativeTime(expires, ctx.deps.clock.now())
    }); pup refreshes it automatically.`,
  );
  ctx.print(
    store.kind === "file"
      ? `  Tokens stored in files under ${store.location} (mode 0600).`
      : `  Tokens stored in ${store.location}.`,
  );
}
