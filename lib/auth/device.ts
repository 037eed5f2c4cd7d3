/**
 * @module
 * `pup auth login --device`: the device authorization grant (RFC 8628) where the server's
 * metadata (RFC 8414) offers `device_authorization_endpoint`; otherwise a clear error.
 * Datadog offers none today (CONTRACT §2), so this mostly says so and points to --no-browser.
 */
import type { Context } from "../cli/context.ts";
import { PupError } from "../errors.ts";
import { withSiteLock } from "../store/lock.ts";
import type { StateStore } from "../store/state_store.ts";
import { type LoginRequest, saveSession } from "./login.ts";
import { fetchMetadata, registerClient } from "./oauth_client.ts";
import { apiBase } from "./site.ts";
import { cleanServerText } from "../text.ts";
import type { Token } from "./types.ts";

const GRANT = "urn:ietf:params:oauth:grant-type:device_code";

async function postForm(ctx: Context, url: string, body: Record<string, string | undefined>) {
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(body)) if (v !== undefined) form.set(k, v);
  const ac = new AbortController();
  const t = setTimeout(() => ac.abort(), 30_000);
  try {
    const res = await ctx.oauth.fetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: form.toString(),
      signal: ac.signal,
    });
    const json = await res.json().catch(() => ({})) as Record<string, unknown>;
    return { status: res.status, json };
  } catch (err) {
    throw new PupError("network", `cannot reach ${url}: ${cleanServerText(String(err))}`);
  } finally {
    clearTimeout(t);
  }
}

function sameOrigin(url: string, base: string): boolean {
  try {
    return new URL(url).origin === new URL(base).origin;
  } catch {
    return false;
  }
}

/** Runs the device login and stores the session. */
export async function deviceLogin(
  ctx: Context,
  req: LoginRequest,
): Promise<{ token: Token; store: StateStore }> {
  const oauth = ctx.oauth;
  const meta = await fetchMetadata(oauth, req.site);
  const deviceUrl = meta?.device_authorization_endpoint;
  const tokenUrl = meta?.token_endpoint;
  if (typeof deviceUrl !== "string" || typeof tokenUrl !== "string") {
    throw new PupError(
      "device_unsupported",
      `the OAuth server of ${req.site} does not offer a device login`,
      {
        hint:
          "use 'pup auth login --no-browser': it prints the URL to open on any machine and accepts the redirected URL pasted back",
      },
    );
  }
  // Never send the client secret to a host the site does not own (RFC 8414 §3.3's spirit).
  for (const endpoint of [deviceUrl, tokenUrl]) {
    if (!sameOrigin(endpoint, apiBase(req.site))) {
      throw new PupError(
        "oauth_http",
        `the server's metadata names an endpoint on another host (${
          cleanServerText(endpoint, 120)
        }); expected ${apiBase(req.site)}`,
      );
    }
  }
  const store = await ctx.store();
  let client = (await store.read(req.site)).client;
  if (!client) {
    client = await withSiteLock(ctx.dir, req.site, ctx.lockDeps, async () => {
      const state = await store.read(req.site);
      state.client ??= await registerClient(oauth, req.site);
      await store.write(req.site, state);
      return state.client;
    });
  }
  const start = await postForm(ctx, deviceUrl, {
    client_id: client.client_id,
    client_secret: client.client_secret,
    scope: req.scopes.join(" "),
  });
  const j = start.json;
  if (
    start.status !== 200 || typeof j.device_code !== "string" || typeof j.user_code !== "string"
  ) {
    throw new PupError(
      "oauth_http",
      `device authorization failed: HTTP ${start.status}: ${
        cleanServerText(String(j.error ?? "no device_code"))
      }`,
    );
  }
  const verify = String(j.verification_uri_complete ?? j.verification_uri ?? "");
  ctx.info(
    `To log in, open ${cleanServerText(verify)} and enter the code: ${
      cleanServerText(j.user_code)
    }`,
  );
  let interval = (typeof j.interval === "number" ? j.interval : 5) * 1000;
  const deadline = ctx.deps.clock.now() +
    Math.min(req.timeoutMs, (typeof j.expires_in === "number" ? j.expires_in : 900) * 1000);
  for (;;) {
    if (ctx.deps.clock.now() + interval > deadline) {
      throw new PupError(
        "callback_timeout",
        "timeout waiting for the device login to be approved",
        {
          hint: "Run pup auth login --device again to restart the flow.",
        },
      );
    }
    await ctx.deps.clock.sleep(interval);
    const res = await postForm(ctx, tokenUrl, {
      grant_type: GRANT,
      device_code: j.device_code,
      client_id: client.client_id,
      client_secret: client.client_secret,
    });
    const error = res.json.error;
    if (error === "authorization_pending") continue;
    if (error === "slow_down") {
      interval += 5000; // RFC 8628 §3.5
      continue;
    }
    if (typeof error === "string") {
      throw new PupError(
        error === "access_denied" || error === "expired_token"
          ? "authorization_denied"
          : "oauth_http",
        `device login failed: ${cleanServerText(error)}`,
      );
    }
    if (res.status !== 200 || typeof res.json.access_token !== "string") {
      throw new PupError("oauth_http", `device login failed: HTTP ${res.status}`);
    }
    const expiresIn = typeof res.json.expires_in === "number" ? res.json.expires_in : 3600;
    const token: Token = {
      access_token: res.json.access_token,
      token_type: String(res.json.token_type ?? "Bearer"),
      expires_in: expiresIn,
      expires_at: new Date(ctx.deps.clock.now() + expiresIn * 1000).toISOString(),
      scope: typeof res.json.scope === "string" ? res.json.scope : req.scopes.join(" "),
    };
    if (typeof res.json.refresh_token === "string") token.refresh_token = res.json.refresh_token;
    await saveSession(ctx, store, req, token, client);
    return { token, store };
  }
}
