/**
 * @module
 * One lock file (CONTRACT §8): the owner's pid and a random nonce, in the config folder. It
 * appears whole — written aside, then hard-linked into place, which fails when it exists — so no
 * reader ever sees a half-written lock. It is read without following a link or blocking on a
 * FIFO, judged stale when its pid is gone or it is too old, and removed only while it still holds
 * exactly what its remover expects. `lock.ts` takes and releases locks with these;
 * `stale_lock.ts` breaks the stale ones.
 */
import { constants } from "node:fs";
import { link, lstat, open, rm } from "node:fs/promises";
import { type Clock, cryptoRandomBytes } from "../deps.ts";
import { PupError } from "../errors.ts";
import { describe } from "./config_dir.ts";
import { holdFile, type SignalHooks } from "./held_files.ts";

/**
 * What a lock file's holders and breakers need from the outside world (`LockDeps` in `lock.ts`
 * adds the user's id, for the config folder's check).
 */
export interface LockFileDeps {
  clock: Clock;
  pid: number;
  processExists(pid: number): boolean;
  /** Random bytes for nonces and back-off jitter (default Web Crypto). */
  randomBytes?: (n: number) => Uint8Array;
  /** Where signals come from while a lock is held (default none; commands hand the process's in). */
  signals?: SignalHooks;
}

/** A lock file whose content cannot be parsed (never happens with link-created files). */
const UNREADABLE_STALE_MS = 2_000;

let nonceCounter = 0;

/** A nonce for a lock file or its temp file: the time, this process's counter, 6 random bytes. */
export function nonce(deps: LockFileDeps): string {
  const bytes = (deps.randomBytes ?? cryptoRandomBytes)(6);
  const random = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${deps.clock.now().toString(36)}.${(nonceCounter++).toString(36)}.${random}`;
}

/** A random fraction in [0, 1) from the lock's random source. */
export function jitter(deps: LockFileDeps): number {
  const [a, b] = (deps.randomBytes ?? cryptoRandomBytes)(2);
  return (a * 256 + b) / 65536;
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
export async function tryCreate(
  path: string,
  content: string,
  deps: LockFileDeps,
): Promise<boolean> {
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
export type FoundLock = { text: string; mtimeMs: number; notRegular?: undefined } | {
  notRegular: string;
  isDirectory: boolean;
};

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

/** Reads a lock file without following a link or blocking on a FIFO; undefined when gone. */
export async function readLock(path: string): Promise<FoundLock | undefined> {
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
export function isStale(
  held: { text: string; mtimeMs: number },
  deps: LockFileDeps,
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
export async function unlinkIfHolds(path: string, expected: string): Promise<boolean> {
  const found = await readLock(path);
  if (found?.notRegular !== undefined || found?.text !== expected) return false;
  await rm(path, { force: true });
  return true;
}
