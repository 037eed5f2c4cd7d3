/**
 * @module
 * `pup completion bash|zsh|fish|powershell`: prints a completion script made from the command
 * table (the same `COMMANDS` and `GLOBAL_OPTIONS` that `--help` shows; the runner hands the table
 * in as `ctx.commands` and `ctx.groups`, so this module does not import it), so it never falls
 * behind the commands and flags pup really has. The model of the table is built by
 * `completion_model.ts`, each shell's script by `completion_scripts.ts`.
 */
import type { CommandInput } from "../cli/spec.ts";
import { ExitCode, usageError } from "../errors.ts";
import { type CommandEntry, type Groups, type Shell, SHELLS } from "./completion_model.ts";
import { completionScript } from "./completion_scripts.ts";

/** What `run` needs: somewhere to write, and the command table the runner hands in. */
export interface CompletionContext {
  deps: { io: { out(text: string): void } };
  commands: readonly CommandEntry[];
  groups?: Groups;
}

/** What `pup completion` was asked for. */
export interface CompletionOptions {
  shell: Shell;
}

/**
 * Reads `pup completion <shell>` (pure).
 *
 * @example
 * parse({ values: {}, positionals: ["fish"] }); // { shell: "fish" }
 */
export function parse(input: CommandInput): CompletionOptions {
  const shell = input.positionals[0];
  if (!SHELLS.includes(shell as Shell)) {
    throw usageError(
      `unknown shell "${shell}": expected bash, zsh, fish or powershell`,
      "example: pup completion bash > /etc/bash_completion.d/pup",
    );
  }
  return { shell: shell as Shell };
}

/**
 * Runs `pup completion <shell>`: prints the script.
 *
 * @example
 * await run({ shell: "zsh" }, ctx);
 */
export function run(options: CompletionOptions, ctx: CompletionContext): Promise<number> {
  ctx.deps.io.out(completionScript(options.shell, ctx.commands, ctx.groups));
  return Promise.resolve(ExitCode.ok);
}
