/**
 * @module
 * The command line: find the command among the words, parse its flags with `node:util`
 * parseArgs, run it, and map every failure to a message and an exit code — in one place.
 */
import { parseArgs } from "node:util";
import type { Deps } from "../deps.ts";
import { ExitCode, PupError } from "../errors.ts";
import { COMMANDS } from "./commands.ts";
import { Context, type GlobalOptions } from "./context.ts";
import { commandHelp, groupHelp } from "./help.ts";
import { type CommandSpec, GLOBAL_OPTIONS } from "./spec.ts";

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
        deps.io.out(groupHelp(words));
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
    let parsed;
    try {
      parsed = parseArgs({
        args: rest,
        options: { ...GLOBAL_OPTIONS, ...spec.options },
        allowPositionals: true,
        strict: true,
      });
    } catch (err) {
      throw toPupUsage(err, name);
    }
    if (parsed.values.help) {
      deps.io.out(commandHelp(spec));
      return ExitCode.ok;
    }
    const ctx = new Context(deps, globalsFrom(parsed.values));
    const mod = await spec.load();
    return await mod.run(ctx, {
      values: parsed.values as Record<string, string | boolean | string[] | undefined>,
      positionals: parsed.positionals,
    });
  } catch (err) {
    return report(deps, err);
  }
}
