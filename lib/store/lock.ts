/**
 * @module
 * A cross-process lock per site (CONTRACT §8): {@link withSiteLock} runs a function while
 * holding the site's lock file (`lock_file.ts`: pid and nonce, created whole), waiting with
 * back-off while another process holds it and breaking it when its holder is gone
 * (`stale_lock.ts`).
 *
 * While a lock is held, SIGINT/SIGTERM/SIGHUP remove it and end the process (130/143/129):
 * `withSiteLock` holds the file through `held_files.ts`, so no call site has to remember.
 * A lock path that is not a regular file (a FIFO, a link, a socket — pup never makes one) is
 * never opened for reading: it is removed as stale at once, so it costs neither a hang nor the
 * 60 s timeout.
 */
import { join } from "node:path";
import { PupError } from "../errors.ts";
import { ensureDir } from "./config_dir.ts";
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
import { breakStale } from "./stale_lock.ts";
import { siteKey } from "./state_store.ts";

/** What the lock needs from the outside world. */
export interface LockDeps extends LockFileDeps {
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
 * How many times this process has taken a lock: a snapshot read before the count last changed
 * may predate a write another process made under that lock (`KeychainStateStore`).
 */
export let lockEpoch = 0;

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
