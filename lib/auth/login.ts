/**
 * @module
 * The browser login (document: the flow's nine steps; CONTRACT §3–§6): reuse or register the
 * site's client, make PKCE and state, bind the callback, open the browser, wait, exchange the
 * code, and store the token under the site's lock.
 */
import type { Context } from "../cli/context.ts";
import { PupError } from "../errors.ts";
import { withSiteLock } from "../store/lock.ts";
import type { StateStore } from "../store/state_store.ts";
import { orgKey } from "../session/resolve.ts";
import { openBrowser } from "./browser.ts";
import {
  bindCallback,
  callbackApp,
  type CallbackOutcome,
  judgeCallback,
  outcomeError,
} from "./callback.ts";
import { exchangeCode, redirectUri, registerClient } from "./oauth_client.ts";
import { challengeS256, createState, createVerifier } from "./pkce.ts";
import { appBase } from "./site.ts";
import type { ClientCredentials, Token } from "./types.ts";

/** What the login command asked for. */
export interface LoginRequest {
  site: string;
  org: string | undefined;
  orgUuid: string | undefined;
  subdomain: string | undefined;
  scopes: string[];
  pinnedPort: number | undefined;
  timeoutMs: number;
  noBrowser: boolean;
}

/** Builds the authorize URL (CONTRACT §3). */
export function authorizeUrl(params: {
  site: string;
  subdomain?: string;
  clientId: string;
  redirectUri: string;
  state: string;
  scopes: string[];
  challenge: string;
  orgUuid?: string;
}): string {
  const url = new URL(`${appBase(params.site, params.subdomain)}/oauth2/v1/authorize`);
  const q = url.searchParams;
  q.set("response_type", "code");
  q.set("client_id", params.clientId);
  q.set("redirect_uri", params.redirectUri);
  q.set("state", params.state);
  q.set("scope", params.scopes.join(" "));
  q.set("code_challenge", params.challenge);
  q.set("code_challenge_method", "S256");
  if (params.orgUuid) q.set("dd_oid", params.orgUuid);
  return url.toString();
}

/** The site's client: the stored one, else a new registration stored under the lock. */
async function ensureClient(
  ctx: Context,
  store: StateStore,
  site: string,
  replace?: ClientCredentials,
): Promise<ClientCredentials> {
  const stored = (await store.read(site)).client;
  if (stored && stored.client_id !== replace?.client_id) return stored;
  return await withSiteLock(ctx.dir, site, ctx.lockDeps, async () => {
    const state = await store.read(site);
    // Another login registered while we waited.
    if (state.client && state.client.client_id !== replace?.client_id) return state.client;
    ctx.info(`Registering pup as an OAuth client with ${site}…`);
    state.client = await registerClient(ctx.oauth, site);
    await store.write(site, state);
    return state.client;
  });
}

/** Runs the browser flow once with `client`; resolves with the token. */
async function authorize(
  ctx: Context,
  req: LoginRequest,
  client: ClientCredentials,
): Promise<Token> {
  const { deps } = ctx;
  const verifier = createVerifier(deps.randomBytes);
  const state = createState(deps.randomBytes);
  const challenge = await challengeS256(verifier);

  let settle!: (outcome: CallbackOutcome | PupError) => void;
  const finished = new Promise<CallbackOutcome | PupError>((r) => (settle = r));
  const server = await bindCallback(
    deps.serve,
    (port) => callbackApp(port, state, settle).fetch,
    req.pinnedPort,
  );
  const redirect = redirectUri(server.port);
  const removeInterrupt = deps.host.onInterrupt(() =>
    settle(new PupError("authorization_denied", "login interrupted", { exitCode: 130 }))
  );
  const timer = setTimeout(
    () =>
      settle(
        new PupError("callback_timeout", "timeout waiting for OAuth callback", {
          hint: "Run pup auth login again to restart the flow.",
        }),
      ),
    req.timeoutMs,
  );
  try {
    const url = authorizeUrl({
      site: req.site,
      subdomain: req.subdomain,
      clientId: client.client_id,
      redirectUri: redirect,
      state,
      scopes: req.scopes,
      challenge,
      orgUuid: req.orgUuid,
    });
    if (req.noBrowser) {
      ctx.info(`Open this URL in a browser to authorize pup:\n\n  ${url}\n`);
      ctx.info(
        `Waiting for the callback on ${redirect}. If your browser cannot reach this machine, paste the full URL it was redirected to here and press Enter.`,
      );
      void readPastedCallback(ctx, server.port, state, settle);
    } else {
      ctx.info(`Opening your browser to authorize pup (waiting on ${redirect})…`);
      await openBrowser(deps.launch, url, deps.env, deps.host.os, () => {
        ctx.info("⚠️ Could not open browser automatically");
        ctx.info(`Please open this URL manually: ${url}`);
      });
    }
    const outcome = await finished;
    if (outcome instanceof PupError) throw outcome;
    const error = outcomeError(outcome);
    if (error) throw error;
    const code = (outcome as { code: string }).code;
    return await exchangeCode(ctx.oauth, req.site, client, {
      code,
      redirectUri: redirect,
      verifier,
      scope: req.scopes.join(" "),
    });
  } finally {
    clearTimeout(timer);
    removeInterrupt();
    await server.close();
  }
}

/** `--no-browser`: accept the redirected URL pasted on stdin, judged like the callback. */
async function readPastedCallback(
  ctx: Context,
  port: number,
  state: string,
  settle: (outcome: CallbackOutcome | PupError) => void,
): Promise<void> {
  for (;;) {
    const line = await ctx.deps.io.readLine();
    if (line === null) return; // stdin closed: keep waiting for the loopback callback
    const text = line.trim();
    if (text === "") continue;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      ctx.info("That is not a URL. Paste the whole address from the browser's address bar.");
      continue;
    }
    if (
      url.protocol !== "http:" || url.host !== `127.0.0.1:${port}` || url.pathname !== "/callback"
    ) {
      ctx.info(
        `That URL is not this login's callback (expected http://127.0.0.1:${port}/callback?…).`,
      );
      continue;
    }
    settle(judgeCallback(url.searchParams, state));
    return;
  }
}

/** Logs in and stores the session; returns the token and where it was stored. */
export async function login(
  ctx: Context,
  req: LoginRequest,
): Promise<{ token: Token; store: StateStore }> {
  const store = await ctx.store();
  let client = await ensureClient(ctx, store, req.site);
  let token: Token;
  try {
    token = await authorize(ctx, req, client);
  } catch (err) {
    // The server forgot our client (CONTRACT §3): register once more and start over.
    if (!(err instanceof PupError) || err.code !== "invalid_client") throw err;
    ctx.info("The OAuth server no longer knows this client; registering again…");
    client = await ensureClient(ctx, store, req.site, client);
    token = await authorize(ctx, req, client);
  }
  await saveSession(ctx, store, req, token, client);
  return { token, store };
}

/** Stores a new session's token, with the client it was issued to, under the site's lock. */
export async function saveSession(
  ctx: Context,
  store: StateStore,
  req: Pick<LoginRequest, "site" | "org">,
  token: Token,
  client: ClientCredentials,
): Promise<void> {
  await withSiteLock(ctx.dir, req.site, ctx.lockDeps, async () => {
    const state = await store.read(req.site);
    state.tokens[orgKey(req.org)] = token;
    state.client = client;
    await store.write(req.site, state);
  });
}
