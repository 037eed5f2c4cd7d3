/**
 * The safe file modules (lib/store/config_dir.ts, safe_read.ts, files.ts, temp_files.ts; issue
 * 9): links, FIFOs, other users' files and folders, loose modes, atomic writes and the temp files
 * of killed processes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmod, chown, mkdir, readdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tempDir } from "./helpers.ts";
import { PupError } from "../lib/errors.ts";
import { writeFileAtomic } from "../lib/store/files.ts";
import { readTextFile } from "../lib/store/safe_read.ts";
import { FileStateStore } from "../lib/store/file_state_store.ts";

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const OTHER_UID = 65534;
/** This user's id, as `ctx.lockDeps` hands it to the safe file module (`deps.host.uid`). */
const ME = { uid: typeof process.getuid === "function" ? process.getuid() : undefined };

async function withDirs(fn: (dir: string, outside: string) => Promise<void>) {
  const tmp = await tempDir("pup-safe-");
  const dir = join(tmp.path, "config");
  const outside = join(tmp.path, "outside");
  await mkdir(dir, { mode: 0o700 });
  await mkdir(outside);
  try {
    await fn(dir, outside);
  } finally {
    await tmp.remove();
  }
}

async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

function isUnsafe(path: string) {
  return (err: unknown) =>
    err instanceof PupError && err.code === "unsafe_file" && err.exitCode === 1 &&
    err.message.includes(path) && typeof err.hint === "string";
}

test("a tokens file that is a symlink is refused, and its target is neither read nor chmod-ed", async () => {
  await withDirs(async (dir, outside) => {
    const target = join(outside, "victim");
    await writeFile(target, '{"__default__": {}}', { mode: 0o644 });
    await chmod(target, 0o644);
    const path = join(dir, "tokens_datadoghq.com.json");
    await symlink(target, path);
    await assert.rejects(readTextFile(path), isUnsafe(path));
    await assert.rejects(new FileStateStore(dir).read("datadoghq.com"), isUnsafe(path));
    assert.equal(await mode(target), 0o644, "pup chmod-ed a file outside its folder");
    assert.equal(await readFile(target, "utf8"), '{"__default__": {}}');
  });
});

test("a client file that is a symlink is refused with what to do", async () => {
  await withDirs(async (dir, outside) => {
    const target = join(outside, "client");
    await writeFile(target, "{}");
    const path = join(dir, "client_datadoghq.com.json");
    await symlink(target, path);
    await assert.rejects(readTextFile(path), (err: PupError) => {
      assert.ok(isUnsafe(path)(err));
      assert.match(err.message, /symbolic link/);
      assert.match(err.hint!, /remove the link/);
      return true;
    });
  });
});

for (const name of ["sessions.json", "config.yaml"]) {
  test(`${name} may be a symlink: it is read through, and its target is never chmod-ed`, async () => {
    await withDirs(async (dir, outside) => {
      const target = join(outside, name);
      await writeFile(target, "[]");
      await chmod(target, 0o644);
      await symlink(target, join(dir, name));
      assert.equal(await readTextFile(join(dir, name)), "[]");
      assert.equal(await mode(target), 0o644, "pup chmod-ed the link's target");
    });
  });
}

test("writing sessions.json over a symlink replaces the link and never writes its target", async () => {
  await withDirs(async (dir, outside) => {
    const target = join(outside, "sessions.json");
    await writeFile(target, "[]");
    await chmod(target, 0o644);
    await symlink(target, join(dir, "sessions.json"));
    await writeFileAtomic(join(dir, "sessions.json"), '[{"site":"x","org":null}]\n');
    assert.equal(await readFile(target, "utf8"), "[]");
    assert.equal(await mode(target), 0o644);
    assert.equal(await mode(join(dir, "sessions.json")), 0o600);
  });
});

test("a loose tokens file is tightened to 0600 on the file itself", async () => {
  await withDirs(async (dir) => {
    const path = join(dir, "tokens_datadoghq.com.json");
    await writeFile(path, "{}");
    await chmod(path, 0o644);
    assert.equal(await readTextFile(path, ME), "{}");
    assert.equal(await mode(path), 0o600);
  });
});

test(
  "a FIFO where a state file belongs is refused at once, never opened",
  { timeout: 20_000 },
  async () => {
    await withDirs(async (dir) => {
      for (const name of ["tokens_datadoghq.com.json", "sessions.json", "config.yaml"]) {
        const path = join(dir, name);
        execFileSync("mkfifo", [path]);
        await assert.rejects(readTextFile(path), (err: PupError) => {
          assert.ok(isUnsafe(path)(err));
          assert.match(err.message, /FIFO/);
          return true;
        });
      }
    });
  },
);

test("a folder where a tokens file belongs is refused, named", async () => {
  await withDirs(async (dir) => {
    const path = join(dir, "tokens_datadoghq.com.json");
    await mkdir(path);
    await assert.rejects(readTextFile(path), isUnsafe(path));
    await assert.rejects(writeFileAtomic(path, "{}"), isUnsafe(path));
    assert.deepEqual((await readdir(dir)).sort(), ["tokens_datadoghq.com.json"]);
  });
});

test("a tokens file owned by another user is refused and left as it was", {
  skip: isRoot ? false : "needs root to chown",
}, async () => {
  await withDirs(async (dir) => {
    const path = join(dir, "tokens_datadoghq.com.json");
    await writeFile(path, "{}");
    await chmod(path, 0o644);
    await chown(path, OTHER_UID, OTHER_UID);
    await assert.rejects(readTextFile(path, ME), (err: PupError) => {
      assert.ok(isUnsafe(path)(err));
      assert.match(err.message, /another user/);
      return true;
    });
    assert.equal(await mode(path), 0o644);
    assert.equal((await stat(path)).uid, OTHER_UID);
  });
});

test("secrets are not read from a config folder owned by another user", {
  skip: isRoot ? false : "needs root to chown",
}, async () => {
  await withDirs(async (_dir, outside) => {
    const dir = join(outside, "theirs");
    await mkdir(dir, { mode: 0o755 });
    await writeFile(join(dir, "tokens_datadoghq.com.json"), "{}");
    await chown(dir, OTHER_UID, OTHER_UID);
    await assert.rejects(new FileStateStore(dir, ME).read("datadoghq.com"), (err: PupError) => {
      assert.ok(isUnsafe(dir)(err));
      assert.match(err.message, /owned by another user/);
      return true;
    });
  });
});

test("a config folder of ours that others can write is tightened to 0700 before a read", async () => {
  await withDirs(async (_dir, outside) => {
    const dir = join(outside, "loose");
    await mkdir(dir);
    await chmod(dir, 0o777);
    await writeFile(join(dir, "tokens_datadoghq.com.json"), "{}", { mode: 0o600 });
    assert.equal(await readTextFile(join(dir, "tokens_datadoghq.com.json"), ME), "{}");
    assert.equal(await mode(dir), 0o700);
  });
});

test("a write removes the temp files that killed processes left for that file", async () => {
  await withDirs(async (dir) => {
    const path = join(dir, "tokens_datadoghq.com.json");
    const dead = 4_000_000;
    const left = [1, 2, 3].map((i) => `tokens_datadoghq.com.json.${dead + i}.abcdef0${i}.tmp`);
    const alive = `tokens_datadoghq.com.json.77.abcdef99.tmp`;
    const other = "client_datadoghq.com.json.4000009.abcdef00.tmp";
    for (const f of [...left, alive, other]) await writeFile(join(dir, f), "partial");
    await writeFileAtomic(path, "{}", { pid: 12, processExists: (pid) => pid === 77 });
    assert.deepEqual(
      (await readdir(dir)).sort(),
      [other, alive, "tokens_datadoghq.com.json"].sort(),
    );
  });
});

test("a failed write leaves no temp file and the old content in place", async () => {
  await withDirs(async (dir) => {
    const path = join(dir, "sessions.json");
    await writeFile(path, "[]", { mode: 0o600 });
    // A rename onto a non-empty folder fails after the temp file is written.
    const blocked = join(dir, "tokens_x.json");
    await mkdir(join(blocked));
    await writeFile(join(blocked, "inside"), "x");
    await assert.rejects(writeFileAtomic(blocked, "{}"));
    assert.deepEqual((await readdir(dir)).sort(), ["sessions.json", "tokens_x.json"]);
    assert.equal(await readFile(path, "utf8"), "[]");
  });
});

test("without a uid (Windows, no owner to compare) modes are left alone", async () => {
  await withDirs(async (dir) => {
    const path = join(dir, "tokens_datadoghq.com.json");
    await writeFile(path, "{}");
    await chmod(path, 0o644);
    assert.equal(await readTextFile(path, {}), "{}");
    assert.equal(await mode(path), 0o644);
  });
});

test("config.yaml and sessions.json are read through the same module: a link is read, never tightened; a secret link is refused", async () => {
  const { readSharedText, ReadFault } = await import("../lib/store/safe_read.ts");
  await withDirs(async (dir, outside) => {
    const target = join(outside, "real.yaml");
    await writeFile(target, "org: prod\n");
    await chmod(target, 0o644);
    await symlink(target, join(dir, "config.yaml"));
    assert.equal(readSharedText(join(dir, "config.yaml"), 1000, ME), "org: prod\n");
    assert.equal(await mode(target), 0o644);
    await symlink(target, join(dir, "tokens_datadoghq.com.json"));
    await assert.rejects(readTextFile(join(dir, "tokens_datadoghq.com.json"), ME), /symbolic link/);
    assert.throws(() => readSharedText(join(dir, "config.yaml"), 4, ME), ReadFault);
    execFileSync("mkfifo", [join(dir, "sessions.json")]);
    assert.throws(
      () => readSharedText(join(dir, "sessions.json"), 1000, ME),
      /expected a regular file, found a FIFO/,
    );
  });
});
