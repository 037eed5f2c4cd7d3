/**
 * @module
 * The loopback callback (CONTRACT §5): a Hono app that knows no runtime, and the logic that
 * binds it to 127.0.0.1 on one of the four registered ports. Only `GET /callback` with the
 * right Host counts; a callback with the right state and a code (or an `error=`) ends the
 * wait; a wrong or missing state ends it as a CSRF failure. Pages never show a code or token.
 */
import { Hono } from "hono";
import type { Serve, Server } from "../runtime/serve.ts";
import { AddressInUseError } from "../runtime/serve.ts";
import { PupError } from "../errors.ts";
import { CALLBACK_PORTS } from "./oauth_client.ts";
import { cleanServerText } from "../text.ts";
import { constantTimeEqual } from "./constant_time.ts";

/** How a flow ended at the callback. */
export type CallbackOutcome =
  | { kind: "code"; code: string }
  | { kind: "error"; error: string; description?: string }
  | { kind: "state_mismatch" };

/**
 * Judges the query of a callback (shared by the HTTP route and a pasted URL).
 * State first: an `error=` or `code` without our state is not ours to act on.
 */
export function judgeCallback(query: URLSearchParams, expectedState: string): CallbackOutcome {
  const state = query.get("state");
  if (state === null || !constantTimeEqual(state, expectedState)) return { kind: "state_mismatch" };
  const error = query.get("error");
  if (error !== null) {
    const description = query.get("error_description") ?? undefined;
    return {
      kind: "error",
      error: cleanServerText(error, 80),
      description: description && cleanServerText(description),
    };
  }
  const code = query.get("code");
  if (!code) {
    return { kind: "error", error: "invalid_request", description: "the callback has no code" };
  }
  return { kind: "code", code };
}

/**
 * The error an outcome means for the user (null for a code). An `invalid_scope` error is the
 * login's to word (`invalidScopeError` in invalid_scope.ts: it knows the scopes asked for and
 * the command that retries), so the login handles it before asking here.
 */
export function outcomeError(outcome: CallbackOutcome): PupError | null {
  if (outcome.kind === "state_mismatch") {
    return new PupError("state_mismatch", "state parameter mismatch (CSRF protection)", {
      hint:
        "This indicates a potential security issue. Run pup auth login again to start a fresh flow.",
    });
  }
  if (outcome.kind === "error") {
    const denied = outcome.error === "access_denied";
    return new PupError(
      "authorization_denied",
      `authorization failed: ${outcome.error}${
        outcome.description ? ` (${outcome.description})` : ""
      }`,
      {
        hint: denied
          ? "the request was not approved; run pup auth login again and approve the requested scopes"
          : "run pup auth login again",
      },
    );
  }
  return null;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>pup: ${
    escapeHtml(title)
  }</title><meta name="viewport" content="width=device-width"><style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}</style></head><body><h1>${
    escapeHtml(title)
  }</h1><p>${escapeHtml(body)}</p></body></html>`;
}

const SECURITY_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
};

/**
 * A page whose `onDelivered` runs once the runtime has read the whole body into the socket (or
 * the client went away): only then may the flow end and the server close, so the browser sees
 * the page, never a reset connection (issue 9, defect 5). `connection: close` leaves no idle
 * keep-alive connection to hold a graceful close open.
 */
export function deliveredPage(
  status: number,
  title: string,
  body: string,
  onDelivered: () => void,
): Response {
  const bytes = new TextEncoder().encode(page(title, body));
  let sent = false;
  let done = false;
  const finish = () => {
    if (!done) {
      done = true;
      onDelivered();
    }
  };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(bytes);
        return;
      }
      controller.close();
      finish();
    },
    cancel: finish,
  }, { highWaterMark: 0 });
  return new Response(stream, {
    status,
    headers: {
      ...SECURITY_HEADERS,
      "content-length": String(bytes.length),
      connection: "close",
    },
  });
}

/** The page a decisive callback gets. */
function outcomePage(outcome: CallbackOutcome): [number, string, string] {
  if (outcome.kind === "code") {
    return [
      200,
      "Authorization complete",
      "pup is now logged in. You can close this tab and return to your terminal.",
    ];
  }
  if (outcome.kind === "state_mismatch") {
    return [
      400,
      "Login failed",
      "The state parameter did not match (CSRF protection). Run pup auth login again.",
    ];
  }
  return [400, "Login failed", `Datadog answered: ${outcome.error}. Run pup auth login again.`];
}

/**
 * The callback app for one flow. `onOutcome` is called once, for the first decisive request,
 * after its page has been delivered.
 */
export function callbackApp(
  port: number,
  expectedState: string,
  onOutcome: (outcome: CallbackOutcome) => void,
): Hono {
  let done = false;
  const app = new Hono();
  const html = (status: number, title: string, body: string) =>
    new Response(page(title, body), { status, headers: SECURITY_HEADERS });
  // DNS rebinding: a page on another origin that resolves to 127.0.0.1 sends its own Host.
  app.use("*", async (c, next) => {
    if (c.req.header("host") !== `127.0.0.1:${port}`) {
      return html(400, "Bad request", "This server only answers requests to 127.0.0.1.");
    }
    await next();
  });
  app.get("/callback", (c) => {
    if (done) {
      return html(409, "Already handled", "This login already finished. Return to your terminal.");
    }
    const outcome = judgeCallback(new URL(c.req.url).searchParams, expectedState);
    done = true;
    const [status, title, body] = outcomePage(outcome);
    return deliveredPage(status, title, body, () => onOutcome(outcome));
  });
  app.all("/callback", () => html(405, "Method not allowed", "Only GET is accepted here."));
  app.notFound(() => html(404, "Not found", "Nothing here."));
  return app;
}

/** Chooses and binds the callback port. */
export async function bindCallback(
  serve: Serve,
  handlerFor: (port: number) => (req: Request) => Response | Promise<Response>,
  pinned?: number,
): Promise<Server> {
  const ports = pinned ? [pinned] : [...CALLBACK_PORTS];
  for (const port of ports) {
    try {
      return await serve(handlerFor(port), { hostname: "127.0.0.1", port });
    } catch (err) {
      if (!(err instanceof AddressInUseError)) throw err;
    }
  }
  if (pinned) {
    throw new PupError("port_unavailable", `callback port ${pinned} is already in use`, {
      hint:
        "a pinned port has no fallback (the browser must reach that exact port); free it, or pin another of 8000, 8080, 8888, 9000",
    });
  }
  throw new PupError(
    "port_unavailable",
    `no free callback port: 8000, 8080, 8888 and 9000 are all in use`,
    { hint: "free one of them (they are the redirect URIs registered with Datadog)" },
  );
}

/** Validates a pinned port: one of the four registered. */
export function parseCallbackPort(value: string, source: string): number {
  const port = Number(value);
  if (!(CALLBACK_PORTS as readonly number[]).includes(port) || !/^\d+$/.test(value.trim())) {
    throw new PupError(
      "usage",
      `invalid ${source} "${value}": expected one of ${CALLBACK_PORTS.join(", ")}`,
      { hint: "only these ports are registered as redirect URIs with Datadog" },
    );
  }
  return port;
}
