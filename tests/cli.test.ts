import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { COMMANDS } from "../lib/cli/commands.ts";
import { findCommand } from "../lib/cli/run.ts";
import { runPup, testDeps } from "./helpers.ts";

test("--version prints the version and exits 0", async () => {
  const r = await runPup(["--version"], testDeps({}));
  assert.equal(r.code, 0);
  assert.equal(r.stdout, "pup 0.0.0-test\n");
});

test("every command answers --help with its usage and exits 0", async () => {
  for (const c of COMMANDS) {
    const r = await runPup([...c.path, "--help"], testDeps({}));
    assert.equal(r.code, 0, c.path.join(" "));
    assert.ok(r.stdout.includes(`pup ${c.path.join(" ")}`), c.path.join(" "));
    for (const flag of Object.keys(c.options)) assert.ok(r.stdout.includes(`--${flag}`), flag);
  }
});

test("pup and each group list their commands", async () => {
  const top = await runPup([], testDeps({}));
  assert.equal(top.code, 0);
  for (const w of ["auth", "api", "monitors", "logs", "metrics", "completion"]) {
    assert.match(top.stdout, new RegExp(`\\b${w}\\b`));
  }
  const auth = await runPup(["auth", "--help"], testDeps({}));
  for (const w of ["login", "status", "refresh", "logout", "list", "token"]) {
    assert.match(auth.stdout, new RegExp(`\\b${w}\\b`));
  }
});

test("an unknown command or flag is a usage error (exit 2) that says where to look", async () => {
  const a = await runPup(["auth", "lgin"], testDeps({}));
  assert.equal(a.code, 2);
  assert.match(a.stderr, /unknown command "lgin"/);
  const b = await runPup(["auth", "status", "--nope"], testDeps({}));
  assert.equal(b.code, 2);
  assert.match(b.stderr, /--nope/);
  assert.match(b.stderr, /pup auth status --help/);
  const c = await runPup(["auth", "status", "-o", "xml"], testDeps({}));
  assert.equal(c.code, 2);
  assert.match(c.stderr, /table, json or yaml/);
});

test("--site is accepted only by auth login and auth status", async () => {
  const r = await runPup(["auth", "logout", "--site", "datadoghq.eu"], testDeps({}));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--site/);
});

test("global flags may come before the command words", () => {
  assert.deepEqual(findCommand(["--org", "x", "auth", "status", "-o", "json"]), {
    words: ["auth", "status"],
    rest: ["--org", "x", "-o", "json"],
  });
  assert.deepEqual(findCommand(["api", "/api/v1/validate", "-X", "GET"]).words, ["api"]);
});

test("an invalid org name is a usage error", async () => {
  for (const org of [".hidden", "__default__", "a b", "x".repeat(65), "ä"]) {
    const r = await runPup(
      ["auth", "status", "--org", org],
      testDeps({ PUP_CONFIG_DIR: "/nonexistent" }),
    );
    assert.equal(r.code, 2, org);
    assert.match(r.stderr, /invalid org name/);
  }
});

test("the bash completion script is valid bash and completes subcommands and flags", async (t) => {
  if (spawnSync("sh", ["-c", "command -v bash"]).status !== 0) return t.skip("no bash");
  const r = await runPup(["completion", "bash"], testDeps({}));
  assert.equal(r.code, 0);
  const path = `${process.env.TMPDIR ?? "/tmp"}/pup-completion-${Date.now()}.bash`;
  writeFileSync(path, r.stdout);
  const out = spawnSync("bash", [
    "-c",
    `source ${path}; COMP_WORDS=(pup auth lo); COMP_CWORD=2; _pup; echo "\${COMPREPLY[@]}"; ` +
    `COMP_WORDS=(pup auth login --no); COMP_CWORD=3; _pup; echo "\${COMPREPLY[@]}"`,
  ], { encoding: "utf8" });
  assert.equal(out.stdout, "login logout\n--no-browser\n");
});

test("completion for an unknown shell is a usage error", async () => {
  const r = await runPup(["completion", "tcsh"], testDeps({}));
  assert.equal(r.code, 2);
  const zsh = await runPup(["completion", "zsh"], testDeps({}));
  assert.match(zsh.stdout, /^#compdef pup/);
  const fish = await runPup(["completion", "fish"], testDeps({}));
  assert.match(fish.stdout, /complete -c pup/);
});
