/**
 * @module
 * The named-session registry, `sessions.json` (CONTRACT §7, §8): an array of
 * `{"site", "org" (null for the default session), "org_uuid"?}`. No secrets. Always a file.
 */
import { join } from "node:path";
import { PupError } from "../errors.ts";
import { readJsonFile, writeFileAtomic } from "../store/files.ts";
import { type LockDeps, REGISTRY_LOCK, withSiteLock } from "../store/lock.ts";

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

function fault(v: unknown): string | null {
  if (!Array.isArray(v)) return "expected an array of sessions";
  for (const [i, e] of v.entries()) {
    if (typeof e !== "object" || e === null) return `entry ${i} is not an object`;
    if (typeof e.site !== "string") return `entry ${i} has no site`;
    if (e.org !== null && typeof e.org !== "string") {
      return `entry ${i}: org must be a string or null`;
    }
    if (e.org_uuid !== undefined && typeof e.org_uuid !== "string") {
      return `entry ${i}: org_uuid must be a string`;
    }
  }
  return null;
}

/** Reads the registry; `[]` when there is none. */
export async function readSessions(dir: string): Promise<SessionEntry[]> {
  return (await readJsonFile<SessionEntry[]>(
    sessionsPath(dir),
    "session registry",
    fault,
    "fix or delete that file; 'pup auth login' recreates entries (tokens are not stored there)",
  )) ?? [];
}

/** Applies `change` to the registry under its lock, and writes it back when it changed. */
export async function updateSessions(
  dir: string,
  deps: LockDeps,
  change: (entries: SessionEntry[]) => SessionEntry[],
): Promise<SessionEntry[]> {
  return await withSiteLock(dir, REGISTRY_LOCK, deps, async () => {
    const before = await readSessions(dir);
    const after = change(before.map((e) => ({ ...e })));
    if (JSON.stringify(after) !== JSON.stringify(before)) {
      await writeFileAtomic(sessionsPath(dir), JSON.stringify(after, null, 2) + "\n");
    }
    return after;
  });
}

/** Records (or updates) a session. */
export function upsertSession(entries: SessionEntry[], entry: SessionEntry): SessionEntry[] {
  const i = entries.findIndex((e) => e.site === entry.site && e.org === entry.org);
  const clean: SessionEntry = { site: entry.site, org: entry.org };
  if (entry.org_uuid) clean.org_uuid = entry.org_uuid;
  if (i >= 0) entries[i] = clean;
  else entries.push(clean);
  return entries;
}

/** Forgets a session. */
export function removeSession(entries: SessionEntry[], site: string, org: string | null) {
  return entries.filter((e) => !(e.site === site && e.org === org));
}

/** Validates an org name (CONTRACT §8): 1–64 of `[A-Za-z0-9._-]`, not starting with `.`. */
export function validateOrgName(org: string): string {
  if (
    !/^[A-Za-z0-9._-]{1,64}$/.test(org) || org.startsWith(".") || org === "__default__"
  ) {
    throw new PupError(
      "usage",
      `invalid org name "${org}": expected 1-64 letters, digits, '.', '_' or '-', not starting with '.', and not __default__`,
    );
  }
  return org;
}
