/**
 * @module
 * A second pup-like process for tests: rewrites one state file with pup's own atomic write
 * (temp file, fsync, rename) until it is killed, printing `ready` after the first write.
 *
 *   bun tests/fakes/atomic_writer.ts <path>
 */
import { writeFileAtomic } from "../../lib/store/files.ts";

const [path] = process.argv.slice(2);
for (let i = 0;; i++) {
  await writeFileAtomic(path, JSON.stringify({ i }));
  if (i === 0) console.log("ready");
}
