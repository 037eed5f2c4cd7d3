/**
 * @module
 * How long to wait after a 429 before retrying: `Retry-After` (seconds or an HTTP date,
 * RFC 9110 §10.2.3), else Datadog's `X-RateLimit-Reset` (seconds until the window resets), else
 * an exponential back-off. Pure: the caller passes `now` and sleeps.
 */

/** pup's retry policy for 429 answers. */
export interface RetryPolicy {
  /** Retries after the first attempt (default 3). */
  maxRetries: number;
  /** Longest single wait pup accepts; a server asking for more fails at once (default 60 s). */
  maxWaitMs: number;
}

/** The default policy: 3 retries, at most 60 s each. */
export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 3, maxWaitMs: 60_000 };

function seconds(v: string | null): number | undefined {
  if (v === null) return undefined;
  const s = v.trim();
  if (!/^\d+(\.\d+)?$/.test(s)) return undefined;
  return Number(s) * 1000;
}

/**
 * The wait in milliseconds the answer asks for before retry number `retry` (1-based).
 *
 * @example
 * rateLimitWaitMs(new Headers({ "retry-after": "2" }), Date.now(), 1); // 2000
 */
export function rateLimitWaitMs(headers: Headers, now: number, retry: number): number {
  const retryAfter = headers.get("retry-after");
  const fromSeconds = seconds(retryAfter);
  if (fromSeconds !== undefined) return fromSeconds;
  if (retryAfter !== null) {
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = seconds(headers.get("x-ratelimit-reset"));
  if (reset !== undefined) return reset;
  return 1000 * 2 ** (retry - 1);
}
