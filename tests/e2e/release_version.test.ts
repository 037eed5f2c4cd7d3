/**
 * @module
 * `pup --version` says `pup V (<commit>)`: embedded at build time in a binary (and `unknown`
 * when built outside git), read from the checkout's git files when run from source.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { withTempDir } from "../helpers.ts";
import { gitCommit, ROOT } from "../../scripts/build.ts";
import { COMMIT, PACKAGE_VERSION, sourceCommit, VERSION } from "../../lib/version.ts";

const A = "0123456789abcdef0123456789abcdef01234567";
const B = "89abcdef0123456789abcdef0123456789abcdef";
const bun = join(ROOT, "node_modules/.bin/bun");

test("the version number is package.json's", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  assert.equal(PACKAGE_VERSION, pkg.version);
  assert.equal(VERSION, `${PACKAGE_VERSION} (${COMMIT})`);
});

test("from source the commit is the checkout's HEAD", () => {
  assert.equal(COMMIT, gitCommit());
  for (
    const [cmd, args] of [
      [bun, ["main.ts", "--version"]],
      [join(ROOT, "node_modules/.bin/deno"), ["run", "-A", "main.ts", "--version"]],
    ] as const
  ) {
    const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `pup ${PACKAGE_VERSION} (${gitCommit()})\n`);
  }
});

test("sourceCommit reads a detached HEAD, a loose ref, packed-refs and a linked worktree", () =>
  withTempDir((tmp) => {
    const repo = join(tmp.path, "repo");
    const git = join(repo, ".git");
    mkdirSync(join(git, "refs/heads"), { recursive: true });
    mkdirSync(join(repo, "lib"), { recursive: true });

    writeFileSync(join(git, "HEAD"), `${A}\n`);
    assert.equal(sourceCommit(join(repo, "lib")), A);

    writeFileSync(join(git, "HEAD"), "ref: refs/heads/main\n");
    writeFileSync(join(git, "refs/heads/main"), `${B}\n`);
    assert.equal(sourceCommit(join(repo, "lib")), B);

    writeFileSync(join(git, "HEAD"), "ref: refs/heads/packed\n");
    writeFileSync(join(git, "packed-refs"), `# pack-refs with: peeled\n${A} refs/heads/packed\n`);
    assert.equal(sourceCommit(repo), A);

    // A linked worktree: .git is a file naming its git dir, whose commondir holds the refs.
    const wt = join(tmp.path, "wt");
    const wtGit = join(git, "worktrees/wt");
    mkdirSync(wtGit, { recursive: true });
    mkdirSync(wt);
    writeFileSync(join(wt, ".git"), `gitdir: ${wtGit}\n`);
    writeFileSync(join(wtGit, "HEAD"), "ref: refs/heads/main\n");
    writeFileSync(join(wtGit, "commondir"), "../..\n");
    assert.equal(sourceCommit(wt), B);

    writeFileSync(join(git, "HEAD"), "ref: refs/heads/unborn\n");
    assert.equal(sourceCommit(repo), undefined);
    assert.equal(sourceCommit(join(tmp.path, "nowhere")), undefined);
  }, "pup-version-"));

test("a source copy outside git says unknown, and so does a binary built outside git", {
  timeout: 300_000,
}, () =>
  withTempDir((tmp) => {
    const copy = join(tmp.path, "pup");
    const r = spawnSync("sh", ["-c", `mkdir -p "${copy}" && cp -r main.ts lib "${copy}/"`], {
      cwd: ROOT,
    });
    assert.equal(r.status, 0);
    const v = spawnSync(bun, ["main.ts", "--version"], { cwd: copy, encoding: "utf8" });
    assert.equal(v.stdout, `pup ${PACKAGE_VERSION} (unknown)\n`, v.stderr);

    const out = join(tmp.path, "bin/pup");
    const b = spawnSync(bun, ["scripts/build.ts", "--outfile", out], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, PUP_BUILD_COMMIT: "unknown" },
    });
    assert.equal(b.status, 0, b.stderr);
    const bv = spawnSync(out, ["--version"], { encoding: "utf8" });
    assert.equal(bv.stdout, `pup ${PACKAGE_VERSION} (unknown)\n`);

    // GIT_DIR pointing nowhere: git itself finds no repository, as outside a checkout.
    const c = spawnSync(bun, ["scripts/build.ts", "--outfile", out], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, GIT_DIR: join(tmp.path, "no-git") },
    });
    assert.equal(c.status, 0, c.stderr);
    assert.equal(
      spawnSync(out, ["--version"], { encoding: "utf8" }).stdout,
      `pup ${PACKAGE_VERSION} (unknown)\n`,
    );
  }, "pup-version-nogit-"));
