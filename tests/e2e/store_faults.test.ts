/**
 * @module
 * End to end: a config folder that is full or read-only (a tmpfs in a private mount namespace,
 * so this needs root) gives a clear error, exit 1, and loses nothing stored before: the
 * existing session's files are byte for byte as they were and no temp file is left.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdir, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { startFakeDatadog } from "../fakes/datadog.ts";
import { localEnv, NO_BINARY, PUP_BIN, seedSession, tempDir } from "../helpers.ts";
import { tally } from "../fuzz/tally.ts";

const canMount = process.getuid?.() === 0 &&
  spawnSync("unshare", ["-m", "true"]).status === 0;
const SKIP = NO_BINARY
  ? NO_BINARY
  : !canMount
  ? "needs root and unshare -m (a private tmpfs)"
  : false;

/**
 * Runs pup with its config folder on a fresh 512 KB tmpfs holding a copy of `seed`, made full
 * or read-only first; returns its result and what the folder held afterwards.
 */
function inTmpfs(
  seed: string,
  mode: "full" | "ro",
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string; listing: string; files: string }> {
  const dir = env.PUP_CONFIG_DIR;
  const prepare = mode === "full"
    ? `dd if=/dev/zero of="$D/filler" bs=4k 2>/dev/null || true`
    : `mount -o remount,ro "$D"`;
  const script =
    `set -e; mount -t tmpfs -o size=512k,mode=0700 tmpfs "$D"; cp -p "$S"/* "$D"/; ${prepare}
set +e; "$PUP" "$@" 2>"$S.err"; code=$?
ls -a "$D" | grep -v '^filler$' > "$S.ls"; cat "$D"/tokens_* "$D"/client_* "$D"/sessions.json > "$S.files" 2>/dev/null
exit $code`;
  return new Promise((resolve) => {
    const child = spawn("unshare", ["-m", "sh", "-c", script, "sh", ...args], {
      env: { ...env, D: dir, S: seed, PUP: PUP_BIN, PATH: process.env.PATH ?? "" },
      stdio: "ignore",
    });
    child.on("close", async (code) => {
      resolve({
        code,
        stderr: await readFile(`${seed}.err`, "utf8").catch(() => ""),
        listing: await readFile(`${seed}.ls`, "utf8").catch(() => ""),
        files: await readFile(`${seed}.files`, "utf8").catch(() => ""),
      });
    });
  });
}

/**
 * Runs `args` against a session stored in a full or read-only folder (`org`: the session's,
 * default the default session) and checks the answer: a clear error, exit 1, nothing lost.
 */
async function expectNothingLost(
  mode: "full" | "ro",
  args: string[],
  org?: string,
): Promise<void> {
  const fake = await startFakeDatadog();
  const tmp = await tempDir("pup-e2e-faults-");
  const seed = join(tmp.path, "seed");
  const dir = join(tmp.path, "config");
  try {
    await seedSession(seed, fake.site, fake.issueTokens(), { org });
    await mkdir(dir);
    const before = await Promise.all(
      (await readdir(seed)).filter((f) => /^(tokens_|client_)/.test(f)).sort()
        .map((f) => readFile(join(seed, f), "utf8")),
    );
    const r = await inTmpfs(seed, mode, args, localEnv(fake.site, dir));
    const lost = before.filter((text) => !r.files.includes(text)).length;
    tally({ suite: `e2e/store-faults/${mode}`, inputs: 1, faults: 1, lost });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, mode === "full" ? /ENOSPC|full/ : /EROFS|read-only/, r.stderr);
    assert.doesNotMatch(r.stderr, /unexpected failure|a bug in pup/);
    assert.doesNotMatch(r.listing, /\.(tmp|new|old)\n|\.lock/, `left behind:\n${r.listing}`);
    assert.equal(lost, 0, "a stored file changed");
  } finally {
    await fake.close();
    await tmp.remove();
  }
}

const folder = (mode: "full" | "ro") => mode === "full" ? "full" : "read-only";

for (const mode of ["full", "ro"] as const) {
  test(
    `a ${folder(mode)} config folder: a clear error, exit 1, nothing lost`,
    {
      skip: SKIP,
      timeout: 60_000,
    },
    () => expectNothingLost(mode, ["auth", "login", "--org", "staging", "--timeout", "20"], "prod"),
  );
}

// The other commands that write: a refresh (new tokens to store) and a logout (files to
// remove), in a full and a read-only folder. A clear error, exit 1, and what was stored stays.
for (const mode of ["full", "ro"] as const) {
  for (const args of [["auth", "refresh"], ["auth", "logout"]]) {
    test(
      `${args.join(" ")} in a ${folder(mode)} config folder: a clear error, exit 1, nothing lost`,
      {
        skip: SKIP,
        timeout: 60_000,
      },
      () => expectNothingLost(mode, args),
    );
  }
}
