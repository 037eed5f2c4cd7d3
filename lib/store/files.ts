/**
 * @module
 * pup's config folder (CONTRACT §7): where it is, 0700/0600 modes, atomic writes (temp file
 * in the same folder, fsync, rename) and JSON reads that name the file and the fault.
 */
import { chmodSync, readFileSync, statSync } from "node:fs";
import { chmod, mkdir, open, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { PupError } from "../errors.ts";

/** `$PUP_CONFIG_DIR`, else `$XDG_CONFIG_HOME/pup`, else `~/.config/pup`. */
export function configDir(env: Readonly<Record<string, string | undefined>>, home: string): string {
  if (env.PUP_CONFIG_DIR) return env.PUP_CONFIG_DIR;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, "pup");
  return join(home, ".config", "pup");
}

/** Creates the folder (0700) if needed, and tightens it when it is open to others. */
export async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const s = await stat(dir);
    if ((s.mode & 0o077) !== 0) await chmod(dir, 0o700);
  } catch (err) {
    throw new PupError("storage", `cannot create the config folder ${dir}: ${describe(err)}`, {
      cause: err,
      hint: "set PUP_CONFIG_DIR to a folder you can write",
    });
  }
}

let tmpCounter = 0;

/**
 * Writes `text` to `path` atomically with mode 0600: a reader sees the old or the new
 * content, never a torn file, even if pup is killed mid-write.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  await ensureDir(dir);
  const tmp = `${path}.${Date.now().toString(36)}${(tmpCounter++).toString(36)}${
    Math.random().toString(36).slice(2, 8)
  }.tmp`;
  try {
    const fh = await open(tmp, "wx", 0o600);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await renameOver(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw new PupError("storage", `cannot write ${path}: ${describe(err)}`, { cause: err });
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

/**
 * `rename`, retried briefly where Windows refuses to replace a file another process has open
 * (EPERM/EACCES/EBUSY); POSIX renames over an open file at once.
 */
async function renameOver(from: string, to: string): Promise<void> {
  for (let attempt = 0;; attempt++) {
    try {
      return await rename(from, to);
    } catch (err) {
      const code = (err as { code?: string }).code ?? "";
      if (attempt >= 20 || !["EPERM", "EACCES", "EBUSY"].includes(code)) throw err;
      await new Promise((r) => setTimeout(r, 5 + attempt * 5));
    }
  }
}

/** Removes a file; resolves false when there was none. */
export async function removeFile(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return false;
    throw new PupError("storage", `cannot remove ${path}: ${describe(err)}`, { cause: err });
  }
}

/** Reads a file as text; undefined when it does not exist. Tightens a file open to others. */
export function readTextFile(path: string): Promise<string | undefined> {
  // Synchronous on purpose: each fs/promises call is a round trip through the runtime's
  // thread pool, and `auth status` reads several small files (scripts/bench.ts: 1-3 ms).
  try {
    const text = readFileSync(path, "utf8");
    try {
      const s = statSync(path);
      if ((s.mode & 0o077) !== 0) chmodSync(path, 0o600);
    } catch { /* raced with a delete: the content read is still good */ }
    return Promise.resolve(text);
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return Promise.resolve(undefined);
    return Promise.reject(
      new PupError("storage", `cannot read ${path}: ${describe(err)}`, { cause: err }),
    );
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
): Promise<T | undefined> {
  const text = await readTextFile(path);
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
