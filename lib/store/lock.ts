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
 *
 * While a lock is held, SIGINT/SIGTERM/SIGHUP remove it and end the process (130/143/129):
 * `withSiteLock` holds the file through `held_files.ts`, so no call site has to remember.
 * A lock path that is not a regular file (a FIFO, a link, a socket — pup never makes one) is
 * never opened for reading: it is removed as stale at once, so it costs neither a hang nor the
 * 60 s timeout.
 */
import { constants } from "node:fs";
import { link, lstat, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { type Clock, cryptoRandomBytes } from "../deps.ts";
import { PupError } from "../errors.ts";
import { describe, ensureDir } from "./config_dir.ts";
import { holdFile, type SignalHooks } from "./held_files.ts";
import { siteKey } from "./state_store.ts";

/** What the lock needs from the outside world. */
export interface LockDeps {
  clock: Clock;
  pid: number;
  processExists(pid: number): boolean;
  /** Random bytes for nonces and back-off jitter (default Web Crypto). */
  randomBytes?: (n: number) => Uint8Array;
  /** Where signals come from while a lock is held (default none; commands hand the process's in). */
  signals?: SignalHooks;
  /** This user's id (`deps.host.uid`), for the config folder's ownership check. */
  uid?: number;
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

function nonce(deps: LockDeps): string {
  const bytes = (deps.randomBytes ?? cryptoRandomBytes)(6);
  const random = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${deps.clock.now().toString(36)}.${(nonceCounter++).toString(36)}.${random}`;
}

/** A random fraction in [0, 1) from the lock's random source. */
function jitter(deps: LockDeps): number {
  const [a, b] = (deps.randomBytes ?? cryptoRandomBytes)(2);
  return (a * 256 + b) / 65536;
}

/**
 * How many times this process has taken a lock: a snapshot read before the count last changed
 * may predate a write another process made under that lock (`KeychainStateStore`).
 */
export let lockEpoch = 0;

function errCode(err: unknown): string | undefined {
  return (err as { code?: string } | undefined)?.code;
}

/**
 * Creates `path` holding `content`, atomically; false when it already exists. The content is
 * written to a private file first and hard-linked into place (`link` fails with EEXIST like
 * `O_EXCL`), so the lock never exists half-written; file systems without hard links fall back
 * to `O_EXCL`.
 */
async function tryCreate(path: string, content: string, deps: LockDeps): Promise<boolean> {
  const tmp = `${path}.${nonce(deps)}.new`;
  const release = holdFile(tmp, { hooks: deps.signals });
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
    release();
  }
}

/** A lock file as found: its text and age, or `notRegular` for what pup never creates. */
type FoundLock = { text: string; mtimeMs: number; notRegular?: undefined } | {
  notRegular: string;
  isDirectory: boolean;
};

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

/** Reads a lock file without following a link or blocking on a FIFO; undefined when gone. */
async function readLock(path: string): Promise<FoundLock | undefined> {
  const l = await lstat(path).catch(() => undefined);
  if (!l) return undefined;
  if (!l.isFile()) {
    const kind = l.isSymbolicLink() ? "a symbolic link" : l.isFIFO() ? "a FIFO" : "not a file";
    return { notRegular: kind, isDirectory: l.isDirectory() };
  }
  try {
    const fh = await open(path, constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    try {
      const s = await fh.stat();
      if (!s.isFile()) return { notRegular: "not a file", isDirectory: s.isDirectory() };
      return { text: await fh.readFile("utf8"), mtimeMs: s.mtimeMs };
    } finally {
      await fh.close();
    }
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
  const found = await readLock(path);
  if (found?.notRegular !== undefined || found?.text !== expected) return false;
  await rm(path, { force: true });
  return true;
}

/**
 * Removes a stale guard only if it still holds `expected`. Guards are recovered without a
 * guard of their own, so this renames the file away first (of two racers one gets ENOENT) and
 * links it back if it turns out to be a fresh guard taken in between. That leaves a window of
 * microseconds, reached only when a breaker was killed inside its own few-millisecond hold.
 */
async function removeStaleGuard(path: string, expected: string, deps: LockDeps): Promise<void> {
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
 * Runs `fn` while holding the site's lock; the lock is released however `fn` ends — and on
 * SIGINT/SIGTERM/SIGHUP, which remove it and end the process (see `held_files.ts`).
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
  await ensureDir(dir, deps);
  const path = site === REGISTRY_LOCK ? join(dir, `.lock${REGISTRY_LOCK}`) : lockPath(dir, site);
  const me = JSON.stringify({
    pid: deps.pid,
    at: new Date(deps.clock.now()).toISOString(),
    nonce: nonce(deps),
  });
  await acquire(path, me, deps, options);
  lockEpoch++;
  const release = holdFile(path, { expected: me, hooks: deps.signals });
  try {
    return await fn();
  } finally {
    // Only our own lock: if it was (wrongly) broken as stale, the file is someone else's now.
    await unlinkIfHolds(path, me).catch(() => {});
    release();
  }
}

/** Waits until `path` is created holding `me`, breaking stale locks; fails after the timeout. */
async function acquire(
  path: string,
  me: string,
  deps: LockDeps,
  options: LockOptions,
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const staleMs = options.staleMs ?? 120_000;
  const start = deps.clock.now();
  let wait = 2;
  while (!(await tryCreate(path, me, deps))) {
    const held = await readLock(path);
    if (held?.notRegular !== undefined) {
      if (held.isDirectory) throw notALock(path, "a folder");
      // pup never makes one: nothing to wait for, remove it (the entry, never a link's target).
      await breakStale(path, undefined, deps);
      continue;
    }
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
    await deps.clock.sleep(wait + jitter(deps) * wait);
    wait = Math.min(wait * 2, 40);
  }
}

function notALock(path: string, kind: string): PupError {
  return new PupError("unsafe_file", `the lock file ${path} is ${kind}, expected a regular file`, {
    hint: "remove it (pup recreates its locks), then run the command again",
  });
}

/**
 * Removes a stale lock under the guard, but only if it still holds what was judged stale
 * (`staleText`), or — undefined — is still not a regular file.
 */
async function breakStale(
  path: string,
  staleText: string | undefined,
  deps: LockDeps,
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
async function sweepLeftovers(dir: string, deps: LockDeps): Promise<void> {
  try {
    for (const name of await readdir(dir)) {
      if (!/^(tokens_|client_|sessions\.json|\.lock).*\.(tmp|new|old)$/.test(name)) continue;
      const path = join(dir, name);
      const s = await lstat(path).catch(() => undefined);
      if (s && deps.clock.now() - s.mtimeMs > LEFTOVER_MS) await rm(path, { force: true });
    }
  } catch { /* best effort: leftovers are harmless, only untidy */ }
}
