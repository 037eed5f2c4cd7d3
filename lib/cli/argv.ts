/**
 * @module
 * Reading the command line: find the command among the words, parse its flags (a fast path
 * for plain command lines, else `node:util` parseArgs), and check what the command table
 * declares as data — positional counts, typed (`integer`) options, the global options.
 */
import { PupError } from "../errors.ts";
import { safeText } from "../text.ts";
import type { GlobalOptions } from "./context.ts";
import { integerFlag } from "./flags.ts";
import { type CommandSpec, type OptionSpec, positionalUsage } from "./spec.ts";

const GLOBAL_VALUE_FLAGS = new Set(["--org", "--output", "-o"]);

/**
 * Splits argv into the command's words and the rest (global flags may come first), finding the
 * words among `commands` (the whole table, or the part of it `argv` can name: lib/cli/table.ts).
 *
 * @example
 * findCommand(["--org", "x", "auth", "status"], COMMANDS); // { words: ["auth", "status"], rest: ["--org", "x"] }
 */
export function findCommand(
  argv: string[],
  commands: readonly CommandSpec[],
): { words: string[]; rest: string[] } {
  const words: string[] = [];
  const rest: string[] = [];
  let skipNext = false;
  let done = false;
  for (const arg of argv) {
    if (skipNext) {
      rest.push(arg);
      skipNext = false;
      continue;
    }
    if (arg === "--") done = true;
    if (arg.startsWith("-") || done) {
      if (GLOBAL_VALUE_FLAGS.has(arg)) skipNext = true;
      rest.push(arg);
      continue;
    }
    const candidate = [...words, arg];
    if (commands.some((c) => candidate.every((w, i) => c.path[i] === w))) words.push(arg);
    else {
      done = true;
      rest.push(arg);
    }
  }
  return { words, rest };
}

/**
 * The word a command's words would start with: the first argument that is neither a flag nor
 * the value of a global flag, before any `--` (as {@link findCommand} reads them).
 *
 * @example
 * firstWord(["-o", "json", "logs", "query"]); // "logs"
 */
export function firstWord(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") return undefined;
    if (!arg.startsWith("-")) return arg;
    if (GLOBAL_VALUE_FLAGS.has(arg)) i++;
  }
  return undefined;
}

type Parsed = { values: Record<string, unknown>; positionals: string[] };

/**
 * What `parseArgs({args, options, allowPositionals: true, strict: true})` returns, for the
 * plain command lines scripts use (`--flag`, `--flag value`, `--flag=value`, `-x`, `-x value`,
 * positionals, `--`); null for anything else — short groups, `-xVALUE`, unknown flags, missing
 * or dash-like values — which then goes to the real parseArgs, errors and all. Loading
 * node:util costs ~2.5 ms of start-up in the compiled binary, more than parsing ever does
 * (scripts/bench.ts).
 */
export function parsePlain(args: string[], options: Record<string, OptionSpec>): Parsed | null {
  const values: Record<string, unknown> = Object.create(null);
  const positionals: string[] = [];
  const own = (name: string) =>
    Object.hasOwn(options, name) && name !== "__proto__" ? options[name] : undefined;
  const store = (name: string, o: OptionSpec, value: string | true) => {
    if (!o.multiple) values[name] = value;
    else ((values[name] ??= []) as (string | true)[]).push(value);
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.length < 2 || arg[0] !== "-") {
      positionals.push(arg);
      continue;
    }
    let name: string;
    let o: OptionSpec | undefined;
    if (arg[1] === "-") {
      const eq = arg.indexOf("=", 3);
      name = arg.slice(2, eq < 0 ? undefined : eq);
      o = own(name);
      if (!o) return null;
      if (eq >= 0) {
        if (o.type !== "string") return null;
        store(name, o, arg.slice(eq + 1));
        continue;
      }
    } else {
      if (arg.length !== 2) return null;
      const entry = Object.entries(options).find(([, spec]) => spec.short === arg[1]);
      if (!entry || entry[0] === "__proto__") return null;
      [name, o] = entry;
    }
    if (o.type === "boolean") {
      store(name, o, true);
      continue;
    }
    const next = args[i + 1];
    if (next === undefined || (next.length > 1 && next[0] === "-")) return null;
    store(name, o, next);
    i++;
  }
  return { values, positionals };
}

/**
 * A parseArgs failure as a usage error naming the command (its text neutralised: it echoes the
 * flag the user typed).
 *
 * @example
 * toPupUsage(new Error("Unknown option '--x'. To specify …"), "auth status");
 * // usage error: unknown option '--x' (in 'pup auth status')
 */
export function toPupUsage(err: unknown, command: string): PupError {
  const msg = (err as Error).message ?? String(err);
  // node:util phrases these as e.g. "Unknown option '--x'. To specify a positional argument…"
  const first = msg.split(". ")[0].replace(/^./, (c) => c.toLowerCase());
  return new PupError("usage", `${safeText(first)} (in 'pup ${command}')`, {
    hint: `run 'pup ${command} --help' for the flags it takes`,
  });
}

const FORMATS = ["table", "json", "yaml"];

/**
 * The global options (CONTRACT §9) of the parsed values; a bad `--output` is a usage error.
 *
 * @example
 * globalsFrom({ output: "json", verbose: true }); // { org: undefined, output: "json", trustSite: false, verbose: true }
 */
export function globalsFrom(values: Record<string, unknown>): GlobalOptions {
  const output = values.output as string | undefined;
  if (output !== undefined && !FORMATS.includes(output)) {
    throw new PupError(
      "usage",
      `invalid --output "${safeText(output)}": expected table, json or yaml`,
    );
  }
  return {
    org: values.org as string | undefined,
    output: output as GlobalOptions["output"],
    trustSite: Boolean(values["trust-site"]),
    verbose: Boolean(values.verbose),
  };
}

/**
 * The options as the argument parsers take them: an `integer` option is a string there, which
 * {@link checkValues} then checks.
 *
 * @example
 * parserOptions({ limit: { type: "integer", description: "" } }).limit.type; // "string"
 */
export function parserOptions(
  options: Record<string, OptionSpec>,
): Record<string, OptionSpec & { type: "string" | "boolean" }> {
  const out: Record<string, OptionSpec & { type: "string" | "boolean" }> = Object.create(null);
  for (const [name, o] of Object.entries(options)) {
    out[name] = { ...o, type: o.type === "integer" ? "string" : o.type };
  }
  return out;
}

/**
 * Checks and converts the values of typed options (`integer`), so that `parse` receives
 * numbers and no command repeats the check.
 *
 * @example
 * const values: Record<string, unknown> = { limit: "20" };
 * checkValues({ limit: { type: "integer", max: 100, description: "" } }, values); // values.limit === 20
 */
export function checkValues(
  options: Record<string, OptionSpec>,
  values: Record<string, unknown>,
): void {
  for (const [name, o] of Object.entries(options)) {
    if (o.type !== "integer" || values[name] === undefined) continue;
    const check = (v: unknown) => integerFlag(name, String(v), { min: o.min, max: o.max });
    values[name] = Array.isArray(values[name])
      ? (values[name] as unknown[]).map(check)
      : check(values[name]);
  }
}

/**
 * Checks the positional arguments against the command's declared {@link PositionalSpec}s, so no
 * command writes its own "unexpected argument" guard.
 *
 * @example
 * checkPositionals(apiSpec, []); // usage error: 'pup api' needs an API path, e.g. /api/v1/validate
 */
export function checkPositionals(spec: CommandSpec, positionals: string[]): void {
  const declared = spec.positionals ?? [];
  const name = spec.path.join(" ");
  const required = declared.filter((p) => p.required !== false).length;
  const variadic = declared.at(-1)?.variadic === true;
  if (positionals.length < required) {
    const missing = declared[positionals.length];
    throw new PupError("usage", `'pup ${name}' needs ${missing.missing ?? `<${missing.name}>`}`, {
      hint: `run 'pup ${name} --help' for the arguments it takes`,
    });
  }
  if (!variadic && positionals.length > declared.length) {
    const extra = positionals[declared.length];
    const expected = declared.length ? `: expected only ${positionalUsage(spec)}` : "";
    throw new PupError(
      "usage",
      `unexpected argument "${safeText(extra)}" for 'pup ${name}'${expected}`,
      { hint: spec.positionalHint ?? `run 'pup ${name} --help' for the arguments it takes` },
    );
  }
}

/**
 * Whether the command line asks for JSON output (`-o json`, `--output json`, `--output=json`;
 * the last one counts), read from the words alone, so that a failure before or during option
 * parsing is reported as JSON too.
 *
 * @example
 * wantsJson(["api", "/x", "-o", "json"]); // true
 */
export function wantsJson(argv: string[]): boolean {
  let format: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") break;
    if (a === "-o" || a === "--output") format = argv[++i];
    else if (a.startsWith("--output=")) format = a.slice("--output=".length);
    else if (a.startsWith("-o") && !a.startsWith("--")) format = a.slice(2);
  }
  return format === "json";
}
