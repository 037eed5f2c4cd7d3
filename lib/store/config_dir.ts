/**
 * @module
 * pup's config folder (CONTRACT §7, issue 9): where it is, which of its files hold secrets, and
 * the folder check that every read of a secret and every write goes through. A folder owned by
 * another user is refused for secrets (they could plant or swap any file in it); one of ours that
 * others can write or read is tightened to 0700 — with `fchmod` on the folder's own descriptor,
 * never through a link.
 *
 * It also holds what the safe file modules (`safe_read.ts`, `files.ts`) share: the
 * {@link FileDeps} they take from the outside world, the `O_NOFOLLOW`/`O_NONBLOCK` flags, and how
 * a refusal names what a file is.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  lstatSync,
  openSync,
  type Stats,
  statSync,
} from "node:fs";
import { mkdir } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Clock } from "../deps.ts";
import { PupError } from "../errors.ts";
import type { SignalHooks } from "./held_files.ts";

/** `$PUP_CONFIG_DIR`, else `$XDG_CONFIG_HOME/pup`, else `~/.config/pup`. */
export function configDir(env: Readonly<Record<string, string | undefined>>, home: string): string {
  if (env.PUP_CONFIG_DIR) return env.PUP_CONFIG_DIR;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, "pup");
  return join(home, ".config", "pup");
}

// Where the OS has no such flag (Windows) the constant is undefined: 0 leaves it out.
/** `O_NOFOLLOW`, or 0 where the OS has none. */
export const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
/** `O_NONBLOCK`, or 0 where the OS has none. */
export const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

/** Whether `path` names a file that holds secrets (and so must be a plain file of ours). */
export function isSecretFile(path: string): boolean {
  return /^(tokens|client)_.*\.json$/.test(basename(path));
}

/**
 * What the safe file modules take from the outside world. `lib/cli/context.ts` hands all of it
 * in (`ctx.lockDeps`); tests pass what they need. Without a `uid` (Windows, or a caller that
 * has none) no owner or mode is checked: there is nothing to compare them with.
 */
export interface FileDeps {
  /** This user's id (`deps.host.uid`), for ownership checks and mode tightening. */
  uid?: number;
  /** Timers for the Windows rename retry (default the system clock). */
  clock?: Clock;
  /** Random bytes for the temp file's name (default Web Crypto). */
  randomBytes?: (n: number) => Uint8Array;
  /** This process's id, and whether another is alive (for leftover temp files). */
  pid?: number;
  processExists?: (pid: number) => boolean;
  /** Where signals come from while a temp file is held (none: no handler). */
  signals?: SignalHooks;
}

/** The uid to compare owners with; -1 where there is none. */
export function uidOf(files: FileDeps): number {
  return files.uid ?? -1;
}

/** Whether a file's owner is someone else (never without a uid). */
export function ownedByOther(s: Stats, uid: number): boolean {
  return uid >= 0 && s.uid !== uid;
}

/** What kind of non-regular file `s` is, for a message. */
export function kindOf(s: Stats): string {
  if (s.isSymbolicLink()) return "a symbolic link";
  if (s.isDirectory()) return "a folder";
  if (s.isFIFO()) return "a FIFO (named pipe)";
  if (s.isSocket()) return "a socket";
  if (s.isCharacterDevice() || s.isBlockDevice()) return "a device";
  return "not a regular file";
}

/** An `unsafe_file` error: what a file or folder is that pup will not use, and what to do. */
export function unsafe(message: string, hint: string): PupError {
  return new PupError("unsafe_file", message, { hint });
}

/**
 * Refuses a config folder another user owns (they could plant or swap any file in it), and
 * tightens one of ours that others can write or read to 0700 (one `stat`, so asked every time).
 */
export function checkDir(dir: string, uid: number): void {
  let s: Stats;
  try {
    s = statSync(dir); // a link to the folder is fine: what matters is the folder itself
  } catch {
    return; // not there yet: nothing to read, and ensureDir creates it 0700
  }
  if (!s.isDirectory()) {
    throw unsafe(
      `the config folder ${dir} is ${kindOf(s)}, expected a folder`,
      "set PUP_CONFIG_DIR to a folder of your own",
    );
  }
  if (ownedByOther(s, uid)) {
    throw unsafe(
      `the config folder ${dir} is owned by another user (uid ${s.uid}), who could replace the tokens pup reads from it`,
      "set PUP_CONFIG_DIR to a folder of your own (pup creates it 0700)",
    );
  }
  // Windows (no uid) has ACLs, not modes: its mode bits say nothing about other users.
  if (uid >= 0 && (s.mode & 0o077) !== 0) {
    const link = lstatSync(dir).isSymbolicLink();
    if ((s.mode & 0o022) !== 0 && link) {
      // Never chmod through a link; a folder others can write cannot hold secrets.
      throw unsafe(
        `the config folder ${dir} (a link) can be written by other users (mode ${octal(s.mode)})`,
        `run 'chmod 700' on the folder it points to, or set PUP_CONFIG_DIR to a folder of your own`,
      );
    }
    if (!link) {
      try {
        // Files others planted while it was open are not ours: each file's owner is checked too.
        fchmodDir(dir);
      } catch (err) {
        throw unsafe(
          `the config folder ${dir} is open to other users (mode ${
            octal(s.mode)
          }) and cannot be tightened: ${describe(err)}`,
          `run 'chmod 700 ${dir}', or set PUP_CONFIG_DIR to a folder of your own`,
        );
      }
    }
  }
}

function fchmodDir(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY | O_NOFOLLOW | (constants.O_DIRECTORY ?? 0));
  try {
    fchmodSync(fd, 0o700);
  } finally {
    closeSync(fd);
  }
}

function octal(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, "0");
}

/** Creates the folder (0700) if needed, refuses another user's, tightens one open to others. */
export async function ensureDir(dir: string, files: FileDeps = {}): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new PupError("storage", `cannot create the config folder ${dir}: ${describe(err)}`, {
      cause: err,
      hint: "set PUP_CONFIG_DIR to a folder you can write",
    });
  }
  checkDir(dir, uidOf(files));
}

/** A short description of an error for a message. */
export function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
