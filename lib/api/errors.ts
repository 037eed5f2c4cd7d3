/**
 * @module
 * Turning a Datadog answer that is not a success into one clear {@link PupError}: Datadog's own
 * `errors` (v1 strings or v2 JSON:API objects) with control characters neutralised, exit 4 for
 * a rejected credential (401), the missing scope and how to log in with it for a 403, and when
 * to come back for a 429.
 */
import type { EgressMessages } from "../auth/egress.ts";
import { PupError } from "../errors.ts";
import { safeText } from "../text.ts";
import { type CredentialSource, describeSource } from "./credentials.ts";

/** One line of server text, safe for a terminal and capped at `max` characters. */
export function serverLine(text: string, max = 500): string {
  const line = safeText(text).replace(/\s+/g, " ").trim();
  return line.length > max ? line.slice(0, max) + "…" : line;
}

/**
 * Datadog's error messages in a body: `{"errors": ["…"]}` (v1) or
 * `{"errors": [{"title": "…", "detail": "…"}]}` (v2), else a short excerpt of a non-JSON body.
 *
 * @example
 * datadogErrors('{"errors":["Monitor not found"]}'); // ["Monitor not found"]
 */
export function datadogErrors(body: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    const excerpt = serverLine(body, 200);
    return excerpt ? [excerpt] : [];
  }
  const errors = (parsed as { errors?: unknown })?.errors;
  if (!Array.isArray(errors)) {
    const message = (parsed as { message?: unknown; error?: unknown })?.message ??
      (parsed as { error?: unknown })?.error;
    return typeof message === "string" ? [serverLine(message)] : [];
  }
  return errors.map((e) => {
    if (typeof e === "string") return serverLine(e);
    const o = (e ?? {}) as Record<string, unknown>;
    const parts = [o.title, o.detail].filter((p) => typeof p === "string" && p !== "");
    return serverLine(parts.length ? parts.join(": ") : JSON.stringify(e));
  }).filter((s) => s !== "");
}

const SCOPE_RE =
  /missing[^a-z0-9_]+(?:the\s+)?(?:required\s+)?(?:oauth\s+)?scopes?\b[\s:'"`(]*([a-z][a-z0-9_]*(?:\s*,\s*[a-z][a-z0-9_]*)*)/i;

/**
 * The scopes a 403's messages say are missing, when they say so.
 *
 * @example
 * missingScopes(["Forbidden: missing scope monitors_read"]); // ["monitors_read"]
 */
export function missingScopes(messages: string[]): string[] {
  const out = new Set<string>();
  for (const m of messages) {
    const match = SCOPE_RE.exec(m);
    if (match) { for (const s of match[1].split(/\s*,\s*/)) out.add(s.toLowerCase()); }
  }
  return [...out];
}

/** What a failed request was, for messages. */
export interface FailedRequest {
  method: string;
  /** The path and query, without the origin. */
  path: string;
  status: number;
  statusText: string;
  body: string;
  headers: Headers;
  source: CredentialSource;
  org: string | undefined;
}

function statusLine(r: FailedRequest): string {
  return `request ${r.method} ${safeText(r.path)} failed: ${r.status}${
    r.statusText ? ` ${serverLine(r.statusText, 60)}` : ""
  }`;
}

function withErrors(line: string, errors: string[]): string {
  return errors.length ? `${line}: ${errors.join("; ")}` : line;
}

/**
 * The error for a non-2xx answer, carrying its HTTP status (`-o json` reports it). 401 → exit 4 with how to authenticate again; 403 → exit 1
 * naming the missing scope and the login that grants it; 429 (after pup's retries) → exit 1
 * with when to retry; anything else → exit 1 with Datadog's errors.
 */
export function responseError(r: FailedRequest, retriedAfterRefresh = false): PupError {
  const errors = datadogErrors(r.body);
  const message = withErrors(statusLine(r), errors);
  const orgFlag = r.org ? ` --org ${r.org}` : "";
  if (r.status === 401) {
    const hint = r.source === "session"
      ? `Run 'pup auth login${orgFlag}' to re-authenticate`
      : r.source === "access_token_env"
      ? "set a valid DD_ACCESS_TOKEN (e.g. from 'pup auth token'), or unset it to use your pup session"
      : "check DD_API_KEY and DD_APP_KEY (and DD_SITE: keys work only on their own site), or run 'pup auth login'";
    return new PupError(
      "not_authenticated",
      `${message} — Datadog rejected ${describeSource(r.source)}${
        retriedAfterRefresh ? " even after a token refresh" : ""
      }`,
      { hint, status: r.status },
    );
  }
  if (r.status === 403) {
    const scopes = missingScopes(errors);
    let hint: string;
    if (r.source === "api_keys") {
      hint = "the application key lacks a permission this endpoint needs" +
        (scopes.length ? ` (${scopes.join(", ")})` : "") +
        "; use a key that has it, or log in with 'pup auth login'";
    } else if (scopes.length) {
      hint =
        `log in again with the missing scope: pup auth login${orgFlag} --extra-scopes ${
          scopes.join(",")
        }` +
        (r.source === "access_token_env" ? " (and unset DD_ACCESS_TOKEN, or take a new one)" : "");
    } else {
      hint = `your session may lack a scope this endpoint needs: 'pup auth status${orgFlag}' ` +
        `lists your scopes; add one with 'pup auth login${orgFlag} --extra-scopes <scope>'`;
    }
    // The scopes come from Datadog's own errors, which the message already shows.
    return new PupError("api", message, { hint, status: r.status });
  }
  if (r.status === 429) {
    const after = r.headers.get("retry-after") ?? r.headers.get("x-ratelimit-reset");
    return new PupError("api", `${message} — rate limited by Datadog`, {
      hint: after && /^\d+$/.test(after.trim())
        ? `try again in ${after.trim()} s`
        : "wait a little and try again",
      status: r.status,
    });
  }
  return new PupError("api", message, {
    hint: r.status >= 500 ? "Datadog failed to answer; try again in a moment" : undefined,
    status: r.status,
  });
}

/** How the API client words the egress's failures (and logs them with `-v`). */
export function apiMessages(
  verbose: (line: string) => void,
  request: { method: string; path: string; url: URL; timeoutMs: number },
  took: () => string,
): EgressMessages {
  const what = `request ${request.method} ${safeText(request.path)}`;
  return {
    timeout: () => {
      verbose(`< timed out (${took()})`);
      return new PupError(
        "network_timeout",
        `${what} timed out after ${
          formatMs(request.timeoutMs)
        }: expected an answer from ${request.url.origin}, found none in time`,
        { hint: "Datadog or the network is slow; try again, or set PUP_HTTP_TIMEOUT=<seconds>" },
      );
    },
    unreachable: (reason, cause) =>
      new PupError("network", `${what} failed: cannot reach ${request.url.origin}: ${reason}`, {
        cause,
        hint: "check your network connection, proxy settings and DD_SITE",
      }),
    redirect: (status, location) => {
      verbose(`< ${status} (${took()})`);
      return new PupError(
        "redirect_refused",
        `${what} failed: ${status} redirect${location ? ` to ${serverLine(location, 200)}` : ""}`,
        {
          hint: "pup does not follow redirects, so credentials stay on the site; check DD_SITE",
          // An opaque redirect has status 0: no HTTP status to report.
          status: status || undefined,
        },
      );
    },
  };
}

/** `1.5 s`, `250 ms`. */
export function formatMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${Math.round(ms)} ms`;
}
