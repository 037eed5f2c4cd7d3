/**
 * @module
 * The unit tests' network: origins answered in process by a fake app (the fake Datadog), no
 * socket and no port. {@link testDeps} uses it by default, so a unit test cannot reach a real
 * server by accident: an origin nothing answers is "connection refused", as it would be.
 *
 * @example
 * const fake = createFakeDatadog(); // answers at fake.url until fake.close()
 * const r = await runPup(["monitors", "list"], testDeps(localEnv(fake.site, dir)));
 */
import { STATUS_CODES } from "node:http";
import type { RequestApp } from "./serve.ts";

const apps = new Map<string, RequestApp>();
/** Ports of in-process origins: above the callback ports, below the ephemeral range. */
let nextPort = 20_000;

/** Answers `origin`'s requests with `app` until the returned function is called. */
export function answer(app: RequestApp): { origin: string; host: string; stop(): void } {
  const host = `127.0.0.1:${nextPort++}`;
  const origin = `http://${host}`;
  apps.set(origin, app);
  return { origin, host, stop: () => void apps.delete(origin) };
}

/** `fetch` over the in-process network (redirects are the caller's, as with `manual`). */
export const networkFetch: typeof fetch = async (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const app = apps.get(url.origin);
  if (!app) {
    throw new TypeError(`fetch failed: connection refused on ${url.host} (in-process network)`);
  }
  const res = await app.request(input instanceof Request ? input : url.href, init);
  // A server sends the reason phrase (`200 OK`); an app's Response has none.
  if (res.statusText || !STATUS_CODES[res.status]) return res;
  return new Response(res.body, {
    status: res.status,
    statusText: STATUS_CODES[res.status],
    headers: res.headers,
  });
};

/** The in-process network as one app: what a fake browser visits. */
export const network: RequestApp = { request: (input, init) => networkFetch(input, init) };
