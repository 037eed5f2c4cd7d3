/**
 * @module
 * Site states of a chosen size, for the keychain back-end tests: many organisations with long
 * tokens, to push a state past a keychain's item limit and into chunks.
 *
 *     const big = bigState(40, 400); // 40 orgs, tokens of 400 characters and more
 */
import type { SiteState, Token } from "../../lib/auth/types.ts";

/** A token of `org` whose access and refresh tokens carry `size` padding characters. */
export function sizedToken(org: string, size: number): Token {
  return {
    access_token: `at_${org}_` + "A".repeat(size),
    refresh_token: `rt_${org}_` + "R".repeat(size),
    token_type: "Bearer",
    expires_in: 3600,
    expires_at: "2030-01-01T00:00:00.000Z",
    scope: "dashboards_read metrics_read monitors_read",
  };
}

/** A site state of `orgs` organisations (`org-0`, `org-1`, …), each a {@link sizedToken}. */
export function bigState(orgs: number, tokenSize: number): SiteState {
  const tokens: Record<string, Token> = {};
  for (let i = 0; i < orgs; i++) tokens[`org-${i}`] = sizedToken(`org-${i}`, tokenSize);
  return {
    tokens,
    client: { client_id: "client-123", registered_at: "2024-01-01T00:00:00.000Z" },
  };
}
