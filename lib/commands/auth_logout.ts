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
import type { CommandInput } from "../cli/spec.ts";
import { ExitCode, PupError, usageError } from "../errors.ts";
import { fetchMetadata } from "../auth/oauth_client.ts";
import { apiBase } from "../auth/site.ts";
import { ensureTrusted } from "../auth/trust.ts";
import type { ClientCredentials, Token } from "../auth/types.ts";
import { withSiteLock } from "../store/lock.ts";
import { orgKey, resolveTarget, sessionLabel } from "../session/resolve.ts";
import { removeSession, updateSessions } from "../session/sessions.ts";
import { cleanServerText } from "../text.ts";

/** Best-effort revocation must not hold the site's lock for long. */
const REVOKE_TIMEOUT_MS = 10_000;

/** What became of the server-side token. */
type Revocation = "revoked" | "not_offered" | "failed" | "skipped";

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
  const deps = { ...ctx.oauth, timeoutMs: REVOKE_TIMEOUT_MS };
  const metadata = await fetchMetadata(deps, site);
  const endpoint = metadata?.revocation_endpoint;
  if (typeof endpoint !== "string") return "not_offered";
  if (!client) {
    ctx.info(`⚠️ Not revoking at ${site}: the site's client registration is gone.`);
    return "skipped";
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    ctx.info(`⚠️ Not revoking: the server's revocation_endpoint is not a URL.`);
    return "failed";
  }
  // The client secret and refresh token go only where the token endpoint is.
  if (url.origin !== new URL(apiBase(site)).origin) {
    ctx.info(
      `⚠️ Not revoking: the revocation endpoint ${cleanServerText(url.origin)} is not on ${
        apiBase(site)
      }.`,
    );
    return "failed";
  }
  const body = new URLSearchParams();
  if (token.refresh_token) {
    body.set("token", token.refresh_token);
    body.set("token_type_hint", "refresh_token");
  } else {
    body.set("token", token.access_token);
    body.set("token_type_hint", "access_token");
  }
  body.set("client_id", client.client_id);
  if (client.client_secret) body.set("client_secret", client.client_secret);
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), REVOKE_TIMEOUT_MS);
  try {
    const res = await ctx.oauth.fetch(url.toString(), {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
      },
      body: body.toString(),
      signal: ac.signal,
      redirect: "error",
    });
    const text = await res.text();
    if (res.ok) return "revoked";
    let error = "";
    try {
      const j = JSON.parse(text);
      if (typeof j?.error === "string") error = `: ${cleanServerText(j.error, 80)}`;
    } catch { /* not JSON: the status says enough */ }
    ctx.info(
      `⚠️ Could not revoke the token at ${site} (HTTP ${res.status}${error}); removing it here anyway.`,
    );
    return "failed";
  } catch (err) {
    const why = ac.signal.aborted
      ? `no answer within ${REVOKE_TIMEOUT_MS / 1000} s`
      : cleanServerText(String((err as Error)?.message ?? err));
    ctx.info(`⚠️ Could not revoke the token at ${site} (${why}); removing it here anyway.`);
    return "failed";
  } finally {
    clearTimeout(timer);
  }
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
 * await run(ctx, { values: {}, positionals: [] }); // DD_SITE=datadoghq.eu pup auth logout
 */
export async function run(ctx: Context, input: CommandInput): Promise<number> {
  if (input.positionals.length) {
    throw usageError(
      `unexpected argument "${input.positionals[0]}" for 'pup auth logout'`,
      "pup auth logout takes no --site: set DD_SITE to pick the site",
    );
  }
  const { site, org } = await resolveTarget(ctx);
  const label = sessionLabel(site, org);
  const key = orgKey(org);
  const store = await ctx.store();
  const before = (await store.read(site)).tokens[key];
  const contact = before ? await mayContact(ctx, site) : false;

  const outcome = await withSiteLock(ctx.dir, site, ctx.lockDeps, async () => {
    const state = await store.read(site); // re-read under the lock
    const token = state.tokens[key];
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

  const registered = (await ctx.sessions()).some((s) => s.site === site && s.org === (org ?? null));
  if (registered) {
    await updateSessions(ctx.dir, ctx.lockDeps, (e) => removeSession(e, site, org ?? null));
  }

  const data = {
    site,
    org: org ?? null,
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
