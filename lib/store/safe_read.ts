/**
 * @module
 * The checked read of a file in or beside pup's config folder (CONTRACT §7, issue 9): every read
 * of a state file goes through {@link readTextFile} (tokens and client files) or
 * {@link readSharedText} (config.yaml, sessions.json), so none can be tricked by what sits at the
 * path:
 *
 * - **Secret files must be plain and ours.** `tokens_*.json` and `client_*.json` that are links,
 *   FIFOs, folders or another user's files are refused, named, with what to do; the file is left
 *   as it was, and the folder must be ours (`config_dir.ts`). `config.yaml` and `sessions.json`
 *   may be links (dotfile managers) and are read through, but never tightened through the link.
 * - **Nothing hangs on a FIFO**: a non-regular file is refused after `lstat`, before any open,
 *   and opens use `O_NONBLOCK` (and `O_NOFOLLOW` for a non-link); `fstat` of the open descriptor
 *   must agree with what `lstat` saw.
 * - **Nothing is chmod-ed through a link**: a loose mode is tightened with `fchmod` on the
 *   descriptor of the file itself, only of a non-link file of ours.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  lstatSync,
  openSync,
  readFileSync,
  type Stats,
  statSync,
} from "node:fs";
import { dirname } from "node:path";
import { PupError } from "../errors.ts";
import {
  checkDir,
  describe,
  type FileDeps,
  isSecretFile,
  kindOf,
  O_NOFOLLOW,
  O_NONBLOCK,
  ownedByOther,
  uidOf,
} from "./config_dir.ts";

/**
 * Why a file in or beside the config folder cannot be used. The message names no path (the
 * caller puts it with the file's name and role); `code` is `unsafe_file` for what the file
 * is, `storage` for an error of the OS.
 */
export class ReadFault extends Error {
  readonly code: "unsafe_file" | "storage";
  readonly hint?: string;
  constructor(message: string, options: { code?: "unsafe_file" | "storage"; hint?: string } = {}) {
    super(message);
    this.name = "ReadFault";
    this.code = options.code ?? "unsafe_file";
    this.hint = options.hint;
  }
}

/** How a file is read: as a secret (no link, ours only) or shared (links read through). */
interface ReadPolicy {
  secret: boolean;
  maxBytes?: number;
  uid: number;
}

function osFault(err: unknown): ReadFault {
  return new ReadFault(`cannot read it: ${describe(err)}`, { code: "storage" });
}

function isMissing(err: unknown): boolean {
  return (err as { code?: string }).code === "ENOENT";
}

/**
 * The one checked read (undefined: no file). `lstat` first; a secret that is a link is refused,
 * a shared file's link is followed to a regular file; anything else (FIFO, folder, device) is
 * refused before any open, and the open is non-blocking (and `O_NOFOLLOW` for a non-link), so
 * nothing hangs. `fstat` must agree with what was checked. A loose mode is tightened with
 * `fchmod` on the descriptor, only of a non-link file of ours.
 */
function readChecked(path: string, policy: ReadPolicy): string | undefined {
  // Another pup's atomic write (temp file, rename) can replace the file between the lstat and
  // the open: a regular file renamed over a regular file is not an attack — read it again.
  for (let attempt = 1; attempt < MAX_READ_ATTEMPTS; attempt++) {
    const text = readCheckedOnce(path, policy);
    if (text !== REPLACED) return text;
  }
  const text = readCheckedOnce(path, policy);
  if (text !== REPLACED) return text;
  throw new ReadFault("changed while it was read", { hint: "run the command again" });
}

/** What {@link readOpen} reports for a regular file renamed over between lstat and open. */
const REPLACED: unique symbol = Symbol("replaced");

/** How often a file replaced while it was being read is read again. */
const MAX_READ_ATTEMPTS = 5;

function readCheckedOnce(path: string, policy: ReadPolicy): string | undefined | typeof REPLACED {
  let l: Stats;
  try {
    l = lstatSync(path);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw osFault(err);
  }
  const link = l.isSymbolicLink();
  if (link && policy.secret) {
    throw new ReadFault(
      "is a symbolic link: pup keeps tokens and client secrets only in regular files of its own",
      {
        hint:
          "remove the link (or move the file it points to in its place), then run the command again",
      },
    );
  }
  let target = l;
  if (link) {
    try {
      target = statSync(path);
    } catch (err) {
      if (isMissing(err)) return undefined; // a dangling link
      throw osFault(err);
    }
  }
  if (!target.isFile()) {
    throw new ReadFault(
      `expected a regular file, found ${link ? "a link to " : ""}${kindOf(target)}`,
      {
        hint: link
          ? "point the link at a regular file (or remove it), then run the command again"
          : "move it aside (or delete it), then run the command again",
      },
    );
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | O_NONBLOCK | (link ? 0 : O_NOFOLLOW));
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw osFault(err);
  }
  try {
    return readOpen(fd, target, link, policy);
  } catch (err) {
    throw err instanceof ReadFault ? err : osFault(err);
  } finally {
    closeSync(fd);
  }
}

/** The checks on the open descriptor, then its text. */
function readOpen(
  fd: number,
  checked: Stats,
  link: boolean,
  policy: ReadPolicy,
): string | typeof REPLACED {
  const s = fstatSync(fd);
  // The same file as was checked (where inode numbers are POSIX's; not on Windows).
  const swapped = policy.uid >= 0 && (s.ino !== checked.ino || s.dev !== checked.dev);
  if (swapped && s.isFile() && checked.isFile()) return REPLACED;
  if (!s.isFile() || swapped) {
    throw new ReadFault("changed while it was read", { hint: "run the command again" });
  }
  if (policy.maxBytes !== undefined && s.size > policy.maxBytes) {
    throw new ReadFault(`the file is ${s.size} bytes, more than the ${policy.maxBytes} allowed`);
  }
  const other = ownedByOther(s, policy.uid);
  if (other && policy.secret) {
    throw new ReadFault(
      `is owned by another user (uid ${s.uid}): pup reads secrets only from files of its own`,
      { hint: "delete the file (or move it aside), then run 'pup auth login' again" },
    );
  }
  if (!link && !other && policy.uid >= 0 && (s.mode & 0o077) !== 0) {
    try {
      fchmodSync(fd, 0o600);
    } catch { /* cannot tighten (a read-only file system): reading it is still fine */ }
  }
  return readFileSync(fd, "utf8");
}

/**
 * Reads a state file of pup's as text; undefined when it does not exist. It must be a regular
 * file; a secret file (`tokens_*`, `client_*`) also one of ours, in a folder of ours, and no
 * link. A file open to others is tightened to 0600 on its own descriptor.
 */
export function readTextFile(path: string, files: FileDeps = {}): Promise<string | undefined> {
  // Synchronous on purpose: each fs/promises call is a round trip through the runtime's
  // thread pool, and `auth status` reads several small files (scripts/bench.ts: 1-3 ms).
  try {
    const secret = isSecretFile(path);
    if (secret) checkDir(dirname(path), uidOf(files));
    return Promise.resolve(readChecked(path, { secret, uid: uidOf(files) }));
  } catch (err) {
    if (err instanceof ReadFault) {
      const message = err.code === "storage"
        ? `cannot read ${path}: ${err.message.replace(/^cannot read it: /, "")}`
        : `${path} ${err.message.startsWith("expected") ? "is unusable: " : ""}${err.message}`;
      return Promise.reject(new PupError(err.code, message, { hint: err.hint, cause: err }));
    }
    return Promise.reject(err);
  }
}

/**
 * Reads a file pup does not own the shape of (config.yaml, sessions.json), of at most
 * `maxBytes`; undefined when there is none. A symlink is read through (dotfile managers make
 * them) but never tightened; a FIFO, folder or device is refused at once. Throws a
 * {@link ReadFault} for the caller to name the file in its own error.
 */
export function readSharedText(
  path: string,
  maxBytes: number,
  files: FileDeps = {},
): string | undefined {
  return readChecked(path, { secret: false, maxBytes, uid: uidOf(files) });
}
