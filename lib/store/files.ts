/**
 * @module
 * The one safe way to touch pup's config folder (CONTRACT §7, issue 9). Every read and write of
 * a state file goes through here, so every command gets these guarantees without asking:
 *
 * - **Nothing is chmod-ed or written through a link.** Each file is `lstat`-ed first and opened
 *   with `O_NOFOLLOW` (where the OS has it); a loose mode is tightened with `fchmod` on the
 *   descriptor of the file itself, never on a path a link could redirect.
 * - **Secret files must be plain and ours.** `tokens_*.json` and `client_*.json` that are links,
 *   FIFOs, folders or another user's files are refused, named, with what to do; the file is left
 *   as it was. `config.yaml` and `sessions.json` may be links (dotfile managers) and are read
 *   through, but never tightened through the link; a write replaces the link, never its target.
 * - **Nothing hangs on a FIFO**: a non-regular file is refused after `lstat`, before any open,
 *   and opens use `O_NONBLOCK`.
 * - **The folder is checked**: one owned by another user is refused for secrets; one of ours that
 *   others can write is tightened to 0700.
 * - **Writes are atomic** (temp file in the same folder, fsync, rename, fsync of the folder). The
 *   temp file is removed on any failure and, through `held_files.ts`, on SIGINT/SIGTERM/SIGHUP;
 *   temp files left by a process killed with SIGKILL are removed by the next write of that file.
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
import { lstat, mkdir, open, readdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { type Clock, cryptoRandomBytes, systemClock } from "../deps.ts";
import { PupError } from "../errors.ts";
import { holdFile, type SignalHooks } from "./held_files.ts";

/** `$PUP_CONFIG_DIR`, else `$XDG_CONFIG_HOME/pup`, else `~/.config/pup`. */
export function configDir(env: Readonly<Record<string, string | undefined>>, home: string): string {
  if (env.PUP_CONFIG_DIR) return env.PUP_CONFIG_DIR;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, "pup");
  return join(home, ".config", "pup");
}

// Where the OS has no such flag (Windows) the constant is undefined: 0 leaves it out.
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

/** Whether `path` names a file that holds secrets (and so must be a plain file of ours). */
export function isSecretFile(path: string): boolean {
  return /^(tokens|client)_.*\.json$/.test(basename(path));
}

/**
 * What the safe file module takes from the outside world. `lib/cli/context.ts` hands all of it
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
function uidOf(files: FileDeps): number {
  return files.uid ?? -1;
}

/** Whether a file's owner is someone else (never without a uid). */
function ownedByOther(s: Stats, uid: number): boolean {
  return uid >= 0 && s.uid !== uid;
}

/** What kind of non-regular file `s` is, for a message. */
function kindOf(s: Stats): string {
  if (s.isSymbolicLink()) return "a symbolic link";
  if (s.isDirectory()) return "a folder";
  if (s.isFIFO()) return "a FIFO (named pipe)";
  if (s.isSocket()) return "a socket";
  if (s.isCharacterDevice() || s.isBlockDevice()) return "a device";
  return "not a regular file";
}

function unsafe(message: string, hint: string): PupError {
  return new PupError("unsafe_file", message, { hint });
}

/**
 * Refuses a config folder another user owns (they could plant or swap any file in it), and
 * tightens one of ours that others can write or read to 0700 (one `stat`, so asked every time).
 */
function checkDir(dir: string, uid: number): void {
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

/** Options of {@link writeFileAtomic}: the {@link FileDeps}. */
export type WriteOptions = FileDeps;

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Temp files this process is writing now (never swept as leftovers). */
const writing = new Set<string>();

/**
 * Writes `text` to `path` atomically with mode 0600: a reader sees the old or the new
 * content, never a torn file, even if pup is killed mid-write. A link at `path` is replaced,
 * never written through.
 *
 * @example
 * await writeFileAtomic(join(dir, "sessions.json"), JSON.stringify(entries));
 */
export async function writeFileAtomic(
  path: string,
  text: string,
  options: WriteOptions = {},
): Promise<void> {
  const dir = dirname(path);
  await ensureDir(dir, options);
  // Without a pid and a liveness test, only this process's own leftovers (pid 0) are swept.
  const pid = options.pid ?? 0;
  await sweepTemps(path, pid, options.processExists ?? (() => true));
  await refuseNonRegularTarget(path);
  const random = options.randomBytes ?? cryptoRandomBytes;
  const tmp = `${path}.${pid}.${hex(random(6))}.tmp`;
  writing.add(tmp);
  const release = holdFile(tmp, { hooks: options.signals });
  try {
    const fh = await open(
      tmp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW,
      0o600,
    );
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await renameOver(tmp, path, options.clock ?? systemClock);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw new PupError("storage", `cannot write ${path}: ${describe(err)}`, {
      cause: err,
      hint: /ENOSPC|EROFS|EACCES|EPERM|EDQUOT/.test(describe(err))
        ? `the config folder ${dir} is full or read-only; nothing stored before was changed`
        : undefined,
    });
  } finally {
    writing.delete(tmp);
    release();
  }
  // Make the rename itself durable; not every platform can fsync a directory.
  try {
    const d = await open(dir, "r");
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch { /* best effort */ }
}

/** A folder (or another thing rename cannot replace cleanly) where the file belongs. */
async function refuseNonRegularTarget(path: string): Promise<void> {
  const s = await lstat(path).catch(() => undefined);
  if (!s || s.isFile() || s.isSymbolicLink()) return;
  throw unsafe(
    `cannot write ${path}: it is ${kindOf(s)}, expected a regular file`,
    "move it aside, then run the command again",
  );
}

/**
 * Removes the temp files of `path` that no live write owns: ones whose pid is dead, or ours but
 * not being written (a SIGKILL-ed process whose pid was reused).
 */
async function sweepTemps(
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

/**
 * `rename`, retried briefly where Windows refuses to replace a file another process has open
 * (EPERM/EACCES/EBUSY); POSIX renames over an open file at once.
 */
async function renameOver(from: string, to: string, clock: Clock): Promise<void> {
  for (let attempt = 0;; attempt++) {
    try {
      return await rename(from, to);
    } catch (err) {
      const code = (err as { code?: string }).code ?? "";
      if (attempt >= 20 || !["EPERM", "EACCES", "EBUSY"].includes(code)) throw err;
      await clock.sleep(5 + attempt * 5);
    }
  }
}

/** Removes a file; resolves false when there was none. A link is removed, not its target. */
export async function removeFile(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return false;
    throw new PupError("storage", `cannot remove ${path}: ${describe(err)}`, { cause: err });
  }
}

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

/**
 * Reads and parses a JSON file, checking its shape with `valid`. A malformed file is an error
 * that names the file and what is wrong; it is never treated as empty (so never overwritten).
 */
export async function readJsonFile<T>(
  path: string,
  what: string,
  valid: (value: unknown) => string | null,
  recovery: string,
  files: FileDeps = {},
): Promise<T | undefined> {
  const text = await readTextFile(path, files);
  if (text === undefined) return undefined;
  if (text.trim() === "") {
    throw new PupError("corrupt_file", `${what} ${path} is empty: expected a JSON document`, {
      hint: recovery,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PupError("corrupt_file", `${what} ${path} is not valid JSON: ${describe(err)}`, {
      hint: recovery,
      cause: err,
    });
  }
  const fault = valid(value);
  if (fault) {
    throw new PupError("corrupt_file", `${what} ${path} is malformed: ${fault}`, {
      hint: recovery,
    });
  }
  return value as T;
}

/** A short description of an error for a message. */
export function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
