/**
 * @module
 * Breaking a stale lock (CONTRACT §8). A holder killed with SIGKILL leaves its file behind; the
 * next process sees that the pid is gone (or that the file is older than `staleMs`) and breaks
 * the lock. Breaking is serialised by a second lock file (the guard) and removes the lock only
 * if it still holds exactly what was judged stale, so two breakers can never both delete — and
 * one never deletes a fresh lock taken in between. A guard left by a breaker that was itself
 * killed is recovered too, and after a dead holder's lock is broken the temp files such
 * processes leave are swept.
 */
import { link, lstat, readdir, readFile, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { holdFile } from "./held_files.ts";
import {
  isStale,
  jitter,
  type LockFileDeps,
  nonce,
  readLock,
  tryCreate,
  unlinkIfHolds,
} from "./lock_file.ts";

/**
 * A guard is held for a read and an unlink; older than this it is stale even if its pid seems
 * alive (the pid was reused). A dead breaker's guard is stale at once.
 */
const GUARD_STALE_MS = 30_000;

/**
 * Removes a stale guard only if it still holds `expected`. Guards are recovered without a
 * guard of their own, so this renames the file away first (of two racers one gets ENOENT) and
 * links it back if it turns out to be a fresh guard taken in between. That leaves a window of
 * microseconds, reached only when a breaker was killed inside its own few-millisecond hold.
 */
async function removeStaleGuard(path: string, expected: string, deps: LockFileDeps): Promise<void> {
  const aside = `${path}.${nonce(deps)}.old`;
  try {
    await rename(path, aside);
  } catch {
    return; // gone already: another process recovered it
  }
  try {
    const text = await readFile(aside, "utf8").catch(() => undefined);
    if (text !== expected) await link(aside, path).catch(() => {});
  } finally {
    await rm(aside, { force: true }).catch(() => {});
  }
}

/**
 * Removes a stale lock under the guard, but only if it still holds what was judged stale
 * (`staleText`), or — undefined — is still not a regular file.
 */
export async function breakStale(
  path: string,
  staleText: string | undefined,
  deps: LockFileDeps,
): Promise<void> {
  const guard = `${path}.break`;
  const mine = JSON.stringify({ pid: deps.pid, nonce: nonce(deps) });
  if (!(await tryCreate(guard, mine, deps))) {
    // Another process is breaking it. A guard whose breaker was killed is itself stale.
    const g = await readLock(guard);
    if (g?.notRegular !== undefined && !g.isDirectory) await rm(guard, { force: true });
    else if (g?.notRegular === undefined && g && isStale(g, deps, GUARD_STALE_MS)) {
      await removeStaleGuard(guard, g.text, deps);
    }
    await deps.clock.sleep(1 + jitter(deps) * 4);
    return;
  }
  let broke = false;
  const release = holdFile(guard, { expected: mine, hooks: deps.signals });
  try {
    // Re-read under the guard: another breaker may have replaced the stale lock already.
    if (staleText !== undefined) broke = await unlinkIfHolds(path, staleText);
    else if ((await readLock(path))?.notRegular !== undefined) {
      await rm(path, { force: true });
      broke = true;
    }
  } finally {
    await unlinkIfHolds(guard, mine).catch(() => {});
    release();
  }
  if (broke) await sweepLeftovers(dirname(path), deps);
}

/** Temporary files older than this belong to no live process (a write takes milliseconds). */
const LEFTOVER_MS = 60_000;

/**
 * A process that died mid-write may leave its temporary file (`*.tmp` from atomic writes,
 * `*.new` / `*.old` from locks). After breaking a dead holder's lock, old ones are removed.
 */
async function sweepLeftovers(dir: string, deps: LockFileDeps): Promise<void> {
  try {
    for (const name of await readdir(dir)) {
      if (!/^(tokens_|client_|sessions\.json|\.lock).*\.(tmp|new|old)$/.test(name)) continue;
      const path = join(dir, name);
      const s = await lstat(path).catch(() => undefined);
      if (s && deps.clock.now() - s.mtimeMs > LEFTOVER_MS) await rm(path, { force: true });
    }
  } catch { /* best effort: leftovers are harmless, only untidy */ }
}
