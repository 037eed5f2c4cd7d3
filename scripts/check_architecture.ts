/**
 * @module
 * Checks the layer rules of ARCHITECTURE.md on `main.ts` and `lib/**\/*.ts`, from their import
 * statements (static, `import type`, re-exports and `import()` alike):
 *
 * - **no upward import**: a file imports only its own layer, a lower one, or a shared leaf
 *   (see {@link LAYERS});
 * - **no import cycle** between files;
 * - **no runtime call outside `lib/runtime/`**: no `Deno`, `Bun` or `process.` (nor
 *   `node:process`), and of the `node:` modules only {@link PORTABLE_NODE_MODULES}.
 *
 * Exits 1 listing each offence as `file:line`, else 0. `--report` adds figures that are not
 * checked: functions over 60 lines and files over 300 lines in `lib/`.
 *
 *     node_modules/.bin/bun scripts/check_architecture.ts [--report] [--root DIR]
 *     node_modules/.bin/deno run --allow-read scripts/check_architecture.ts [--report]
 *
 * It reads the code as text with a small tokenizer (comments, strings, template literals and
 * regular expressions are told apart, so a quote inside a regex or an import inside a comment
 * is not taken for code), and it runs nothing.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import process from "node:process";
import { functionsOf, importsOf, runtimeCallsOf } from "./architecture/facts.ts";
import { tokenize } from "./architecture/tokens.ts";

export { functionsOf, importsOf, runtimeCallsOf } from "./architecture/facts.ts";
export { tokenize } from "./architecture/tokens.ts";

/**
 * The layers, lowest first. A file may import its own layer and any lower one; `cli` and
 * `commands` are one layer (the table loads commands, commands use the table's types and
 * output), and file cycles between them are still refused.
 */
export const LAYERS: { name: string; folders: string[] }[] = [
  { name: "runtime", folders: ["lib/runtime"] },
  { name: "store", folders: ["lib/store"] },
  { name: "auth", folders: ["lib/auth"] },
  { name: "session", folders: ["lib/session"] },
  { name: "api", folders: ["lib/api"] },
  { name: "commands/cli", folders: ["lib/commands", "lib/cli"] },
  { name: "main", folders: ["main.ts"] },
];

/**
 * Files every layer may import; they import only each other (and, type-only, `lib/runtime/`:
 * `Deps` describes the runtime's services).
 */
export const SHARED_LEAVES = ["lib/deps.ts", "lib/errors.ts", "lib/text.ts", "lib/version.ts"];

/**
 * `node:` modules that behave the same on Bun and Deno and hold no process state, so code
 * outside `lib/runtime/` may use them directly (ARCHITECTURE.md says why).
 */
export const PORTABLE_NODE_MODULES = [
  "node:fs",
  "node:fs/promises",
  "node:path",
  "node:util",
  "node:buffer",
];

/**
 * The host process itself (signals, exit, pid, streams). Layers below `commands/cli` reach it
 * only through `Deps` (and `ctx.lockDeps`), so importing its code there counts as a runtime
 * call; its types may be imported anywhere.
 */
export const PROCESS_MODULE = "lib/runtime/process.ts";

/** Lines a function may have before the report lists it. */
export const FUNCTION_LINES = 60;
/** Lines a file may have before the report lists it. */
export const FILE_LINES = 300;

// ---------------------------------------------------------------------------------------------
// The tree

/** One offence against the rules. */
export interface Violation {
  kind: "upward import" | "cycle" | "runtime call" | "node module" | "no layer";
  file: string;
  line: number;
  message: string;
}

/** What a check found. */
export interface CheckResult {
  files: string[];
  violations: Violation[];
  cycles: string[][];
  longFunctions: { file: string; line: number; name: string; lines: number }[];
  longFiles: { file: string; lines: number }[];
}

function listFiles(root: string): string[] {
  const out: string[] = [];
  if (existsSync(join(root, "main.ts"))) out.push("main.ts");
  const walk = (dir: string) => {
    if (!existsSync(join(root, dir))) return;
    for (const entry of readdirSync(join(root, dir)).sort()) {
      const rel = `${dir}/${entry}`;
      if (statSync(join(root, rel)).isDirectory()) walk(rel);
      else if (entry.endsWith(".ts") && !entry.endsWith(".d.ts")) out.push(rel);
    }
  };
  walk("lib");
  return out;
}

/** The layer index of a file (-1: a shared leaf; undefined: in no layer). */
export function layerOf(file: string): number | undefined {
  if (SHARED_LEAVES.includes(file)) return -1;
  const i = LAYERS.findIndex((l) => l.folders.some((f) => file === f || file.startsWith(f + "/")));
  return i < 0 ? undefined : i;
}

function layerName(i: number): string {
  return i === -1 ? "shared leaf" : LAYERS[i].name;
}

/** Strongly connected components of more than one file (or a file importing itself). */
function findCycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const strong = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || graph.get(v)?.has(v)) out.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) strong(v);
  return out;
}

/** The edges and violations of one file. */
function checkFile(root: string, file: string, known: Set<string>, result: CheckResult) {
  const source = readFileSync(join(root, file), "utf8");
  const lineCount = source.split("\n").length - (source.endsWith("\n") ? 1 : 0);
  const tokens = tokenize(source);
  if (file.startsWith("lib/")) {
    if (lineCount > FILE_LINES) result.longFiles.push({ file, lines: lineCount });
    for (const f of functionsOf(tokens)) {
      if (f.lines > FUNCTION_LINES) result.longFunctions.push({ file, ...f });
    }
  }
  const layer = layerOf(file);
  const inRuntime = file.startsWith("lib/runtime/");
  const flag = (kind: Violation["kind"], line: number, message: string) =>
    result.violations.push({ kind, file, line, message });
  if (layer === undefined) {
    flag(
      "no layer",
      1,
      "is in no layer: add its folder to LAYERS in scripts/check_architecture.ts and to ARCHITECTURE.md",
    );
  }
  const edges = new Map<string, number>();
  for (const ref of importsOf(tokens)) {
    if (ref.specifier.startsWith("node:")) {
      if (!inRuntime && !PORTABLE_NODE_MODULES.includes(ref.specifier)) {
        const allowed = PORTABLE_NODE_MODULES.join(", ");
        flag(
          "node module",
          ref.line,
          `imports ${ref.specifier}: only lib/runtime/ may (elsewhere: ${allowed})`,
        );
      }
      continue;
    }
    if (!ref.specifier.startsWith(".")) continue; // an npm package
    const target = relative(root, resolve(root, dirname(file), ref.specifier)).split("\\").join(
      "/",
    );
    if (!known.has(target)) continue;
    if (!edges.has(target)) edges.set(target, ref.line);
    const to = layerOf(target);
    if (layer === undefined || to === undefined) continue;
    const cli = LAYERS.findIndex((l) => l.name === "commands/cli");
    if (target === PROCESS_MODULE && !ref.typeOnly && !inRuntime && layer >= 0 && layer < cli) {
      flag(
        "runtime call",
        ref.line,
        `imports ${target}: below lib/cli/ the process is reached through Deps (ctx.lockDeps for signals)`,
      );
    }
    // A leaf imports leaves only, save the types of the runtime services lib/deps.ts bundles.
    const upward = layer === -1
      ? to !== -1 && !(to === 0 && ref.typeOnly)
      : to !== -1 && to > layer;
    if (upward) {
      const how = `${ref.typeOnly ? " (type only)" : ""}${ref.dynamic ? " (import())" : ""}`;
      flag(
        "upward import",
        ref.line,
        `imports ${target}${how}: ${layerName(layer)} may not import ${layerName(to)}`,
      );
    }
  }
  if (!inRuntime) {
    for (const call of runtimeCallsOf(tokens)) {
      flag(
        "runtime call",
        call.line,
        `uses ${call.text}: runtime calls belong in lib/runtime/ (pass them in through Deps)`,
      );
    }
  }
  return edges;
}

/**
 * Checks the tree under `root` (the folder holding `main.ts` and `lib/`).
 *
 * @example
 * const { violations } = checkTree(".");
 * if (violations.length) console.log(violations.map((v) => `${v.file}:${v.line} ${v.message}`));
 */
export function checkTree(root: string): CheckResult {
  const files = listFiles(root);
  const known = new Set(files);
  const result: CheckResult = {
    files,
    violations: [],
    cycles: [],
    longFunctions: [],
    longFiles: [],
  };
  const edges = new Map<string, Map<string, number>>();
  for (const file of files) edges.set(file, checkFile(root, file, known, result));
  const graph = new Map([...edges].map(([file, to]) => [file, new Set(to.keys())]));
  result.cycles = findCycles(graph);
  for (const scc of result.cycles) {
    for (const file of scc) {
      for (const [target, line] of edges.get(file)!) {
        if (!scc.includes(target)) continue;
        const message = `imports ${target}, closing a cycle of ${scc.join(", ")}`;
        result.violations.push({ kind: "cycle", file, line, message });
      }
    }
  }
  result.violations.sort((a, b) =>
    a.kind.localeCompare(b.kind) || a.file.localeCompare(b.file) || a.line - b.line
  );
  result.longFunctions.sort((a, b) => b.lines - a.lines);
  result.longFiles.sort((a, b) => b.lines - a.lines);
  return result;
}

/** The lines the command prints for a result. */
export function formatResult(result: CheckResult, withReport: boolean): string[] {
  const lines = result.violations.map((v) => `${v.file}:${v.line}: ${v.kind}: ${v.message}`);
  const count = (kind: Violation["kind"]) =>
    result.violations.filter((v) => v.kind === kind).length;
  if (withReport) {
    lines.push(
      "",
      `report (not checked): ${result.longFunctions.length} functions over ${FUNCTION_LINES} lines in lib/`,
      ...result.longFunctions.map((f) => `  ${f.file}:${f.line} ${f.name} ${f.lines} lines`),
      `report (not checked): ${result.longFiles.length} files over ${FILE_LINES} lines in lib/`,
      ...result.longFiles.map((f) => `  ${f.file} ${f.lines} lines`),
    );
  }
  lines.push(
    "",
    `${result.files.length} files: ${
      count("upward import")
    } upward imports, ${result.cycles.length} cycles ` +
      `(${count("cycle")} imports in them), ${
        count("runtime call")
      } runtime calls outside lib/runtime/, ` +
      `${count("node module")} node: imports outside lib/runtime/, ${
        count("no layer")
      } files in no layer`,
  );
  return lines;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const at = args.indexOf("--root");
  const root = at >= 0 ? args[at + 1] : ".";
  const result = checkTree(root);
  console.log(formatResult(result, args.includes("--report")).join("\n"));
  process.exitCode = result.violations.length ? 1 : 0;
}
