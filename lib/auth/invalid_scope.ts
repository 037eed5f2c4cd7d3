/**
 * @module
 * `invalid_scope` at the authorize redirect (issue 13): one scope the org or site is not
 * entitled to fails the whole login, so pup names the scopes the server's `error_description`
 * mentions (neutralised) and prints the exact command that retries without them. Exit 4.
 */
import { PupError } from "../errors.ts";
import { safeText } from "../text.ts";
import { DEFAULT_SITE } from "./site.ts";

/** What a retry needs of the login request. */
export interface ScopeRetry {
  site: string;
  org: string | undefined;
  scopes: string[];
}

/** The scopes an `invalid_scope` description names, among those requested. */
export function refusedScopes(description: string | undefined, requested: string[]): string[] {
  const words = new Set((description ?? "").match(/[A-Za-z0-9_.:-]+/g) ?? []);
  return requested.filter((s) => words.has(s));
}

/** The command that retries a login without the refused scopes. */
export function retryCommand(req: ScopeRetry, refused: string[]): string {
  const parts = ["pup auth login"];
  if (req.site !== DEFAULT_SITE) parts.push(`--site ${req.site}`);
  if (req.org) parts.push(`--org ${req.org}`);
  const rest = req.scopes.filter((s) => !refused.includes(s));
  parts.push(refused.length && rest.length ? `--scopes ${rest.join(",")}` : "--read-only");
  return parts.join(" ");
}

/** `invalid_scope` at the authorize redirect (issue 13): which scopes, and the retry. Exit 4. */
export function invalidScopeError(req: ScopeRetry, description: string | undefined): PupError {
  const refused = refusedScopes(description, req.scopes);
  const named = refused.length ? `: ${refused.join(", ")}` : "";
  return new PupError(
    "invalid_scope",
    `the authorization server refused the requested scopes${named}${
      description ? ` (${safeText(description)})` : ""
    }`,
    { hint: `retry without them:\n  ${retryCommand(req, refused)}`, exitCode: 4 },
  );
}
