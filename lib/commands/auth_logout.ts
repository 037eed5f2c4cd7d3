/**
 * @module
 * `pup auth logout [--org NAME]`, exactly as the document's Logout section says: there is no
 * `--site` flag (`DD_SITE`, or the usual resolution, picks the site). Logging out the default
 * session deletes its token and the site's shared client registration (named sessions there
 * keep their access tokens but cannot refresh until the next login registers again);
 * `--org NAME` deletes that session's token only. The session leaves sessions.json too.
 *
 * Where the server's metadata (RFC 8414) offers a `revocation_endpoint`, the refresh token is
 * revoked first (RFC 7009, `client_secret_post`); that is best effort, and a failure only warns.
 * Logging out of a session that does not exist says so and exits 0: the state asked for is
 * already the state there is, so cleanup scripts need no `|| true` (`gh auth logout` exits 1
 * there, which makes it awkward in such scripts).
 */
import type { Context } from "../cli/context.ts";
import { outputFormat, printData } from "../cli/output.ts";
import { ExitCode, PupError } from "../errors.ts";
import { oauthDeps } from "../auth/oauth_client.ts";
import { endpointOnSite, requestMetadata, revokeToken } from "../auth/oauth_optional.ts";
import { ensureTrusted } from "../auth/trust.ts";
import type { ClientCredentials, Token } from "../auth/types.ts";
import { withSiteLock } from "../store/lock.ts";
import { isSession, orgKey, registryOrg, tokenFor } from "../session/identity.ts";
import { resolveTarget, sessionLabel } from "../session/resolve.ts";
import { removeSession, updateSessions } from "../session/sessions.ts";

/** Best-effort revocation must not hold the site's lock for long. */
const REVOKE_TIMEOUT_MS = 10_000;

/** What became of the server-side token. */
type Revocation = "revoked" | "not_offered" | "failed" | "skipped";

/** `pup auth logout` takes no options of its own (`--org` is global; positionals: none). */
export type LogoutOptions = Record<never, never>;

/**
 * Reads the flags of `pup auth logout` (pure): there are none of its own.
 *
 * @example
 * parse({ values: {}, positionals: [] }); // {}
 */
export function parse(): LogoutOptions {
  return {};
}

/**
 * Revokes the session's refresh token (else its access token) where the server offers
 * revocation (RFC 7009 §2.1). Never throws: every failure is a warning.
 */
async function revoke(
  ctx: Context,
  site: string,
  client: ClientCredentials | null,
  token: Token,
): Promise<Revocation> {
  const deps = oauthDeps(ctx, { timeoutMs: REVOKE_TIMEOUT_MS });
  // Best effort: no metadata, or any failure to get it, means no revocation.
  const metadata = await requestMetadata(deps, site).catch(() => null);
  const endpoint = metadata?.revocation_endpoint;
  if (typeof endpoint !== "string") return "not_offered";
  if (!client) {
    ctx.info(`⚠️ Not revoking at ${site}: the site's client registration is gone.`);
    return "skipped";
  }
  // The client secret and refresh token go only where the token endpoint is.
  const checked = endpointOnSite(endpoint, site);
  if (!checked.url) {
    ctx.info(`⚠️ Not revoking: ${checked.problem}.`);
    return "failed";
  }
  try {
    const answer = await revokeToken(deps, site, checked.url, client, token);
    if (answer.revoked) return "revoked";
    ctx.info(
      `⚠️ Could not revoke the token at ${site} (HTTP ${answer.status}${
        answer.error ? `: ${answer.error}` : ""
      }); removing it here anyway.`,
    );
  } catch (err) {
    const why = err instanceof PupError && err.code === "network_timeout"
      ? `no answer within ${REVOKE_TIMEOUT_MS / 1000} s`
      : err instanceof PupError
      ? err.message
      : String(err);
    ctx.info(`⚠️ Could not revoke the token at ${site} (${why}); removing it here anyway.`);
  }
  return "failed";
}

/** Whether credentials may go to `site`, asked before the lock is taken; never throws. */
async function mayContact(ctx: Context, site: string): Promise<boolean> {
  try {
    await ensureTrusted(ctx, site);
    return true;
  } catch (err) {
    if (!(err instanceof PupError) || err.code !== "untrusted_site") throw err;
    ctx.info(`⚠️ Not revoking at ${site}: it is not a Datadog site and is not trusted.`);
    return false;
  }
}

/**
 * Runs `pup auth logout`.
 *
 * @example
 * await run(parse(), ctx); // DD_SITE=datadoghq.eu pup auth logout
 */
export async function run(_options: LogoutOptions, ctx: Context): Promise<number> {
  const { site, org } = await resolveTarget(ctx);
  const label = sessionLabel(site, org);
  const key = orgKey(org);
  const store = await ctx.store();
  const before = tokenFor((await store.read(site)).tokens, org);
  const contact = before ? await mayContact(ctx, site) : false;

  const outcome = await withSiteLock(ctx.dir, site, ctx.lockDeps, async () => {
    const state = await store.read(site); // re-read under the lock
    const token = tokenFor(state.tokens, org);
    if (!token) return undefined;
    const revocation: Revocation = contact
      ? await revoke(ctx, site, state.client, token)
      : "skipped";
    delete state.tokens[key];
    const clientRemoved = org === undefined && state.client !== null;
    if (org === undefined) state.client = null;
    await store.write(site, state);
    return { revocation, clientRemoved, siblings: Object.keys(state.tokens) };
  });

  const registered = (await ctx.sessions()).some((s) => isSession(s, site, org));
  if (registered) {
    await updateSessions(ctx.dir, ctx.lockDeps, (e) => removeSession(e, site, org));
  }

  const data = {
    site,
    org: registryOrg(org),
    logged_out: outcome !== undefined,
    revocation: outcome?.revocation ?? null,
    client_removed: outcome?.clientRemoved ?? false,
    sessions_without_client: outcome?.clientRemoved ? outcome.siblings : [],
  };
  const printed = await printData(ctx, data, outputFormat(ctx, "table"));
  if (!outcome) {
    if (!printed) {
      ctx.print(
        registered
          ? `No token stored for ${label}; removed its entry from sessions.json.`
          : `Not logged in to ${label}; nothing to log out.`,
      );
    }
    return ExitCode.ok;
  }
  if (!printed) ctx.print(`✓ Logged out: ${label}`);
  if (outcome.revocation === "revoked") ctx.info("  Revoked the refresh token at the server.");
  if (outcome.clientRemoved) {
    ctx.info(`  Removed pup's client registration for ${site}.`);
    if (outcome.siblings.length) {
      ctx.info(
        `⚠️ Named sessions on ${site} (${
          outcome.siblings.join(", ")
        }) keep their access tokens but cannot refresh until the next 'pup auth login' on ${site} registers pup again.`,
      );
    }
  }
  return ExitCode.ok;
}
