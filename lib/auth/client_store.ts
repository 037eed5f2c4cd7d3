/**
 * @module
 * The site's OAuth client and a new session's token, stored under the site's lock: one
 * "get or register the client" for the browser and device logins alike (CONTRACT §3: one
 * registration per site, shared by every org, replaced once on `invalid_client`), and one
 * "store the session" after either flow.
 */
import { type LockDeps, withSiteLock } from "../store/lock.ts";
import type { StateStore } from "../store/state_store.ts";
import { type ClientCredentials, DEFAULT_ORG_KEY, type Token } from "./types.ts";

/** What storing needs: the config folder (for the lock) and the lock's deps. */
export interface ClientStoreContext {
  readonly dir: string;
  readonly lockDeps: LockDeps;
}

/**
 * The site's client: the stored one, else a new registration stored under the lock (another
 * process may have registered while this one waited: its client is used). `replace` is a
 * client the server no longer knows (`invalid_client`): it is registered anew.
 *
 * @example
 * const client = await getOrRegisterClient(ctx, store, site, () => registerClient(oauth, site));
 */
export async function getOrRegisterClient(
  ctx: ClientStoreContext,
  store: StateStore,
  site: string,
  register: () => Promise<ClientCredentials>,
  options: { replace?: ClientCredentials; onRegister?: () => void } = {},
): Promise<ClientCredentials> {
  const usable = (c: ClientCredentials | null): c is ClientCredentials =>
    c !== null && c.client_id !== options.replace?.client_id;
  const stored = (await store.read(site)).client;
  if (usable(stored)) return stored;
  return await withSiteLock(ctx.dir, site, ctx.lockDeps, async () => {
    const state = await store.read(site);
    if (usable(state.client)) return state.client;
    options.onRegister?.();
    state.client = await register();
    await store.write(site, state);
    return state.client;
  });
}

/**
 * Stores a new session's token, with the client it was issued to, under the site's lock.
 * `org` undefined is the default session.
 */
export async function storeSession(
  ctx: ClientStoreContext,
  store: StateStore,
  session: { site: string; org: string | undefined },
  token: Token,
  client: ClientCredentials,
): Promise<void> {
  await withSiteLock(ctx.dir, session.site, ctx.lockDeps, async () => {
    const state = await store.read(session.site);
    state.tokens[session.org ?? DEFAULT_ORG_KEY] = token;
    state.client = client;
    await store.write(session.site, state);
  });
}
