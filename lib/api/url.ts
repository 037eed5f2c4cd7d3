/**
 * @module
 * The URL of an API path on the site's API origin. A path must start with `/` and can never
 * move the request (and its credentials) to another origin.
 */
import { PupError } from "../errors.ts";
import { safeText } from "../text.ts";

/**
 * The URL of `path` (which must start with `/`) on `base`, with `query` added. Throws a usage
 * error for a path that is not one, and never lets a path move the request to another origin.
 *
 * @example
 * buildUrl("https://api.datadoghq.com", "/api/v1/monitor?name=x", { page_size: 10 }).href;
 * // "https://api.datadoghq.com/api/v1/monitor?name=x&page_size=10"
 */
export function buildUrl(
  base: string,
  path: string,
  query: Record<string, string | number | undefined> = {},
): URL {
  if (!path.startsWith("/")) {
    throw new PupError(
      "usage",
      `invalid API path "${safeText(path)}": expected one starting with /`,
    );
  }
  let url: URL;
  try {
    url = new URL(base + path);
  } catch {
    throw new PupError("usage", `invalid API path "${safeText(path)}": not a valid URL path`);
  }
  if (url.origin !== new URL(base).origin) {
    throw new PupError(
      "usage",
      `invalid API path "${safeText(path)}": expected a path on ${base}, found ${url.origin}`,
    );
  }
  // Touching searchParams re-encodes the whole query, so leave a path's own query alone.
  const extra = Object.entries(query).filter(([, v]) => v !== undefined);
  for (const [k, v] of extra) url.searchParams.append(k, String(v));
  return url;
}
