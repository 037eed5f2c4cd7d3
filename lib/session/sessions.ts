/**
 * @module
 * The named-session registry, `sessions.json` (CONTRACT §7, §8): an array of
 * `{"site", "org" (null for the default session), "org_uuid"?}`. No secrets. Always a file.
 */
import { join } from "node:path";
import { normalizeSite } from "../auth/site.ts";
import { PupError } from "../errors.ts";
import { describe, type FileDeps } from "../store/config_dir.ts";
import { writeFileAtomic } from "../store/files.ts";
import { ReadFault, readSharedText } from "../store/safe_read.ts";
import { type LockDeps, REGISTRY_LOCK, withSiteLock } from "../store/lock.ts";
import { safeCell, safeText } from "../text.ts";
import { isOrgName, isSession, ORG_NAME_RULE, registryOrg } from "./identity.ts";

export { validateOrgName } from "./identity.ts";

/** One registry entry. */
export interface SessionEntry {
  site: string;
  org: string | null;
  org_uuid?: string;
}

/** The path of sessions.json. */
export function sessionsPath(dir: string): string {
  return join(dir, "sessions.json");
}

/** Why a site value cannot be used, or null when it passes CONTRACT §1. */
function siteFault(site: string): string | null {
  try {
    normalizeSite(site);
    return null;
  } catch (err) {
    if (!(err instanceof PupError)) throw err;
    return err.message;
  }
}

function fault(v: unknown): string | null {
  if (!Array.isArray(v)) return "expected an array of sessions";
  for (const [i, e] of v.entries()) {
    if (typeof e !== "object" || e === null || Array.isArray(e)) {
      return `entry ${i} is not an object`;
    }
    if (typeof e.site !== "string") return `entry ${i} has no site`;
    // The same normalisation and validation as --site (CONTRACT §1): a planted
    // "127.0.0.1#.datadoghq.com" must never reach a URL.
    const bad = siteFault(e.site);
    if (bad) return `entry ${i}: ${safeCell(bad)}`;
    if (e.org !== null && typeof e.org !== "string") {
      return `entry ${i}: org must be a string or null`;
    }
    if (e.org !== null && !isOrgName(e.org)) {
      return `entry ${i}: org "${safeText(e.org)}" is not an org name (${ORG_NAME_RULE})`;
    }
    if (e.org_uuid !== undefined && typeof e.org_uuid !== "string") {
      return `entry ${i}: org_uuid must be a string`;
    }
  }
  return null;
}

const RECOVERY =
  "fix or delete that file; 'pup auth login' recreates entries (tokens are not stored there)";

/** sessions.json larger than this is refused (thousands of sessions fit in a few hundred KB). */
export const MAX_SESSIONS_BYTES = 8 * 1024 * 1024;

function corrupt(path: string, fault: string, cause?: unknown): PupError {
  return new PupError("corrupt_file", `session registry ${path} ${fault}`, {
    hint: RECOVERY,
    cause,
  });
}

/**
 * Reads the registry; `[]` when there is none. A file pup cannot use — not a regular file (a
 * FIFO would block the read forever), not JSON, not the documented shape, a site that fails
 * CONTRACT §1 — is an error naming the file (exit 1), and the file is left as it was.
 */
export function readSessions(
  dir: string,
  files: Pick<FileDeps, "uid"> = {},
): Promise<SessionEntry[]> {
  const path = sessionsPath(dir);
  let text: string | undefined;
  try {
    text = readSharedText(path, MAX_SESSIONS_BYTES, files);
  } catch (err) {
    if (!(err instanceof ReadFault)) return Promise.reject(err);
    return Promise.reject(corrupt(path, `cannot be used: ${err.message}`));
  }
  if (text === undefined) return Promise.resolve([]);
  if (text.trim() === "") {
    return Promise.reject(corrupt(path, "is empty: expected a JSON document"));
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return Promise.reject(corrupt(path, `is not valid JSON: ${safeText(describe(err))}`, err));
  }
  const bad = fault(raw);
  if (bad) return Promise.reject(corrupt(path, `is malformed: ${bad}`));
  return Promise.resolve((raw as SessionEntry[]).map((e) => {
    const entry: SessionEntry = { site: normalizeSite(e.site), org: e.org };
    if (e.org_uuid !== undefined) entry.org_uuid = e.org_uuid;
    return entry;
  }));
}

/** Applies `change` to the registry under its lock, and writes it back when it changed. */
export async function updateSessions(
  dir: string,
  deps: LockDeps,
  change: (entries: SessionEntry[]) => SessionEntry[],
): Promise<SessionEntry[]> {
  return await withSiteLock(dir, REGISTRY_LOCK, deps, async () => {
    const before = await readSessions(dir, deps);
    const after = change(before.map((e) => ({ ...e })));
    if (JSON.stringify(after) !== JSON.stringify(before)) {
      await writeFileAtomic(sessionsPath(dir), JSON.stringify(after, null, 2) + "\n", deps);
    }
    return after;
  });
}

/** Records (or updates) a session. */
export function upsertSession(entries: SessionEntry[], entry: SessionEntry): SessionEntry[] {
  const i = entries.findIndex((e) => isSession(e, entry.site, entry.org));
  const clean: SessionEntry = { site: entry.site, org: registryOrg(entry.org) };
  if (entry.org_uuid) clean.org_uuid = entry.org_uuid;
  if (i >= 0) entries[i] = clean;
  else entries.push(clean);
  return entries;
}

/** Forgets a session. */
export function removeSession(
  entries: SessionEntry[],
  site: string,
  org: string | null | undefined,
): SessionEntry[] {
  return entries.filter((e) => !isSession(e, site, org));
}
