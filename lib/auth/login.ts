/**
 * @module
 * The browser login (document: the flow's nine steps; CONTRACT §3–§6): reuse or register the
 * site's client, make PKCE and state, bind the callback, open the browser (or say why not
 * here), wait with a live line, exchange the code, and store the token under the site's lock.
 *
 * It takes a narrow {@link LoginContext} (today's `Context` satisfies it), never the CLI layer.
 * Every timer comes from `deps.clock`; Ctrl-C/SIGTERM end the wait and the code exchange at once.
 */
import type { Deps } from "../deps.ts";
import { PupError } from "../errors.ts";
import type { LockDeps } from "../store/lock.ts";
import type { StateStore } from "../store/state_store.ts";
import { openBrowser } from "./browser.ts";
import { judgeCallback, outcomeError } from "./callback.ts";
import { getOrRegisterClient, storeSession } from "./client_store.ts";
import { noOpenerLines, showUrl, whyNoOpener } from "./headless.ts";
import { exchangeCode, type OAuthContext, oauthDeps, registerClient } from "./oauth_client.ts";
import { challengeS256, createState, createVerifier } from "./pkce.ts";
import { appBase } from "./site.ts";
import { invalidScopeError } from "./invalid_scope.ts";
import { openWait, type Wait } from "./wait.ts";
import type { ClientCredentials, Token } from "./types.ts";
import type { Line } from "../text.ts";
import { startWaitLine, type WaitLine } from "./wait_line.ts";

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

/**
 * What a login needs; the CLI's `Context` is one. The OAuth calls take their fetch, clock and
 * trust gate from it through `oauthDeps` ({@link OAuthContext}).
 */
export interface LoginContext extends OAuthContext {
  deps:
    & OAuthContext["deps"]
    & Pick<Deps, "env" | "io" | "clock" | "randomBytes" | "serve" | "launch" | "host">;
  dir: string;
  lockDeps: LockDeps;
  /** Writes a line to stderr (text, or pieces with pup's own control sequences). */
  info(line: Line): void;
  store(): Promise<StateStore>;
}

/** How long a closing callback server waits for its last page to go out. */
const CLOSE_GRACE_MS = 2_000;

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

/** The site's client: the stored one, else a new registration under the site's lock. */
function siteClient(
  ctx: LoginContext,
  store: StateStore,
  site: string,
  replace?: ClientCredentials,
): Promise<ClientCredentials> {
  return getOrRegisterClient(ctx, store, site, () => registerClient(oauthDeps(ctx), site), {
    replace,
    onRegister: () => ctx.info(`Registering pup as an OAuth client with ${site}…`),
  });
}

/** Opens the browser, or prints the URL and why not; starts the waiting line. */
async function present(
  ctx: LoginContext,
  req: LoginRequest,
  url: string,
  wait: Wait,
): Promise<WaitLine> {
  const { deps } = ctx;
  const shown = showUrl(deps, url);
  const deadline = deps.clock.now() + req.timeoutMs;
  const what = "Waiting for you to approve in the browser";
  if (req.noBrowser) {
    ctx.info(["Open this URL in a browser to authorize pup:\n\n  ", ...shown, "\n"]);
    ctx.info(
      `Waiting for the callback on ${wait.redirect}. If your browser cannot reach this machine, paste the full URL it was redirected to here and press Enter.`,
    );
    const line = startWaitLine(deps, what, deadline, { live: false });
    void readPastedCallback(ctx, line, wait);
    return line;
  }
  const reason = whyNoOpener(deps.env, deps.host.os, (p) => deps.host.exists?.(p) ?? false);
  if (reason) {
    for (const l of noOpenerLines(reason, deps.env, wait.server.port, shown)) ctx.info(l);
    return startWaitLine(deps, what, deadline);
  }
  ctx.info(`Opening your browser to authorize pup (waiting on ${wait.redirect})…`);
  ctx.info(["If it does not open, visit this URL:\n\n  ", ...shown, "\n"]);
  const line = startWaitLine(deps, what, deadline);
  await openBrowser(
    { launch: deps.launch, clock: deps.clock, env: deps.env, os: deps.host.os },
    url,
    () => {
      line.above("⚠️ Could not open browser automatically");
      line.above(["Please open this URL manually: ", ...shown]);
    },
    { signal: wait.ended },
  );
  return line;
}

/** Waits for the outcome; the code, or the error it means. */
async function awaitCode(req: LoginRequest, wait: Wait): Promise<string> {
  const outcome = await wait.finished;
  if (outcome instanceof PupError) throw outcome;
  if (outcome.kind === "error" && outcome.error === "invalid_scope") {
    throw invalidScopeError(req, outcome.description);
  }
  const error = outcomeError(outcome);
  if (error) throw error;
  return (outcome as { code: string }).code;
}

/** Runs the browser flow once with `client`; resolves with the token. */
async function authorize(
  ctx: LoginContext,
  req: LoginRequest,
  client: ClientCredentials,
): Promise<Token> {
  const { deps } = ctx;
  const verifier = createVerifier(deps.randomBytes);
  const challenge = await challengeS256(verifier);
  const wait = await openWait(ctx, req, createState(deps.randomBytes));
  let line: WaitLine | undefined;
  try {
    const url = authorizeUrl({
      site: req.site,
      subdomain: req.subdomain,
      clientId: client.client_id,
      redirectUri: wait.redirect,
      state: wait.state,
      scopes: req.scopes,
      challenge,
      orgUuid: req.orgUuid,
    });
    line = await present(ctx, req, url, wait);
    const code = await awaitCode(req, wait);
    line.stop();
    // Ctrl-C aborts the request itself (the egress throws the signal's reason); the race also
    // ends the login at once when a fetch does not honour the abort.
    const params = {
      code,
      redirectUri: wait.redirect,
      verifier,
      scope: req.scopes.join(" "),
      retry: { site: req.site, org: req.org, scopes: req.scopes },
    };
    const exchange = exchangeCode(
      oauthDeps(ctx, { signal: wait.signal }),
      req.site,
      client,
      params,
    );
    exchange.catch(() => {});
    return await Promise.race([exchange, wait.interrupted]);
  } finally {
    line?.stop();
    wait.end();
    await wait.server.close({ grace: deps.clock.timeout(CLOSE_GRACE_MS) });
  }
}

/** `--no-browser`: accept the redirected URL pasted on stdin, judged like the callback. */
async function readPastedCallback(ctx: LoginContext, line: WaitLine, wait: Wait): Promise<void> {
  const port = wait.server.port;
  for (;;) {
    const input = await ctx.deps.io.readLine();
    if (input === null) return; // stdin closed: keep waiting for the loopback callback
    const text = input.trim();
    if (text === "") continue;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      line.above("That is not a URL. Paste the whole address from the browser's address bar.");
      continue;
    }
    if (
      url.protocol !== "http:" || url.host !== `127.0.0.1:${port}` || url.pathname !== "/callback"
    ) {
      line.above(
        `That URL is not this login's callback (expected http://127.0.0.1:${port}/callback?…).`,
      );
      continue;
    }
    wait.settle(judgeCallback(url.searchParams, wait.state));
    return;
  }
}

/** Logs in and stores the session; returns the token and where it was stored. */
export async function login(
  ctx: LoginContext,
  req: LoginRequest,
): Promise<{ token: Token; store: StateStore }> {
  const store = await ctx.store();
  let client = await siteClient(ctx, store, req.site);
  let token: Token;
  try {
    token = await authorize(ctx, req, client);
  } catch (err) {
    // The server forgot our client (CONTRACT §3): register once more and start over.
    if (!(err instanceof PupError) || err.code !== "invalid_client") throw err;
    ctx.info("The OAuth server no longer knows this client; registering again…");
    client = await siteClient(ctx, store, req.site, client);
    token = await authorize(ctx, req, client);
  }
  await storeSession(ctx, store, req, token, client);
  return { token, store };
}
