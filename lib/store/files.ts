/**
 * @module
 * pup's state files as whole files (CONTRACT §7, issue 9): written atomically, read back as
 * checked JSON, removed. With `config_dir.ts` (the folder check) and `safe_read.ts` (the checked
 * read) it is the one safe way to touch the config folder, so every command gets these
 * guarantees without asking:
 *
 * - **Writes are atomic** (temp file in the same folder, fsync, rename, fsync of the folder): a
 *   reader sees the old content or the new, never a torn file. The temp file is removed on any
 *   failure and, through `held_files.ts`, on SIGINT/SIGTERM/SIGHUP; temp files left by a process
 *   killed with SIGKILL are removed by the next write of that file (`temp_files.ts`).
 * - **Nothing is written through a link**: the temp file is opened `O_NOFOLLOW` and renamed over
 *   the path, so a link there is replaced, never its target; a folder there is refused.
 * - **A malformed JSON file is an error that names it**, never taken for empty (so never
 *   overwritten).
 */
import { constants } from "node:fs";
import { lstat, open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { type Clock, cryptoRandomBytes, systemClock } from "../deps.ts";
import { PupError } from "../errors.ts";
import { describe, ensureDir, type FileDeps, kindOf, O_NOFOLLOW, unsafe } from "./config_dir.ts";
import { holdFile } from "./held_files.ts";
import { readTextFile } from "./safe_read.ts";
import { markWriting, sweepTemps, tempPath } from "./temp_files.ts";

/** Options of {@link writeFileAtomic}: the {@link FileDeps}. */
export type WriteOptions = FileDeps;

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
  const tmp = tempPath(path, pid, random(6));
  const done = markWriting(tmp);
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
    done();
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
