/**
 * A state file read while another process rewrites it (temp file + rename, as every pup write
 * is) must read whole: the rename replaces the file between the reader's lstat and open, which
 * the safe read once refused as "changed while it was read" — one of 32 concurrent `pup auth
 * token` calls with an expired token then exited 1.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { writeFileAtomic } from "../../lib/store/files.ts";
import { readTextFile } from "../../lib/store/safe_read.ts";
import { tempDir } from "../helpers.ts";

const BUN = new URL("../../node_modules/.bin/bun", import.meta.url).pathname;
const WRITER = new URL("../fakes/atomic_writer.ts", import.meta.url).pathname;
const READS = 100_000;
// The reader checks owner and inode as pup does, with this user's id.
const FILES = { uid: process.getuid?.() };

test(
  "a tokens file rewritten by another process is always read whole, never refused",
  { timeout: 120_000 },
  async () => {
    const dir = await tempDir();
    const path = join(dir.path, "tokens_x.json");
    await writeFileAtomic(path, "{}");
    const writer = spawn(BUN, [WRITER, path], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      await new Promise<void>((resolve, reject) => {
        writer.stdout.once("data", () => resolve());
        writer.once("close", (code) => reject(new Error(`the writer exited ${code}`)));
      });
      const failures: string[] = [];
      for (let i = 0; i < READS; i++) {
        try {
          const text = await readTextFile(path, FILES);
          assert.ok(text !== undefined && JSON.parse(text) !== null);
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
      assert.deepEqual(failures.slice(0, 3), [], `${failures.length} of ${READS} reads failed`);
    } finally {
      writer.kill("SIGKILL");
      await dir.remove();
    }
  },
);
