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

/** Lines a function may have before the report lists it. */
export const FUNCTION_LINES = 60;
/** Lines a file may have before the report lists it. */
export const FILE_LINES = 300;

// ---------------------------------------------------------------------------------------------
// Tokens

interface Token {
  kind: "word" | "string" | "template" | "regex" | "punct";
  text: string;
  line: number;
}

const REGEX_AFTER_WORDS = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
]);

/** Splits TypeScript source into tokens, leaving out comments and white space. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  // Brace depth of each `${` opened inside a template literal, to know where it closes.
  const templateDepths: number[] = [];
  let braceDepth = 0;
  const n = source.length;
  const regexAllowed = () => {
    const prev = tokens[tokens.length - 1];
    if (!prev) return true;
    if (prev.kind === "word") return REGEX_AFTER_WORDS.has(prev.text);
    if (prev.kind === "punct") return !/^[)\]}]$/.test(prev.text);
    return false;
  };
  const readTemplate = (start: number, startLine: number) => {
    // From just after "`" or "}" up to the closing "`" or the next "${".
    let j = start;
    while (j < n) {
      const c = source[j];
      if (c === "\\") {
        j += 2;
        continue;
      }
      if (c === "\n") line++;
      if (c === "`") {
        tokens.push({ kind: "template", text: source.slice(start, j), line: startLine });
        return j + 1;
      }
      if (c === "$" && source[j + 1] === "{") {
        tokens.push({ kind: "template", text: source.slice(start, j), line: startLine });
        templateDepths.push(braceDepth);
        braceDepth++;
        tokens.push({ kind: "punct", text: "${", line });
        return j + 2;
      }
      j++;
    }
    return n;
  };
  while (i < n) {
    const c = source[i];
    if (c === "\n") {
      line++;
      i++;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") {
      i++;
      continue;
    }
    if (c === "/" && source[i + 1] === "/") {
      while (i < n && source[i] !== "\n") i++;
      continue;
    }
    if (c === "/" && source[i + 1] === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end < 0 ? n : end + 2;
      for (let k = i; k < stop; k++) if (source[k] === "\n") line++;
      i = stop;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && source[j] !== c && source[j] !== "\n") j += source[j] === "\\" ? 2 : 1;
      tokens.push({ kind: "string", text: source.slice(i + 1, j), line });
      i = j + 1;
      continue;
    }
    if (c === "`") {
      i = readTemplate(i + 1, line);
      continue;
    }
    if (
      c === "}" && templateDepths.length &&
      templateDepths[templateDepths.length - 1] === braceDepth - 1
    ) {
      templateDepths.pop();
      braceDepth--;
      tokens.push({ kind: "punct", text: "}", line });
      i = readTemplate(i + 1, line);
      continue;
    }
    if (c === "/" && regexAllowed()) {
      let j = i + 1;
      let inClass = false;
      while (j < n && source[j] !== "\n") {
        const d = source[j];
        if (d === "\\") {
          j += 2;
          continue;
        }
        if (d === "[") inClass = true;
        else if (d === "]") inClass = false;
        else if (d === "/" && !inClass) break;
        j++;
      }
      j++;
      while (j < n && /[a-z]/i.test(source[j])) j++;
      tokens.push({ kind: "regex", text: source.slice(i, j), line });
      i = j;
      continue;
    }
    const word = /^[A-Za-z_$][\w$]*/.exec(source.slice(i, i + 200));
    if (word) {
      tokens.push({ kind: "word", text: word[0], line });
      i += word[0].length;
      continue;
    }
    const num = /^\d[\w.]*/.exec(source.slice(i, i + 100));
    if (num) {
      tokens.push({ kind: "word", text: num[0], line });
      i += num[0].length;
      continue;
    }
    const punct = /^(=>|\.\.\.|\?\.|[{}()[\];,.:=<>!&|?+\-*/%^~@#])/.exec(source.slice(i, i + 3));
    const text = punct ? punct[0] : c;
    if (text === "{") braceDepth++;
    if (text === "}") braceDepth--;
    tokens.push({ kind: "punct", text, line });
    i += text.length;
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Imports and runtime calls

/** One import statement (or `import()`), where it stands. */
export interface ImportRef {
  specifier: string;
  line: number;
  typeOnly: boolean;
  dynamic: boolean;
}

/** The imports of one file. */
export function importsOf(tokens: Token[]): ImportRef[] {
  const out: ImportRef[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.kind !== "word") continue;
    const next = tokens[k + 1];
    if (t.text === "from" && next?.kind === "string") {
      // Walk back to the statement's `import` / `export` to see whether it is type-only.
      let s = k - 1;
      while (s >= 0 && !(tokens[s].kind === "word" && /^(import|export)$/.test(tokens[s].text))) {
        s--;
      }
      const typeOnly = s >= 0 && tokens[s + 1]?.text === "type";
      out.push({ specifier: next.text, line: next.line, typeOnly, dynamic: false });
    } else if (t.text === "import" && next?.kind === "string") {
      out.push({ specifier: next.text, line: next.line, typeOnly: false, dynamic: false });
    } else if (
      t.text === "import" && next?.text === "(" && tokens[k + 2]?.kind === "string" &&
      tokens[k - 1]?.text !== "."
    ) {
      out.push({
        specifier: tokens[k + 2].text,
        line: tokens[k + 2].line,
        typeOnly: false,
        dynamic: true,
      });
    }
  }
  return out;
}

/** Uses of the runtime's globals in one file: `Deno`, `Bun`, `process.` / `process[`. */
export function runtimeCallsOf(tokens: Token[]): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.kind !== "word") continue;
    const prev = tokens[k - 1];
    const next = tokens[k + 1];
    // `import type { X } from` has no runtime globals; a property named `process` of some
    // other object (`a.process`) is not the global, but `globalThis.process` is.
    const afterDot = prev?.text === "." || prev?.text === "?.";
    const viaGlobal = afterDot && tokens[k - 2]?.text === "globalThis";
    // `Deno` and `Bun` name nothing else, so every mention counts: `g.Bun`, `(globalThis).Deno`.
    if (t.text === "Deno" || t.text === "Bun") {
      out.push({
        line: t.line,
        text: next?.text === "." ? `${t.text}.${tokens[k + 2]?.text ?? ""}` : t.text,
      });
    } else if (
      t.text === "process" && (!afterDot || viaGlobal) && (next?.text === "." || next?.text === "[")
    ) {
      out.push({ line: t.line, text: `process${next.text}${tokens[k + 2]?.text ?? ""}` });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Function sizes (for the report)

const CONTROL_WORDS = new Set(["if", "for", "while", "switch", "catch", "with", "function"]);

/** Functions (declarations, methods, arrows with a block body) and their line counts. */
export function functionsOf(tokens: Token[]): { name: string; line: number; lines: number }[] {
  const out: { name: string; line: number; lines: number }[] = [];
  const closeOf = new Map<number, number>();
  const stack: number[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.kind !== "punct") continue;
    if (t.text === "{" || t.text === "${") stack.push(k);
    else if (t.text === "}" && stack.length) closeOf.set(stack.pop()!, k);
  }
  const parenOpen = (close: number): number => {
    let depth = 0;
    for (let k = close; k >= 0; k--) {
      if (tokens[k].text === ")") depth++;
      else if (tokens[k].text === "(") {
        depth--;
        if (depth === 0) return k;
      }
    }
    return -1;
  };
  for (let k = 0; k < tokens.length; k++) {
    if (tokens[k].text !== "{" || tokens[k].kind !== "punct") continue;
    if (tokens[k - 1]?.text === ":") continue; // an object type: `): { a: string } {`
    const end = closeOf.get(k);
    if (end === undefined) continue;
    let name: string | undefined;
    if (tokens[k - 1]?.text === "=>") {
      // `const name = (…) =>` / `name: async (…) =>` / `x => {`
      let p = k - 2;
      if (tokens[p]?.text === ")") p = parenOpen(p) - 1;
      else p = p - 1;
      if (tokens[p]?.text === "async") p--;
      name = (tokens[p]?.text === "=" || tokens[p]?.text === ":") && tokens[p - 1]?.kind === "word"
        ? tokens[p - 1].text
        : "(arrow)";
    } else {
      // `…) {` or `…): Type {`: find the `)` that closes the parameters.
      let p = k - 1;
      if (tokens[p]?.text !== ")") {
        let depth = 0;
        while (p >= 0) {
          const x = tokens[p].text;
          if (x === ">" || x === "]" || x === "}") depth++;
          else if (x === "<" || x === "[" || x === "{") depth--;
          else if (
            ((x === ";" || x === "=" || x === "}") && depth <= 0) ||
            (depth <= 0 && /^(class|interface|implements|extends|type)$/.test(x))
          ) {
            p = -1;
            break;
          } else if (x === ":" && depth === 0 && tokens[p - 1]?.text === ")") {
            p--;
            break;
          }
          p--;
        }
      }
      if (p < 0 || tokens[p]?.text !== ")") continue;
      const open = parenOpen(p);
      let before = tokens[open - 1];
      if (before?.text === ">") {
        // generic parameters: `name<T>(`
        let q = open - 1;
        let depth = 0;
        for (; q >= 0; q--) {
          if (tokens[q].text === ">") depth++;
          else if (tokens[q].text === "<" && --depth === 0) break;
        }
        before = tokens[q - 1];
      }
      if (!before || before.kind !== "word" || CONTROL_WORDS.has(before.text)) {
        if (before?.text !== "function") continue;
        name = "(function)";
      } else {
        name = before.text;
      }
    }
    const lines = tokens[end].line - tokens[k].line + 1;
    out.push({ name, line: tokens[k].line, lines });
  }
  return out;
}

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
  const violations: Violation[] = [];
  const graph = new Map<string, Set<string>>();
  const edgeLine = new Map<string, number>();
  const longFunctions: CheckResult["longFunctions"] = [];
  const longFiles: CheckResult["longFiles"] = [];
  for (const file of files) {
    const source = readFileSync(join(root, file), "utf8");
    const lineCount = source.split("\n").length - (source.endsWith("\n") ? 1 : 0);
    if (file.startsWith("lib/") && lineCount > FILE_LINES) {
      longFiles.push({ file, lines: lineCount });
    }
    const tokens = tokenize(source);
    if (file.startsWith("lib/")) {
      for (const f of functionsOf(tokens)) {
        if (f.lines > FUNCTION_LINES) longFunctions.push({ file, ...f });
      }
    }
    const layer = layerOf(file);
    const inRuntime = file.startsWith("lib/runtime/");
    if (layer === undefined) {
      violations.push({
        kind: "no layer",
        file,
        line: 1,
        message:
          `is in no layer: add its folder to LAYERS in scripts/check_architecture.ts and to ARCHITECTURE.md`,
      });
    }
    const edges = new Set<string>();
    graph.set(file, edges);
    for (const ref of importsOf(tokens)) {
      if (ref.specifier.startsWith("node:")) {
        if (!inRuntime && !PORTABLE_NODE_MODULES.includes(ref.specifier)) {
          violations.push({
            kind: "node module",
            file,
            line: ref.line,
            message: `imports ${ref.specifier}: only lib/runtime/ may (elsewhere: ${
              PORTABLE_NODE_MODULES.join(", ")
            })`,
          });
        }
        continue;
      }
      if (!ref.specifier.startsWith(".")) continue; // an npm package
      const target = relative(root, resolve(root, dirname(file), ref.specifier)).split("\\").join(
        "/",
      );
      if (!known.has(target)) continue;
      edges.add(target);
      if (!edgeLine.has(`${file} ${target}`)) edgeLine.set(`${file} ${target}`, ref.line);
      const to = layerOf(target);
      if (layer === undefined || to === undefined) continue;
      // A leaf imports leaves only, save the types of the runtime services lib/deps.ts bundles.
      const upward = layer === -1
        ? to !== -1 && !(to === 0 && ref.typeOnly)
        : to !== -1 && to > layer;
      if (upward) {
        violations.push({
          kind: "upward import",
          file,
          line: ref.line,
          message: `imports ${target}${ref.typeOnly ? " (type only)" : ""}${
            ref.dynamic ? " (import())" : ""
          }: ${layerName(layer)} may not import ${layerName(to)}`,
        });
      }
    }
    if (!inRuntime) {
      for (const call of runtimeCallsOf(tokens)) {
        violations.push({
          kind: "runtime call",
          file,
          line: call.line,
          message:
            `uses ${call.text}: runtime calls belong in lib/runtime/ (pass them in through Deps)`,
        });
      }
    }
  }
  const cycles = findCycles(graph);
  for (const scc of cycles) {
    const inside = new Set(scc);
    for (const file of scc) {
      for (const target of graph.get(file) ?? []) {
        if (!inside.has(target)) continue;
        violations.push({
          kind: "cycle",
          file,
          line: edgeLine.get(`${file} ${target}`) ?? 1,
          message: `imports ${target}, closing a cycle of ${scc.join(", ")}`,
        });
      }
    }
  }
  violations.sort((a, b) =>
    a.kind.localeCompare(b.kind) || a.file.localeCompare(b.file) || a.line - b.line
  );
  longFunctions.sort((a, b) => b.lines - a.lines);
  longFiles.sort((a, b) => b.lines - a.lines);
  return { files, violations, cycles, longFunctions, longFiles };
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
