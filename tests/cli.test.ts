import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { COMMANDS } from "../lib/cli/commands.ts";
import { checkPositionals, checkValues, findCommand, wantsJson } from "../lib/cli/run.ts";
import { firstWord } from "../lib/cli/argv.ts";
import { BUILTIN_COMMANDS, BUILTIN_LAST } from "../lib/cli/builtins.ts";
import { tableFor } from "../lib/cli/table.ts";
import fc from "fast-check";
import { guardText, table } from "../lib/cli/output.ts";
import { safeCell, safeText } from "../lib/text.ts";
import { FAMILY_LOADERS } from "../lib/commands/families/groups.ts";
import { API_COMMANDS } from "../lib/commands/families/index.ts";
import type { CommandSpec } from "../lib/cli/spec.ts";
import type { RunOptions } from "../lib/commands/families/request.ts";
import { assertUsage } from "./assert_usage.ts";
import { PupError } from "../lib/errors.ts";
import { runPup, testDeps } from "./helpers.ts";

test("--version prints the version and exits 0", async () => {
  const r = await runPup(["--version"], testDeps({}));
  assert.equal(r.code, 0);
  assert.equal(r.stdout, "pup 0.0.0-test\n");
});

test("--version after global flags prints the version too, and only with no command", async () => {
  const r = await runPup(["-o", "json", "--version"], testDeps({}));
  assert.equal(r.code, 0);
  assert.equal(r.stdout, "pup 0.0.0-test\n");
  const cmd = await runPup(["auth", "list", "--version"], testDeps({}));
  assert.equal(cmd.code, 2);
  assert.match(cmd.stderr, /--version/);
});

const spec = (positionals: CommandSpec["positionals"]): CommandSpec => ({
  path: ["thing", "get"],
  summary: "",
  options: {},
  positionals,
  load: () => Promise.reject(new Error("not loaded")),
});

const usage = assertUsage;

test("the runner checks positional counts from the table's data", () => {
  const one = spec([{ name: "id", missing: "a thing id, e.g. 42" }]);
  checkPositionals(one, ["42"]);
  usage(() => checkPositionals(one, []), /^'pup thing get' needs a thing id, e.g. 42$/);
  usage(() => checkPositionals(one, ["1", "2"]), /unexpected argument "2".*expected only <id>/);
  usage(
    () => checkPositionals(spec(undefined), ["x"]),
    /^unexpected argument "x" for 'pup thing get'$/,
  );
  const optional = spec([{ name: "id" }, { name: "more", required: false, variadic: true }]);
  checkPositionals(optional, ["1"]);
  checkPositionals(optional, ["1", "2", "3"]);
  usage(() => checkPositionals(optional, []), /needs <id>/);
});

test("integer options reach parse as numbers, checked once by the runner", () => {
  const options = {
    limit: { type: "integer", max: 1000, description: "" },
    offset: { type: "integer", min: 0, description: "" },
  } as const;
  const values: Record<string, unknown> = { limit: "20", offset: "0" };
  checkValues(options, values);
  assert.deepEqual(values, { limit: 20, offset: 0 });
  for (const bad of ["0", "-1", "2.5", "ten", ""]) {
    usage(
      () => checkValues(options, { limit: bad }),
      /invalid --limit .*expected a positive integer/,
    );
  }
  usage(() => checkValues(options, { limit: "1001" }), /expected at most 1000/);
  usage(() => checkValues(options, { offset: "-1" }), /invalid --offset .*at least 0/);
});

test("JSON output is recognised in each spelling, the last one winning", () => {
  assert.ok(wantsJson(["-o", "json"]));
  assert.ok(wantsJson(["--output=json"]));
  assert.ok(wantsJson(["-ojson"]));
  assert.ok(!wantsJson(["-o", "json", "-o", "table"]));
  assert.ok(!wantsJson(["--", "-o", "json"]));
  assert.ok(!wantsJson(["api", "/x"]));
});

test("every converted command parses without I/O: parse is pure", async () => {
  const api = await import("../lib/commands/api.ts");
  assert.deepEqual(api.parse({ values: { method: "get" }, positionals: ["/api/v1/validate"] }), {
    path: "/api/v1/validate",
    method: "GET",
    data: undefined,
    headers: [],
    raw: false,
  });
  // The families' commands (lib/commands/families/) replaced the hand-written ones: their
  // parse is as pure, and the times it keeps are resolved against the clock only by run.
  const { baseRequest } = await import("../lib/commands/families/request.ts");
  const logs = await parseOf(["logs", "query"], { query: " x ", from: "1h" });
  assert.equal(logs.values.query, "x");
  assert.equal(logs.limit, 50);
  const now = Date.UTC(2026, 0, 2, 3, 4, 5);
  assert.deepEqual(baseRequest(logs, now).body?.filter, {
    query: "x",
    from: new Date(now - 3_600_000).toISOString(),
    to: new Date(now).toISOString(),
  });
  const metrics = baseRequest(await parseOf(["metrics", "query"], { query: "q" }), now).query;
  assert.deepEqual([metrics.from, metrics.to], [now / 1000 - 3600, now / 1000]);
  const monitors = await parseOf(["monitors", "list"], { limit: "5", tags: "a, b" });
  assert.equal(monitors.limit, 5);
  assert.deepEqual(baseRequest(monitors, now).query, { monitor_tags: "a,b" });
});

/** The options `parse` of the command at `path` makes of these flags (no positionals). */
async function parseOf(path: string[], values: Record<string, string>) {
  const entry = COMMANDS.find((c) => c.path.join(" ") === path.join(" "));
  assert.ok(entry, path.join(" "));
  const mod = await entry.load();
  assert.ok(mod.parse, `${path.join(" ")} has parse`);
  return mod.parse({ values, positionals: [] }, {}) as RunOptions;
}

test("every command declares its positionals as data", () => {
  for (const c of COMMANDS) assert.ok(Array.isArray(c.positionals), c.path.join(" "));
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
  assert.deepEqual(findCommand(["--org", "x", "auth", "status", "-o", "json"], COMMANDS), {
    words: ["auth", "status"],
    rest: ["--org", "x", "-o", "json"],
  });
  assert.deepEqual(findCommand(["api", "/api/v1/validate", "-X", "GET"], COMMANDS).words, ["api"]);
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

test("report prints a failure as text lines, or as one JSON object, escapes shown inert", async () => {
  const { report } = await import("../lib/cli/report.ts");
  const err = new PupError("api", "request failed: \u001b[2Jgone", {
    hint: "try again",
    status: 503,
  });
  const text = testDeps({});
  assert.equal(report(text, err), 1);
  assert.equal(text.stderr(), "Error: request failed: \\u001b[2Jgone\ntry again\n");
  const json = testDeps({});
  assert.equal(report(json, err, true), 1);
  assert.deepEqual(JSON.parse(json.stderr()), {
    error: {
      code: "api",
      message: "request failed: \\u001b[2Jgone",
      hint: "try again",
      status: 503,
    },
  });
  const bug = testDeps({});
  assert.equal(report(bug, new TypeError("x is undefined"), true), 1);
  assert.equal(JSON.parse(bug.stderr()).error.code, "unexpected");
});

test("the families by first word hold exactly the table's family commands, in its order", async () => {
  const loaded = [];
  for (const [word, load] of Object.entries(FAMILY_LOADERS)) {
    const defs = await load();
    assert.ok(defs.length > 0, word);
    for (const d of defs) assert.equal(d.path[0], word, d.path.join(" "));
    loaded.push(...defs);
  }
  assert.deepEqual(loaded, API_COMMANDS);
  assert.ok(loaded.every((d, i) => d === API_COMMANDS[i]));
  for (const c of [...BUILTIN_COMMANDS, ...BUILTIN_LAST]) {
    assert.ok(!Object.hasOwn(FAMILY_LOADERS, c.path[0]), c.path.join(" "));
  }
});

test("a command line's part of the table finds what the whole table finds", async () => {
  const lines: string[][] = [
    [],
    ["--help"],
    ["nope"],
    ["--", "logs"],
    ["logs"],
    ["logs", "nope", "--all"],
    ["security", "rules"],
    ["-o", "json", "logs", "query", "--query", "*"],
    ["--org", "logs", "auth", "status"],
    ["--verbose", "monitors", "list", "--limit", "5"],
  ];
  for (const c of COMMANDS) lines.push([...c.path, "x", "--flag"], ["-o", "yaml", ...c.path]);
  for (const argv of lines) {
    const part = await tableFor(argv);
    const found = findCommand(argv, part);
    assert.deepEqual(found, findCommand(argv, COMMANDS), argv.join(" "));
    const spec = (t: readonly CommandSpec[]) =>
      t.find((c) => c.path.join(" ") === found.words.join(" "));
    const [a, b] = [spec(part), spec(COMMANDS)];
    assert.equal(a === undefined, b === undefined, argv.join(" "));
    if (a && b) {
      assert.deepEqual(
        { ...a, load: undefined },
        { ...b, load: undefined },
        argv.join(" "),
      );
    }
  }
});

test("pup's own commands build no family's part of the table", async () => {
  for (const argv of [["auth", "status"], ["api", "/api/v1/validate"], ["--version"], []]) {
    assert.deepEqual(await tableFor(argv), [...BUILTIN_COMMANDS, ...BUILTIN_LAST], argv.join(" "));
  }
  assert.equal(firstWord(["-o", "json", "--org", "x", "-v", "logs", "query"]), "logs");
  assert.equal(firstWord(["-o", "json", "--", "logs"]), undefined);
  const logs = await tableFor(["logs", "query"]);
  assert.deepEqual(
    logs.map((c) => c.path.join(" ")).filter((p) => p.startsWith("logs")),
    ["logs query", "logs search", "logs aggregate"],
  );
});

test("completion and auth scopes still see every command", async () => {
  const bash = await runPup(["completion", "bash"], testDeps({}));
  assert.equal(bash.code, 0);
  for (const w of ["aggregate", "signals", "services", "login"]) {
    assert.match(bash.stdout, new RegExp(w));
  }
  const scopes = await runPup(["auth", "scopes", "-o", "json"], testDeps({}));
  assert.equal(scopes.code, 0);
  const listed = JSON.parse(scopes.stdout).commands.map((c: { command: string }) => c.command);
  for (const c of COMMANDS.filter((c) => c.scopes?.length)) {
    assert.ok(listed.includes(c.path.join(" ")), c.path.join(" "));
  }
});

test("the output guard's plain-ASCII shortcut gives what the neutraliser gives", () => {
  const samples = [
    "",
    "plain text\twith tab\nand newline\n",
    "esc \u001b[2J",
    "del \u007f c1 \u0085",
    "bidi \u202e x",
    "zero width \u200b",
    "lone \ud800 surrogate",
    "pair \ud83d\ude00",
    "é ü ß 日本",
    "line sep \u2028",
    "cr \r",
  ];
  for (const s of samples) assert.equal(guardText(s), safeText(s), JSON.stringify(s));
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (s) => guardText(s) === safeText(s)),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(
      fc.array(fc.string({ unit: "binary" }), { minLength: 1, maxLength: 3 }),
      (cells) =>
        table(cells.map((_, i) => `H${i}`), [cells]) ===
          [
              cells.map((_, i) => `H${i}`),
              cells.map(safeCell),
            ].map((r, _, all) =>
              r.map((c, i) => c.padEnd(Math.max(all[0][i].length, all[1][i].length))).join("  ")
                .trimEnd()
            ).join("\n") + "\n",
    ),
    { numRuns: 300 },
  );
});
