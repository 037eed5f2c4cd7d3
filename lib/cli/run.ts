/**
 * @module
 * The command line: find the command among the words, parse its flags with `node:util`
 * parseArgs, run it, and map every failure to a message and an exit code — in one place.
 */
import type { Deps } from "../deps.ts";
import { ExitCode, PupError } from "../errors.ts";
import { COMMANDS } from "./commands.ts";
import { Context, type GlobalOptions } from "./context.ts";
import { safeText } from "../text.ts";
import { type CommandSpec, GLOBAL_OPTIONS, type OptionSpec } from "./spec.ts";

const GLOBAL_VALUE_FLAGS = new Set(["--org", "--output", "-o"]);

/** Splits argv into the command's words and the rest. */
export function findCommand(argv: string[]): { words: string[]; rest: string[] } {
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
    if (COMMANDS.some((c) => candidate.every((w, i) => c.path[i] === w))) words.push(arg);
    else {
      done = true;
      rest.push(arg);
    }
  }
  return { words, rest };
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

function toPupUsage(err: unknown, command: string): PupError {
  const msg = (err as Error).message ?? String(err);
  // node:util phrases these as e.g. "Unknown option '--x'. To specify a positional argument…"
  const first = msg.split(". ")[0].replace(/^./, (c) => c.toLowerCase());
  return new PupError("usage", `${first} (in 'pup ${command}')`, {
    hint: `run 'pup ${command} --help' for the flags it takes`,
  });
}

function globalsFrom(values: Record<string, unknown>): GlobalOptions {
  const output = values.output as string | undefined;
  if (output !== undefined && !["table", "json", "yaml"].includes(output)) {
    throw new PupError("usage", `invalid --output "${output}": expected table, json or yaml`);
  }
  return {
    org: values.org as string | undefined,
    output: output as GlobalOptions["output"],
    trustSite: Boolean(values["trust-site"]),
    verbose: Boolean(values.verbose),
  };
}

/**
 * Checks the positional arguments against the command's declared {@link PositionalSpec}s, so no
 * command writes its own "unexpected argument" guard.
 */
export function checkPositionals(spec: CommandSpec, positionals: string[]): void {
  const declared = spec.positionals ?? [];
  const name = spec.path.join(" ");
  const required = declared.filter((p) => p.required !== false).length;
  const variadic = declared.at(-1)?.variadic === true;
  if (positionals.length < required) {
    const missing = declared[positionals.length];
    throw new PupError("usage", `'pup ${name}' needs <${missing.name}>`, {
      hint: `run 'pup ${name} --help' for the arguments it takes`,
    });
  }
  if (!variadic && positionals.length > declared.length) {
    const extra = positionals[declared.length];
    throw new PupError("usage", `unexpected argument "${safeText(extra)}" for 'pup ${name}'`, {
      hint: spec.positionalHint ?? `run 'pup ${name} --help' for the arguments it takes`,
    });
  }
}

/** Prints a failure the way users see it; returns its exit code. */
export function report(deps: Deps, err: unknown): number {
  if (err instanceof PupError) {
    deps.io.err(`${err.display ?? `Error: ${err.message}`}\n`);
    if (err.display) deps.io.err(`${err.message}\n`);
    if (err.hint) deps.io.err(`${err.hint}\n`);
    return err.exitCode;
  }
  const e = err as Error;
  deps.io.err(`Error: unexpected failure: ${e?.message ?? String(err)}\n`);
  if (deps.env.PUP_DEBUG && e?.stack) deps.io.err(e.stack + "\n");
  deps.io.err("This is a bug in pup; please report it with the command you ran.\n");
  return ExitCode.failure;
}

/** Runs pup with `argv` (without the program name); returns the exit code. */
export async function run(argv: string[], deps: Deps): Promise<number> {
  try {
    if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
      deps.io.out(`pup ${deps.version}\n`);
      return ExitCode.ok;
    }
    const { words, rest } = findCommand(argv);
    const spec: CommandSpec | undefined = COMMANDS.find((c) =>
      c.path.length === words.length && c.path.every((w, i) => w === words[i])
    );
    if (!spec) {
      if (rest.includes("--version") && words.length === 0) {
        deps.io.out(`pup ${deps.version}\n`);
        return ExitCode.ok;
      }
      const wantsHelp = rest.length === 0 || rest.includes("--help") || rest.includes("-h");
      const unknown = rest.find((a) => !a.startsWith("-"));
      if (wantsHelp && !unknown) {
        deps.io.out((await import("./help.ts")).groupHelp(words));
        return ExitCode.ok;
      }
      const where = words.length ? `pup ${words.join(" ")}` : "pup";
      throw new PupError(
        "usage",
        unknown ? `unknown command "${unknown}" for '${where}'` : `'${where}' needs a command`,
        { hint: `run '${where} --help' for the commands it takes` },
      );
    }
    const name = spec.path.join(" ");
    const options = { ...GLOBAL_OPTIONS, ...spec.options };
    let parsed = parsePlain(rest, options);
    if (!parsed) {
      const { parseArgs } = await import("node:util");
      try {
        parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
      } catch (err) {
        throw toPupUsage(err, name);
      }
    }
    if (parsed.values.help) {
      deps.io.out((await import("./help.ts")).commandHelp(spec));
      return ExitCode.ok;
    }
    const globals = globalsFrom(parsed.values);
    const input = {
      values: parsed.values as Record<string, string | boolean | string[] | undefined>,
      positionals: parsed.positionals,
    };
    const mod = await spec.load();
    if (mod.parse) {
      checkPositionals(spec, input.positionals);
      const options = mod.parse(input, deps.env);
      return await mod.run(options, new Context(deps, globals));
    }
    return await mod.run(new Context(deps, globals), input);
  } catch (err) {
    return report(deps, err);
  }
}
