/**
 * @module
 * pup's version line, `0.1.0 (<commit>)`: `pup --version` prints `pup ${VERSION}`.
 *
 * The number is kept in step with package.json (scripts/build.ts refuses to build when they
 * differ). The commit is embedded by scripts/build.ts at build time (`bun build --define
 * PUP_COMMIT=…`), so a binary answers `--version` with no file read and no process: the full
 * 40-hex commit of the checkout it was built from, with `-dirty` when tracked files had
 * changes, or `unknown` when it was built outside git. Run from source (`bun main.ts`,
 * `deno run -A main.ts`), nothing is embedded: pup then reads the checkout's HEAD from the
 * `.git` files beside it (a few small reads, no `git` process; `-dirty` is not known there), and
 * says `unknown` when there is none.
 */

/** The release number, as in package.json. */
export const PACKAGE_VERSION = "0.1.0";

/** Replaced by scripts/build.ts with a string literal; absent when run from source. */
declare const PUP_COMMIT: string | undefined;

const HEX = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

type ReadFile = (path: string, encoding: "utf8") => string;

/**
 * node:fs's readFileSync, fetched only from source: a static `import "node:fs"` costs a
 * compiled binary ~1 ms at every start (measured), and the binary never reads a file here.
 */
function readFileSync(): ReadFile | undefined {
  // deno-lint-ignore no-explicit-any
  const proc = (globalThis as any).process;
  return proc?.getBuiltinModule?.("node:fs")?.readFileSync;
}

let readFile: ReadFile | undefined;

function read(path: string): string | undefined {
  try {
    readFile ??= readFileSync();
    return readFile?.(path, "utf8").trim();
  } catch {
    return undefined;
  }
}

/**
 * The commit HEAD points at in the git checkout holding `dir` (a linked worktree too), read
 * from the files git keeps; undefined when there is none.
 */
export function sourceCommit(dir: string): string | undefined {
  for (let d = dir.replace(/\/+$/, ""); d; d = d.slice(0, d.lastIndexOf("/"))) {
    let gitDir = `${d}/.git`;
    const pointer = read(gitDir);
    if (pointer?.startsWith("gitdir: ")) {
      const target = pointer.slice(8);
      gitDir = target.startsWith("/") ? target : `${d}/${target}`;
    }
    const head = read(`${gitDir}/HEAD`);
    if (head === undefined) continue;
    if (HEX.test(head)) return head;
    if (!head.startsWith("ref: ")) return undefined;
    const ref = head.slice(5);
    const common = read(`${gitDir}/commondir`);
    const commonDir = common === undefined
      ? gitDir
      : common.startsWith("/")
      ? common
      : `${gitDir}/${common}`;
    for (const base of [gitDir, commonDir]) {
      const value = read(`${base}/${ref}`);
      if (value && HEX.test(value)) return value;
    }
    const packed = read(`${commonDir}/packed-refs`) ?? "";
    for (const line of packed.split("\n")) {
      const [hash, name] = line.split(" ");
      if (name === ref && HEX.test(hash)) return hash;
    }
    return undefined;
  }
  return undefined;
}

function commit(): string {
  if (typeof PUP_COMMIT === "string") return PUP_COMMIT;
  const url = import.meta.url;
  if (!url.startsWith("file:")) return "unknown";
  // file:///D:/pup/lib/ → D:/pup (Windows); file:///home/me/pup/lib/ → /home/me/pup.
  const dir = decodeURIComponent(new URL("..", url).pathname).replace(/^\/([A-Za-z]:)/, "$1");
  return sourceCommit(dir) ?? "unknown";
}

/** The commit pup was built from (or, from source, is checked out at), or `unknown`. */
export const COMMIT: string = commit();

/** What `pup --version` prints after `pup `: `0.1.0 (<commit>)`. */
export const VERSION = `${PACKAGE_VERSION} (${COMMIT})`;
