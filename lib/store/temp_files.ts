/**
 * @module
 * The temp files of atomic writes (`files.ts`): their names, `<file>.<pid>.<12 hex>.tmp` beside
 * the file they replace, and the sweep that removes those a killed writer left. A writer ended by
 * SIGINT/SIGTERM/SIGHUP removes its own (`held_files.ts`); one killed with SIGKILL cannot, so the
 * next write of that file removes every temp file of it that no live write owns.
 */
import { readdir, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The temp file a write of `path` by process `pid` uses, named with 6 `random` bytes.
 *
 * @example
 * tempPath("/c/sessions.json", 42, bytes); // "/c/sessions.json.42.a1b2c3d4e5f6.tmp"
 */
export function tempPath(path: string, pid: number, random: Uint8Array): string {
  return `${path}.${pid}.${hex(random)}.tmp`;
}

/** Temp files this process is writing now (never swept as leftovers). */
const writing = new Set<string>();

/** Marks `tmp` as being written by this process until the returned function is called. */
export function markWriting(tmp: string): () => void {
  writing.add(tmp);
  return () => writing.delete(tmp);
}

/**
 * Removes the temp files of `path` that no live write owns: ones whose pid is dead, or ours but
 * not being written (a SIGKILL-ed process whose pid was reused).
 */
export async function sweepTemps(
  path: string,
  pid: number,
  alive: (pid: number) => boolean,
): Promise<void> {
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(base + ".") || !name.endsWith(".tmp")) continue;
    const m = /^\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name.slice(base.length));
    if (!m) continue;
    const owner = Number(m[1]);
    const full = join(dirname(path), name);
    if (writing.has(full)) continue;
    if (owner !== pid && alive(owner)) continue;
    await rm(full, { force: true }).catch(() => {});
  }
}
