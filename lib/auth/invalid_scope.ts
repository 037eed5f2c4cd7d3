/**
 * @module
 * `invalid_scope` (issue 13): one scope the org or site is not entitled to fails the whole
 * login, whether the authorize redirect or the token endpoint (code exchange, device
 * authorization or polling) says it. pup names the scopes the server's `error_description`
 * mentions (neutralised) and prints the exact command that retries without them. Exit 4: an
 * error from the authorization server (CONTRACT §9).
 */
import { PupError } from "../errors.ts";
import { safeText } from "../text.ts";
import { DEFAULT_SITE } from "./site.ts";

/** What a retry needs of the login request. */
export interface ScopeRetry {
  site: string;
  org: string | undefined;
  scopes: string[];
  /** The login was `--device` (the retry is too). */
  device?: boolean;
}

/** The scopes an `invalid_scope` description names, among those requested. */
export function refusedScopes(description: string | undefined, requested: string[]): string[] {
  const words = new Set((description ?? "").match(/[A-Za-z0-9_.:-]+/g) ?? []);
  return requested.filter((s) => words.has(s));
}

/** The command that retries a login without the refused scopes. */
export function retryCommand(req: ScopeRetry, refused: string[]): string {
  const parts = ["pup auth login"];
  if (req.device) parts.push("--device");
  if (req.site !== DEFAULT_SITE) parts.push(`--site ${req.site}`);
  if (req.org) parts.push(`--org ${req.org}`);
  const rest = req.scopes.filter((s) => !refused.includes(s));
  parts.push(refused.length && rest.length ? `--scopes ${rest.join(",")}` : "--read-only");
  return parts.join(" ");
}

/** The message's end: which scopes, and the server's description. */
function refusal(refused: string[], description: string | undefined): string {
  const named = refused.length ? `: ${refused.join(", ")}` : "";
  return `the authorization server refused the requested scopes${named}${
    description ? ` (${safeText(description)})` : ""
  }`;
}

/**
 * `invalid_scope` from the authorization server (issue 13): which scopes, and the retry. At the
 * authorize redirect `what` is absent; at the token endpoint it names the step
 * ("token exchange", "device authorization", …). Exit 4.
 *
 * @example
 * invalidScopeError({ site: "datadoghq.com", org: undefined, scopes: ["a_read", "b_write"] },
 *   "scope b_write is not allowed", "token exchange").hint;
 * // "retry without them:\n  pup auth login --scopes a_read"
 */
export function invalidScopeError(
  req: ScopeRetry,
  description: string | undefined,
  what?: string,
): PupError {
  const refused = refusedScopes(description, req.scopes);
  return new PupError(
    "invalid_scope",
    `${what ? `${what} failed: ` : ""}${refusal(refused, description)}`,
    { hint: `retry without them:\n  ${retryCommand(req, refused)}` },
  );
}

/**
 * `invalid_scope` at a step that does not know the login's org (a refresh): names the refused
 * scopes among `requested` and the flags that choose others. Exit 4.
 */
export function invalidScopeAnswer(
  what: string,
  description: string | undefined,
  requested: string[],
): PupError {
  const refused = refusedScopes(description, requested);
  return new PupError("invalid_scope", `${what} failed: ${refusal(refused, description)}`, {
    hint: "log in again without them: pup auth login with --scopes a,b, --extra-scopes a,b " +
      "or --read-only",
  });
}
