/**
 * @module
 * Reading a small file pup does not own the shape of (config.yaml, sessions.json) without
 * ever blocking or following a swap: `lstat` first, then a non-blocking open and `fstat` on the
 * descriptor, so a FIFO, a folder or a device is refused instead of read (a FIFO would block
 * the read, and the whole process, forever). Symlinks are read through (dotfile managers make
 * them) but never chmod-ed: a loose mode is tightened with `fchmod` only on a file that lstat
 * and fstat agree is the same non-link file. The store's own safe file module (issue 9) is the
 * place for this once it exists; until then config and sessions share this one.
 */
import {
  closeSync,
  constants as fsConstants,
  fchmodSync,
  fstatSync,
  lstatSync,
  openSync,
  readFileSync,
  type Stats,
} from "node:fs";
import { describe } from "../store/files.ts";

/** Why a file could not be read, for the caller to put in its own error. */
export class ReadFault extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReadFault";
  }
}

/** What kind of thing `s` is, for messages ("a FIFO", "a folder" …). */
export function fileKind(s: Stats): string {
  if (s.isDirectory()) return "a folder";
  if (s.isFIFO()) return "a FIFO";
  if (s.isSocket()) return "a socket";
  if (s.isCharacterDevice() || s.isBlockDevice()) return "a device";
  return "a special file";
}

/**
 * The text of the regular file at `path`; undefined when there is none. Throws a
 * {@link ReadFault} (message lower-case, no path: the caller names the file) otherwise.
 */
export function readRegularText(path: string, maxBytes: number): string | undefined {
  let link: Stats;
  try {
    link = lstatSync(path);
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return undefined;
    throw new ReadFault(`cannot read it: ${describe(err)}`);
  }
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return undefined;
    throw new ReadFault(`cannot read it: ${describe(err)}`);
  }
  try {
    const s = fstatSync(fd);
    if (!s.isFile()) throw new ReadFault(`expected a regular file, found ${fileKind(s)}`);
    if (s.size > maxBytes) {
      throw new ReadFault(`the file is ${s.size} bytes, more than the ${maxBytes} allowed`);
    }
    const text = readFileSync(fd, "utf8");
    const same = !link.isSymbolicLink() && link.ino === s.ino && link.dev === s.dev;
    if (same && (s.mode & 0o077) !== 0) {
      try {
        fchmodSync(fd, 0o600);
      } catch { /* not ours to tighten (another owner): reading it is still fine */ }
    }
    return text;
  } catch (err) {
    if (err instanceof ReadFault) throw err;
    throw new ReadFault(`cannot read it: ${describe(err)}`);
  } finally {
    closeSync(fd);
  }
}
