/**
 * @module
 * A small tokenizer for TypeScript source, enough to read imports and shapes: comments and
 * white space are dropped; strings, template literals (with their `${…}` parts) and regular
 * expressions are told apart from code, so a quote inside a regex or an import inside a
 * comment is not taken for code.
 */

/** One token and the line it starts on. */
export interface Token {
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
