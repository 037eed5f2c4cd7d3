/**
 * @module
 * A cross-process lock per site (CONTRACT §8): a lock file in the config folder holding the
 * owner's pid and a random nonce. The file appears whole (written aside, then hard-linked into
 * place, which fails when it exists), so no reader ever sees a half-written lock.
 *
 * A holder killed with SIGKILL leaves its file behind; the next process sees that the pid is
 * gone (or that the file is older than `staleMs`) and breaks the lock. Breaking is serialised
 * by a second lock file (the guard) and removes the lock only if it still holds exactly what
 * was judged stale, so two breakers can never both delete — and one never deletes a fresh lock
 * taken in between. A guard left by a breaker that was itself killed is recovered too.
 */
import { link, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
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
  /**
   * A lock older than this is stale whatever its pid says (default 120 s: longer than the
   * 30 s OAuth timeout, the longest thing done under a lock).
   */
  staleMs?: number;
}

/** The lock file of a site. */
export function lockPath(dir: string, site: string): string {
  return join(dir, `.lock_${siteKey(site)}`);
}

/** The lock of sessions.json (`_` cannot begin a site key, so no site shares it). */
export const REGISTRY_LOCK = "_sessions";

/**
 * A guard is held for a read and an unlink; older than this it is stale even if its pid seems
 * alive (the pid was reused). A dead breaker's guard is stale at once.
 */
const GUARD_STALE_MS = 30_000;

/** A lock file whose content cannot be parsed (never happens with link-created files). */
const UNREADABLE_STALE_MS = 2_000;

let nonceCounter = 0;

function nonce(): string {
  return `${Date.now().toString(36)}.${(nonceCounter++).toString(36)}.${
    Math.random().toString(36).slice(2, 10)
  }`;
}

function errCode(err: unknown): string | undefined {
  return (err as { code?: string } | undefined)?.code;
}

/**
 * Creates `path` holding `content`, atomically; false when it already exists. The content is
 * written to a private file first and hard-linked into place (`link` fails with EEXIST like
 * `O_EXCL`), so the lock never exists half-written; file systems without hard links fall back
 * to `O_EXCL`.
 */
async function tryCreate(path: string, content: string): Promise<boolean> {
  const tmp = `${path}.${nonce()}.new`;
  try {
    const fh = await open(tmp, "wx", 0o600);
    try {
      await fh.writeFile(content);
    } finally {
      await fh.close();
    }
    try {
      await link(tmp, path);
      return true;
    } catch (err) {
      if (errCode(err) === "EEXIST") return false;
      if (!["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EXDEV"].includes(errCode(err) ?? "")) {
        throw err;
      }
    }
    // No hard links here: O_EXCL create, then write (a torn file is judged by its age).
    try {
      const fh = await open(path, "wx", 0o600);
      try {
        await fh.writeFile(content);
      } finally {
        await fh.close();
      }
      return true;
    } catch (err) {
      if (errCode(err) === "EEXIST") return false;
      throw err;
    }
  } catch (err) {
    throw new PupError("storage", `cannot create the lock file ${path}: ${describe(err)}`, {
      cause: err,
      hint: "check that the config folder is writable (or set PUP_CONFIG_DIR)",
    });
  } finally {
    await rm(tmp, { force: true }).catch(() => {});
  }
}

async function readLock(path: string): Promise<{ text: string; mtimeMs: number } | undefined> {
  try {
    const s = await stat(path);
    const text = await readFile(path, "utf8");
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
    return undefined;
  }
}

/** Whether a lock file's holder is gone: its pid is dead, or the file is older than `staleMs`. */
function isStale(
  held: { text: string; mtimeMs: number },
  deps: LockDeps,
  staleMs: number,
): boolean {
  const age = deps.clock.now() - held.mtimeMs;
  if (age > staleMs) return true;
  const pid = holderPid(held.text);
  if (pid === undefined) return age > UNREADABLE_STALE_MS;
  return pid !== deps.pid && !deps.processExists(pid);
}

/**
 * Unlinks `path` if it holds `expected`. Safe only where nothing else can replace the file
 * between the read and the unlink: a breaker under the guard (the stale owner is dead, other
 * breakers wait, and no lock can be created while this one exists) or an owner releasing its
 * own lock.
 */
async function unlinkIfHolds(path: string, expected: string): Promise<boolean> {
  const text = await readFile(path, "utf8").catch(() => undefined);
  if (text !== expected) return false;
  await rm(path, { force: true });
  return true;
}

/**
 * Removes a stale guard only if it still holds `expected`. Guards are recovered without a
 * guard of their own, so this renames the file away first (of two racers one gets ENOENT) and
 * links it back if it turns out to be a fresh guard taken in between. That leaves a window of
 * microseconds, reached only when a breaker was killed inside its own few-millisecond hold.
 */
async function removeStaleGuard(path: string, expected: string): Promise<void> {
  const aside = `${path}.${nonce()}.old`;
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
 * Runs `fn` while holding the site's lock; the lock is released however `fn` ends.
 *
 * @example
 * await withSiteLock(dir, "datadoghq.com", deps, async () => {
 *   const state = await store.read("datadoghq.com"); // re-read under the lock
 *   await store.write("datadoghq.com", change(state));
 * });
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
  const me = JSON.stringify({
    pid: deps.pid,
    at: new Date(deps.clock.now()).toISOString(),
    nonce: nonce(),
  });
  const start = deps.clock.now();
  let wait = 2;
  while (!(await tryCreate(path, me))) {
    const held = await readLock(path);
    if (held && isStale(held, deps, staleMs)) {
      await breakStale(path, held.text, deps);
      continue; // try at once: the lock is probably free now
    }
    if (deps.clock.now() - start > timeoutMs) {
      throw new PupError("lock_timeout", `timed out waiting for the lock ${path}`, {
        hint: `another pup process has held it for over ${
          timeoutMs / 1000
        } s; if none is running, delete that file`,
      });
    }
    await deps.clock.sleep(wait + Math.random() * wait);
    wait = Math.min(wait * 2, 40);
  }
  try {
    return await fn();
  } finally {
    // Only our own lock: if it was (wrongly) broken as stale, the file is someone else's now.
    await unlinkIfHolds(path, me).catch(() => {});
  }
}

/** Removes a stale lock under the guard, but only if it still holds what was judged stale. */
async function breakStale(path: string, staleText: string, deps: LockDeps): Promise<void> {
  const guard = `${path}.break`;
  const mine = JSON.stringify({ pid: deps.pid, nonce: nonce() });
  if (!(await tryCreate(guard, mine))) {
    // Another process is breaking it. A guard whose breaker was killed is itself stale.
    const g = await readLock(guard);
    if (g && isStale(g, deps, GUARD_STALE_MS)) await removeStaleGuard(guard, g.text);
    await deps.clock.sleep(1 + Math.random() * 4);
    return;
  }
  let broke = false;
  try {
    // Re-read under the guard: another breaker may have replaced the stale lock already.
    broke = await unlinkIfHolds(path, staleText);
  } finally {
    await unlinkIfHolds(guard, mine).catch(() => {});
  }
  if (broke) await sweepLeftovers(dirname(path), deps);
}

/** Temporary files older than this belong to no live process (a write takes milliseconds). */
const LEFTOVER_MS = 60_000;

/**
 * A process that died mid-write may leave its temporary file (`*.tmp` from atomic writes,
 * `*.new` / `*.old` from locks). After breaking a dead holder's lock, old ones are removed.
 */
async function sweepLeftovers(dir: string, deps: LockDeps): Promise<void> {
  try {
    for (const name of await readdir(dir)) {
      if (!/^(tokens_|client_|sessions\.json|\.lock).*\.(tmp|new|old)$/.test(name)) continue;
      const path = join(dir, name);
      const s = await stat(path).catch(() => undefined);
      if (s && deps.clock.now() - s.mtimeMs > LEFTOVER_MS) await rm(path, { force: true });
    }
  } catch { /* best effort: leftovers are harmless, only untidy */ }
}
