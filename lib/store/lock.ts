/**
 * @module
 * A cross-process lock per site: an `O_EXCL` lock file in the config folder holding the
 * owner's pid. A holder killed with SIGKILL leaves its file behind; the next process sees the
 * pid is gone (or the file is too old) and breaks the lock, guarded so that two breakers
 * cannot remove a fresh lock by mistake.
 */
import { open, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Clock } from "../deps.ts";
import { PupError } from "../errors.ts";
import { describe, ensureDir } from "./files.ts";
import { siteKey } from "./state_store.ts";

/** What the lock needs from the outside world. */
export interface LockDeps {
  clock: Clock;
  pid: number;
  processExists(pid: number): boolean;
}

/** Options for {@link withSiteLock}. */
export interface LockOptions {
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
  /** A lock older than this is stale whatever its pid says (default 120 s). */
  staleMs?: number;
}

/** The lock file of a site. */
export function lockPath(dir: string, site: string): string {
  return join(dir, `.lock_${siteKey(site)}`);
}

/** The lock of sessions.json (`_` cannot begin a site key, so no site shares it). */
export const REGISTRY_LOCK = "_sessions";

async function tryCreate(path: string, content: string): Promise<boolean> {
  try {
    const fh = await open(path, "wx", 0o600);
    try {
      await fh.writeFile(content);
    } finally {
      await fh.close();
    }
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === "EEXIST") return false;
    throw new PupError("storage", `cannot create the lock file ${path}: ${describe(err)}`, {
      cause: err,
    });
  }
}

async function readLock(path: string): Promise<{ text: string; mtimeMs: number } | undefined> {
  try {
    const [text, s] = await Promise.all([readFile(path, "utf8"), stat(path)]);
    return { text, mtimeMs: s.mtimeMs };
  } catch {
    return undefined;
  }
}

function holderPid(text: string): number | undefined {
  try {
    const pid = JSON.parse(text).pid;
    return Number.isInteger(pid) ? pid : undefined;
  } catch {
    return undefined; // torn by a kill between create and write: treat as stale by age
  }
}

/**
 * Runs `fn` while holding the site's lock.
 *
 * @example
 * await withSiteLock(dir, "datadoghq.com", deps, async () => { /* read, modify, write *\/ });
 */
export async function withSiteLock<T>(
  dir: string,
  site: string,
  deps: LockDeps,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  await ensureDir(dir);
  const path = site === REGISTRY_LOCK ? join(dir, `.lock${REGISTRY_LOCK}`) : lockPath(dir, site);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const staleMs = options.staleMs ?? 120_000;
  const me = JSON.stringify({ pid: deps.pid, at: new Date(deps.clock.now()).toISOString() });
  const start = deps.clock.now();
  let wait = 5;
  while (!(await tryCreate(path, me))) {
    const held = await readLock(path);
    if (held) {
      const pid = holderPid(held.text);
      const age = deps.clock.now() - held.mtimeMs;
      const dead = pid !== undefined ? !deps.processExists(pid) : age > 2_000;
      if (dead || age > staleMs) await breakStale(path, held.text);
    }
    if (deps.clock.now() - start > timeoutMs) {
      throw new PupError("lock_timeout", `timed out waiting for the lock ${path}`, {
        hint: "another pup process is holding it; if none is running, delete that file",
      });
    }
    await deps.clock.sleep(wait + Math.random() * wait);
    wait = Math.min(wait * 2, 50);
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true }).catch(() => {});
  }
}

/** Removes a stale lock, but only if it still holds what we judged stale. */
async function breakStale(path: string, staleText: string): Promise<void> {
  const guard = `${path}.break`;
  if (!(await tryCreate(guard, ""))) {
    // Another process is breaking it; a guard left by a killed breaker is cleared after 5 s.
    const g = await readLock(guard);
    if (g && Date.now() - g.mtimeMs > 5_000) await rm(guard, { force: true }).catch(() => {});
    return;
  }
  try {
    const now = await readLock(path);
    if (now && now.text === staleText) await rm(path, { force: true });
  } finally {
    await rm(guard, { force: true }).catch(() => {});
  }
}
