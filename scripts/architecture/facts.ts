/**
 * @module
 * Facts read off a file's tokens: its imports (static, `import type`, re-exports, `import()`),
 * its uses of the runtime's globals, and its functions' sizes.
 */
import type { Token } from "./tokens.ts";

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
