/**
 * @module
 * The command line: find the command among the words, parse its flags, run it, and map every
 * failure to a message and an exit code — in one place.
 */
import type { Deps } from "../deps.ts";
import { ExitCode, PupError } from "../errors.ts";
import { safeText } from "../text.ts";
import {
  checkPositionals,
  checkValues,
  findCommand,
  globalsFrom,
  parsePlain,
  parserOptions,
  toPupUsage,
  wantsJson,
} from "./argv.ts";
import { Context } from "./context.ts";
import { guardOutput } from "./output.ts";
import { report } from "./report.ts";
import { GROUPS, tableFor } from "./table.ts";
import { type CommandInput, type CommandSpec, GLOBAL_OPTIONS } from "./spec.ts";

export { checkPositionals, checkValues, findCommand, parsePlain, wantsJson } from "./argv.ts";
export { report } from "./report.ts";

function isVersionFlag(arg: string): boolean {
  return arg === "--version" || arg === "-V";
}

/** Runs pup with `argv` (without the program name); returns the exit code. */
export async function run(argv: string[], deps: Deps): Promise<number> {
  // One output path (issue 9): every write of every command, warning and failure is
  // neutralised; pup's own control sequences pass only as lib/text.ts `Control`s.
  deps = { ...deps, io: guardOutput(deps.io) };
  try {
    return await dispatch(argv, deps);
  } catch (err) {
    return report(deps, err, wantsJson(argv));
  }
}

async function dispatch(argv: string[], deps: Deps): Promise<number> {
  // Only the part of the table this line can name is built: pup's own commands and the family
  // of its first word. Help, and a command that lists commands (`table`), get the whole table.
  const commands = await tableFor(argv);
  const { words, rest } = findCommand(argv, commands);
  const spec: CommandSpec | undefined = commands.find((c) =>
    c.path.length === words.length && c.path.every((w, i) => w === words[i])
  );
  if (!spec) {
    // The one place `--version` is answered (main.ts answers a lone `pup --version` the same
    // way before loading this module, for start-up time).
    if (words.length === 0 && rest.some(isVersionFlag)) {
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
      unknown
        ? `unknown command "${safeText(unknown)}" for '${where}'`
        : `'${where}' needs a command`,
      { hint: `run '${where} --help' for the commands it takes` },
    );
  }
  const name = spec.path.join(" ");
  const options = { ...GLOBAL_OPTIONS, ...spec.options };
  const forParser = parserOptions(options);
  let parsed = parsePlain(rest, forParser);
  if (!parsed) {
    const { parseArgs } = await import("node:util");
    try {
      parsed = parseArgs({ args: rest, options: forParser, allowPositionals: true, strict: true });
    } catch (err) {
      throw toPupUsage(err, name);
    }
  }
  if (parsed.values.help) {
    deps.io.out((await import("./help.ts")).commandHelp(spec));
    return ExitCode.ok;
  }
  const globals = globalsFrom(parsed.values);
  const mod = await spec.load();
  const table = spec.table ? (await import("./commands.ts")).COMMANDS : commands;
  const ctx = new Context(deps, globals, { commands: table, groups: GROUPS });
  if (mod.parse) checkPositionals(spec, parsed.positionals);
  checkValues(options, parsed.values);
  if (mod.parse) {
    const input = parsed as CommandInput;
    return await mod.run(mod.parse(input, deps.env), ctx);
  }
  return await mod.run(ctx, parsed as CommandInput);
}
