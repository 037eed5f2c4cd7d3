/**
 * @module
 * What the leak tests (tests/leak.test.ts, tests/e2e/leak_binary.test.ts) scan besides output.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

/** Every file under `dir` (recursively) but the store's own token and client files. */
export async function filesOutsideStore(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(dir, { recursive: true })) {
    const path = join(dir, String(name));
    if (!(await stat(path)).isFile()) continue;
    if (/^(tokens|client)_[A-Za-z0-9._-]+\.json$/.test(String(name))) continue;
    out.push(path);
  }
  return out;
}
