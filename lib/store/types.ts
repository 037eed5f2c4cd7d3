/**
 * @module
 * The shapes pup stores: the token payload of the design document, the DCR answer, and a
 * site's whole state. They live in the store layer (the lowest that holds them);
 * `lib/auth/types.ts` re-exports them for the layers above.
 */

/** The token payload (OAUTH2.md "Token Storage", CONTRACT §7). */
export interface Token {
  access_token: string;
  refresh_token?: string;
  token_type: string;
  expires_in: number;
  /** ISO 8601 UTC, e.g. `2024-02-04T12:00:00.000Z`. */
  expires_at: string;
  scope: string;
}

/** The DCR answer (RFC 7591 §3.2.1) plus when pup registered. */
export interface ClientCredentials {
  client_id: string;
  /** Absent for a public client: then it is never sent. */
  client_secret?: string;
  registered_at: string;
  [field: string]: unknown;
}

/** The key under which the default (unnamed) session's token is stored. */
export const DEFAULT_ORG_KEY = "__default__";

/** Everything stored for one site: tokens keyed by org (or `__default__`), and the client. */
export interface SiteState {
  tokens: Record<string, Token>;
  client: ClientCredentials | null;
}
