import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { checkTree, formatResult, functionsOf, tokenize } from "../scripts/check_architecture.ts";
import { tempDir } from "./helpers.ts";

async function tree(files: Record<string, string>) {
  const dir = await tempDir("pup-arch-");
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir.path, path)), { recursive: true });
    await writeFile(join(dir.path, path), text);
  }
  return dir;
}

/** A tree that keeps every rule. */
const CLEAN = {
  "main.ts": 'import { run } from "./lib/cli/run.ts";\nawait run();\n',
  "lib/errors.ts": "export class PupError extends Error {}\n",
  "lib/runtime/process.ts":
    "export const pid = process.pid;\nexport const isBun = Boolean(globalThis.Bun);\n",
  "lib/store/files.ts":
    'import { readFile } from "node:fs/promises";\nimport { PupError } from "../errors.ts";\nexport { readFile, PupError };\n',
  "lib/auth/login.ts": 'import type { X } from "../store/files.ts";\nexport type Y = X;\n',
  "lib/cli/run.ts":
    '// import { nothing } from "../nowhere.ts" — a comment, not an import\nconst re = /["\'`]/;\nexport async function run() {\n  const m = await import("../commands/x.ts");\n  return re.test(String(m));\n}\n',
  "lib/commands/x.ts":
    'import type { Y } from "../auth/login.ts";\nexport const s = "process.env is text here";\nexport type Z = Y;\n',
};

test("a tree that keeps the rules passes", async () => {
  const dir = await tree(CLEAN);
  try {
    const result = checkTree(dir.path);
    assert.deepEqual(result.violations, []);
    assert.equal(result.files.length, 7);
  } finally {
    await dir.remove();
  }
});

test("the check names each upward import by file and line, type-only ones too", async () => {
  const dir = await tree({
    ...CLEAN,
    "lib/store/select.ts":
      'import { PupError } from "../errors.ts";\nimport type { Context } from "../cli/run.ts";\nexport type C = Context;\nexport { PupError };\n',
  });
  try {
    const { violations } = checkTree(dir.path);
    assert.equal(violations.length, 1);
    assert.deepEqual(
      [violations[0].kind, violations[0].file, violations[0].line],
      ["upward import", "lib/store/select.ts", 2],
    );
    assert.match(
      violations[0].message,
      /imports lib\/cli\/run\.ts \(type only\): store may not import commands\/cli/,
    );
  } finally {
    await dir.remove();
  }
});

test("the check finds an import cycle, even through import() in one layer", async () => {
  const dir = await tree({
    ...CLEAN,
    "lib/commands/x.ts": 'import { run } from "../cli/run.ts";\nexport const x = run;\n',
  });
  try {
    const result = checkTree(dir.path);
    assert.deepEqual(result.cycles, [["lib/cli/run.ts", "lib/commands/x.ts"]]);
    assert.deepEqual(
      result.violations.map((v) => `${v.kind} ${v.file}:${v.line}`),
      ["cycle lib/cli/run.ts:4", "cycle lib/commands/x.ts:1"],
    );
  } finally {
    await dir.remove();
  }
});

test("the check finds runtime calls and process-bound node modules outside lib/runtime/", async () => {
  const dir = await tree({
    ...CLEAN,
    "lib/auth/login.ts":
      'import { spawn } from "node:child_process";\nexport const home = process.env.HOME;\nexport const v = Deno.version;\nexport const b = (globalThis as any).Bun;\nexport { spawn };\n',
  });
  try {
    const { violations } = checkTree(dir.path);
    assert.deepEqual(
      violations.map((v) => `${v.kind} ${v.file}:${v.line}`),
      [
        "node module lib/auth/login.ts:1",
        "runtime call lib/auth/login.ts:2",
        "runtime call lib/auth/login.ts:3",
        "runtime call lib/auth/login.ts:4",
      ],
    );
    const out = formatResult(checkTree(dir.path), false).join("\n");
    assert.match(out, /^lib\/auth\/login\.ts:2: runtime call: uses process\.env/m);
    assert.match(out, /3 runtime calls outside lib\/runtime\//);
  } finally {
    await dir.remove();
  }
});

test("a file in a folder of no layer is reported, so new folders are placed on purpose", async () => {
  const dir = await tree({ ...CLEAN, "lib/misc/thing.ts": "export const a = 1;\n" });
  try {
    const { violations } = checkTree(dir.path);
    assert.deepEqual(violations.map((v) => v.kind), ["no layer"]);
  } finally {
    await dir.remove();
  }
});

test("function sizes are counted from their braces, template literals included", () => {
  const body = Array.from({ length: 70 }, (_, i) => `  const v${i} = \`\${${i}}\`;`).join("\n");
  const source =
    `export function long(a: string): { b: string; c: number } {\n${body}\n  return { b: a, c: 1 };\n}\n` +
    "const short = (x: number) => {\n  return x;\n};\nclass K implements J {\n  m(): void {}\n}\n";
  const fns = functionsOf(tokenize(source));
  assert.deepEqual(fns.map((f) => [f.name, f.lines]), [["long", 73], ["short", 3], ["m", 1]]);
});

test("a shared leaf may import the runtime's types but not its code", async () => {
  const dir = await tree({
    ...CLEAN,
    "lib/deps.ts": 'import type { Pid } from "./runtime/process.ts";\nexport type P = Pid;\n',
    "lib/text.ts": 'import { pid } from "./runtime/process.ts";\nexport const p = pid;\n',
  });
  try {
    const { violations } = checkTree(dir.path);
    assert.deepEqual(violations.map((v) => `${v.kind} ${v.file}:${v.line}`), [
      "upward import lib/text.ts:1",
    ]);
  } finally {
    await dir.remove();
  }
});

test("below lib/cli/ the host process module is not imported (its types may be)", async () => {
  const { checkTree } = await import("../scripts/check_architecture.ts");
  const { mkdtemp, mkdir, writeFile, rm } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const root = await mkdtemp(join(tmpdir(), "pup-arch-"));
  try {
    await mkdir(join(root, "lib/runtime"), { recursive: true });
    await mkdir(join(root, "lib/store"), { recursive: true });
    await mkdir(join(root, "lib/cli"), { recursive: true });
    await writeFile(
      join(root, "lib/runtime/process.ts"),
      "export const pid = 1;\nexport type P = 1;\n",
    );
    await writeFile(
      join(root, "lib/store/a.ts"),
      'import { pid } from "../runtime/process.ts";\nexport const x = pid;\n',
    );
    await writeFile(
      join(root, "lib/store/b.ts"),
      'import type { P } from "../runtime/process.ts";\nexport type Y = P;\n',
    );
    await writeFile(
      join(root, "lib/cli/c.ts"),
      'import { pid } from "../runtime/process.ts";\nexport const z = pid;\n',
    );
    const found = checkTree(root).violations.map((v) => `${v.kind} ${v.file}:${v.line}`);
    assert.deepEqual(found, ["runtime call lib/store/a.ts:1"]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
