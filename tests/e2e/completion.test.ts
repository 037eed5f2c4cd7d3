/**
 * @module
 * `pup completion bash|zsh|fish|powershell`: parse and run on their own, every command and flag
 * of the table in every script, each script accepted by its shell's parser where that shell is
 * installed (`bash -n`, `zsh -n`, `fish -n`, PowerShell's parser), and bash and fish asked for
 * real completions. The compiled binary prints the same scripts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { COMMANDS, GROUPS } from "../../lib/cli/commands.ts";
import { GLOBAL_OPTIONS } from "../../lib/cli/spec.ts";
import { parse, run } from "../../lib/commands/completion.ts";
import { completionModel, type Shell, SHELLS } from "../../lib/commands/completion_model.ts";
import { completionScript } from "../../lib/commands/completion_scripts.ts";
import { PupError } from "../../lib/errors.ts";
import { NO_BINARY, PUP_BIN, withTempDir } from "../helpers.ts";

const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;

function script(shell: Shell): string {
  let out = "";
  run({ shell }, {
    deps: { io: { out: (t) => void (out += t) } },
    commands: COMMANDS,
    groups: GROUPS,
  });
  return out;
}

test("parse takes exactly the four shells", () => {
  for (const shell of SHELLS) {
    assert.deepEqual(parse({ values: {}, positionals: [shell] }), { shell });
  }
  for (const bad of ["tcsh", "Bash", "", "pwsh"]) {
    assert.throws(
      () => parse({ values: {}, positionals: [bad] }),
      (e: unknown) =>
        e instanceof PupError && e.exitCode === 2 &&
        /^unknown shell ".*": expected bash, zsh, fish or powershell$/.test(e.message),
    );
  }
});

test("every script names every command word and every flag of the table", () => {
  const scripts = Object.fromEntries(SHELLS.map((s) => [s, script(s)]));
  for (const cmd of COMMANDS) {
    const flags = Object.entries({ ...GLOBAL_OPTIONS, ...cmd.options });
    const path = cmd.path.join(" ");
    // bash: the path's case line lists each flag.
    const bashLine = scripts.bash.split("\n").find((l) => l.startsWith(`    '${path}')`));
    assert.ok(bashLine, `bash: a case for "${path}"`);
    const zshLine = scripts.zsh.split("\n").find((l) => l.startsWith(`    '${path}')`));
    assert.ok(zshLine, `zsh: a case for "${path}"`);
    const psLine = scripts.powershell.split("\n").find((l) => l.startsWith(`    '${path}' =`));
    assert.ok(psLine, `powershell: an entry for "${path}"`);
    for (const [name, o] of flags) {
      assert.match(bashLine, new RegExp(`[' ]--${name}[' ]`), `bash ${path} --${name}`);
      assert.ok(zshLine.includes(`'--${name}:`), `zsh ${path} --${name}`);
      assert.ok(psLine.includes(`'--${name}' = `), `powershell ${path} --${name}`);
      assert.ok(
        scripts.fish.includes(`complete -c pup -n '__pup_at ${path}' -l ${name}`),
        `fish ${path} --${name}`,
      );
      if (o.short) {
        assert.match(bashLine, new RegExp(`[' ]-${o.short}[' ]`), `bash ${path} -${o.short}`);
        assert.ok(scripts.fish.includes(`-n '__pup_at ${path}' -s ${o.short}`), `fish -${o.short}`);
      }
    }
    for (let i = 0; i < cmd.path.length; i++) {
      const parent = cmd.path.slice(0, i).join(" ");
      const cond = `__pup_at ${parent}`.trimEnd();
      assert.ok(
        scripts.fish.includes(`complete -c pup -n '${cond}' -a ${cmd.path[i]} `),
        `fish: ${cmd.path[i]} after "${parent}"`,
      );
    }
  }
  const model = completionModel(COMMANDS, GROUPS);
  for (const f of ["--org", "--output", "-o", "--site", "--timeout"]) {
    assert.ok(model.valueFlags.includes(f), f);
  }
  for (const f of ["--verbose", "--help", "--no-browser"]) {
    assert.ok(!model.valueFlags.includes(f), f);
  }
});

test("each script passes its shell's parser (bash -n, zsh -n, fish -n, PowerShell)", async (t) => {
  return await withTempDir((dir) => {
    const parsers: [Shell, string, string[]][] = [
      ["bash", "bash", ["-n"]],
      ["zsh", "zsh", ["-n"]],
      ["fish", "fish", ["-n"]],
    ];
    let ran = 0;
    for (const [shell, program, flags] of parsers) {
      if (!has(program)) {
        t.diagnostic(`${program} is not installed: its script is not parsed`);
        continue;
      }
      const file = join(dir.path, `pup.${shell}`);
      writeFileSync(file, script(shell));
      const r = spawnSync(program, [...flags, file], { encoding: "utf8" });
      assert.equal(r.status, 0, `${program} -n: ${r.stderr}`);
      ran++;
    }
    assert.ok(ran > 0 || !has("bash"), "bash at least is checked where it is installed");
    const pwsh = ["pwsh", "powershell"].find(has);
    if (pwsh) {
      const file = join(dir.path, "pup.ps1");
      writeFileSync(file, script("powershell"));
      const r = spawnSync(pwsh, [
        "-NoProfile",
        "-Command",
        `$e = $null; [System.Management.Automation.Language.Parser]::ParseFile('${file}', [ref]$null, [ref]$e) | Out-Null; if ($e.Count) { $e | % { $_.ToString() }; exit 1 }`,
      ], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stdout + r.stderr);
    }
  }, "pup-completion-");
});

test("bash completes commands, subcommands, flags and values, skipping a flag's value", async (t) => {
  if (!has("bash")) return t.skip("bash is not installed");
  return await withTempDir((dir) => {
    const file = join(dir.path, "pup.bash");
    writeFileSync(file, script("bash"));
    const ask = (...words: string[]) => {
      const arr = words.map((w) => `'${w}'`).join(" ");
      const r = spawnSync("bash", [
        "-c",
        `source '${file}'; COMP_WORDS=(pup ${arr}); COMP_CWORD=${words.length}; _pup; echo "\${COMPREPLY[*]}"`,
      ], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim().split(" ").filter(Boolean).sort();
    };
    assert.deepEqual(ask("au"), ["auth"]);
    assert.deepEqual(ask("auth", "lo"), ["login", "logout"]);
    const words = (list: string[]) => list.filter((w) => !w.startsWith("-"));
    assert.deepEqual(words(ask("completion", "")), ["bash", "fish", "powershell", "zsh"]);
    assert.deepEqual(ask("completion", "p"), ["powershell"]);
    assert.deepEqual(ask("--org", "prod", "monitors", "list", "--li"), ["--limit"]);
    assert.deepEqual(ask("-o", ""), ["json", "table", "yaml"]);
    assert.deepEqual(ask("auth", "login", "--site", "datadoghq.eu", "--no"), ["--no-browser"]);
    assert.deepEqual(ask("--vers"), ["--version"]);
  }, "pup-completion-bash-");
});

test("fish completes the same, with descriptions", async (t) => {
  if (!has("fish")) return t.skip("fish is not installed");
  return await withTempDir((dir) => {
    const file = join(dir.path, "pup.fish");
    writeFileSync(file, script("fish"));
    const ask = (line: string) => {
      const r = spawnSync("fish", ["--no-config", "-c", `source '${file}'; complete -C'${line}'`], {
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir.path },
      });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim().split("\n").map((l) => l.split("\t")[0]).sort();
    };
    assert.deepEqual(ask("pup auth lo"), ["login", "logout"]);
    assert.deepEqual(ask("pup -o "), ["json", "table", "yaml"]);
    assert.deepEqual(ask("pup completion p"), ["powershell"]);
    assert.deepEqual(ask("pup --org prod monitors list --li"), ["--limit"]);
    assert.ok(ask("pup auth status --").includes("--site"));
    assert.ok(!ask("pup auth status --").includes("--no-browser"), "login's flags stay with login");
  }, "pup-completion-fish-");
});

const binSkip = NO_BINARY;

test("the binary prints the same scripts, and a wrong shell is a usage error (exit 2)", {
  skip: binSkip,
}, () => {
  for (const shell of SHELLS) {
    const r = spawnSync(PUP_BIN, ["completion", shell], { encoding: "utf8", env: {} });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, completionScript(shell, COMMANDS, GROUPS), shell);
  }
  const bad = spawnSync(PUP_BIN, ["completion", "tcsh"], { encoding: "utf8", env: {} });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown shell "tcsh": expected bash, zsh, fish or powershell/);
  const none = spawnSync(PUP_BIN, ["completion"], { encoding: "utf8", env: {} });
  assert.equal(none.status, 2);
});
