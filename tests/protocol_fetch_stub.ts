/**
 * @module
 * A `deps.fetch` stub for protocol tests: it records every request (URL, method, headers,
 * body, redirect mode) and answers from a route function, so a test can play a hostile
 * server — a 307, a non-JSON body, numbers at their extremes — without a socket. A request
 * made with `redirect: "follow"` (fetch's default) to a route that answers 3xx is followed as
 * a real fetch would, re-posting the body to the `Location`: a test sees that as a request
 * to the other origin.
 */

/** One request the stub saw. */
export interface SeenRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string;
  redirect: RequestRedirect;
}

/** Answers one request; undefined means 404. */
export type Route = (req: SeenRequest) => Response | undefined | Promise<Response | undefined>;

/** The stub and what it saw. */
export interface FetchStub {
  fetch: typeof fetch;
  seen: SeenRequest[];
}

/** A JSON answer; `raw` sends the text as it is (e.g. `1e400`, which JSON.stringify cannot). */
export function json(status: number, body: unknown, raw?: string): Response {
  return new Response(raw ?? JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

function headersOf(init: RequestInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  new Headers(init?.headers).forEach((v, k) => (out[k] = v));
  return out;
}

/** Makes a stub answering with `route`. */
export function fetchStub(route: Route): FetchStub {
  const seen: SeenRequest[] = [];
  const one = async (url: URL, init: RequestInit | undefined): Promise<Response> => {
    if (init?.signal?.aborted) throw init.signal.reason;
    const req: SeenRequest = {
      url,
      method: (init?.method ?? "GET").toUpperCase(),
      headers: headersOf(init),
      body: typeof init?.body === "string" ? init.body : "",
      redirect: init?.redirect ?? "follow",
    };
    seen.push(req);
    return (await route(req)) ?? new Response("not found", { status: 404 });
  };
  const stub = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    let url = new URL(input instanceof Request ? input.url : String(input));
    for (let hops = 0;; hops++) {
      const res = await one(url, init);
      const location = res.headers.get("location");
      const follow = (init?.redirect ?? "follow") === "follow";
      if (!follow || res.status < 300 || res.status > 399 || !location || hops > 5) return res;
      url = new URL(location, url);
    }
  };
  return { fetch: stub as typeof fetch, seen };
}

/** Whether a request carried a credential: a bearer token, API keys, or a client secret. */
export function carriesCredential(req: SeenRequest): boolean {
  return req.headers.authorization !== undefined || req.headers["dd-api-key"] !== undefined ||
    req.headers["dd-application-key"] !== undefined || /client_secret|device_code|refresh_token/
    .test(req.body);
}
