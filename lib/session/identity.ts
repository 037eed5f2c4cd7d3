/**
 * @module
 * One session identity (CONTRACT §8): a session is a (site, org) pair, the org either a name
 * or the default session. Everything that names, stores or looks up a session — config.yaml's
 * profiles, sessions.json, the tokens files, the keychain entries and every message — goes
 * through this module, so there is one default spelling, one org-name rule, and keyed state is
 * never looked up through `Object.prototype` (`constructor`, `__proto__`, `toString` … are
 * valid org names).
 *
 * Spellings of the default session, by where it lives:
 * - in code: `org === undefined` ({@link SessionId.org});
 * - in sessions.json: `"org": null` ({@link registryOrg});
 * - as a key (tokens files, keychain values, maps): {@link DEFAULT_ORG_KEY}, via {@link orgKey}.
 */
import { DEFAULT_ORG_KEY } from "../store/types.ts";
import { PupError } from "../errors.ts";
import { safeCell } from "../text.ts";

export { DEFAULT_ORG_KEY };

/** One session: its site, its org (undefined for the default session) and the key it is stored under. */
export interface SessionId {
  readonly site: string;
  readonly org: string | undefined;
  /** `org`, or {@link DEFAULT_ORG_KEY} for the default session. */
  readonly orgKey: string;
}

/** The org-name rule in words, for messages. */
export const ORG_NAME_RULE =
  "1-64 letters, digits, '.', '_' or '-', not starting with '.', and not __default__";

const ORG_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

/** Whether `org` is an org name (CONTRACT §8). */
export function isOrgName(org: unknown): org is string {
  return typeof org === "string" && ORG_NAME.test(org) && org !== DEFAULT_ORG_KEY;
}

/**
 * Validates an org name given by the user (CONTRACT §8); a usage error naming the value and the
 * rule otherwise. `source` names where it came from (`--org` by default).
 *
 * @example
 * validateOrgName("prod-child"); // "prod-child"
 */
export function validateOrgName(org: string, source?: string): string {
  if (!isOrgName(org)) {
    const what = source ? `${source}: ` : "";
    throw new PupError(
      "usage",
      `${what}invalid org name "${safeCell(org)}": expected ${ORG_NAME_RULE}`,
    );
  }
  return org;
}

/** The key a session's token is stored under: the org, or `__default__`. */
export function orgKey(org: string | null | undefined): string {
  return org === undefined || org === null ? DEFAULT_ORG_KEY : org;
}

/** The org of a stored key: undefined for `__default__`. */
export function orgOfKey(key: string): string | undefined {
  return key === DEFAULT_ORG_KEY ? undefined : key;
}

/** How sessions.json spells the org: `null` for the default session. */
export function registryOrg(org: string | null | undefined): string | null {
  return org === undefined || org === null ? null : org;
}

/** The identity of the session (site, org). */
export function sessionId(site: string, org: string | null | undefined): SessionId {
  const o = org === null || org === undefined ? undefined : org;
  return { site, org: o, orgKey: orgKey(o) };
}

/** Whether a sessions.json entry is the session (site, org). */
export function isSession(
  entry: { site: string; org: string | null },
  site: string,
  org: string | null | undefined,
): boolean {
  return entry.site === site && entry.org === registryOrg(org);
}

/** How a session is named in messages, e.g. `org "prod" on datadoghq.eu`. */
export function sessionLabel(site: string, org: string | null | undefined): string {
  return org === undefined || org === null
    ? `the default session on ${site}`
    : `org "${org}" on ${site}`;
}

/**
 * The value stored for `org` in a keyed record (tokens by org, profiles by org), looked up as
 * the record's own property only: `tokenFor({}, "constructor")` is undefined, not a function.
 *
 * @example
 * const token = tokenFor(state.tokens, org); // undefined when that session has none
 */
export function tokenFor<T>(
  record: Readonly<Record<string, T>> | null | undefined,
  org: string | null | undefined,
): T | undefined {
  const key = orgKey(org);
  return record && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Whether a keyed record has an own entry for `org` (never through the prototype). */
export function hasOrg(
  record: Readonly<Record<string, unknown>> | null | undefined,
  org: string | null | undefined,
): boolean {
  return !!record && Object.hasOwn(record, orgKey(org));
}

/**
 * A copy of `record` with no prototype, so any key — `__proto__` included — is plain data.
 * Parsed JSON and YAML go through this before they are keyed by org. (The store's, re-exported.)
 */
export { plainRecord } from "../store/state_store.ts";
