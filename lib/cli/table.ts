/**
 * @module
 * The part of the command table one command line can name. pup's own commands are always in
 * it; an API family's commands only when the line's first word is that family's (its data file
 * is loaded then, and no other). Every command a line can name has that first word, so finding
 * the command in this part finds what the whole table (lib/cli/commands.ts) would: measured,
 * building the whole table cost `pup auth status` ~1.6 ms of start-up (scripts/bench.ts).
 */
import type { CommandSpec } from "./spec.ts";
import { BUILTIN_COMMANDS, BUILTIN_GROUPS, BUILTIN_LAST } from "./builtins.ts";
import { FAMILY_GROUPS, FAMILY_LOADERS } from "../commands/families/groups.ts";
import { specOf } from "../commands/families/specs.ts";
import { firstWord } from "./argv.ts";

/** One-line descriptions of every command group, for help and completion (no family loaded). */
export const GROUPS: Readonly<Record<string, string>> = { ...BUILTIN_GROUPS, ...FAMILY_GROUPS };

/**
 * The commands `argv` can name: pup's own, plus the family its first word names.
 *
 * @example
 * (await tableFor(["logs", "query", "--all"])).map((c) => c.path.join(" "));
 * // ["auth login", …, "api", "logs query", "logs search", "logs aggregate", "completion"]
 */
export async function tableFor(argv: string[]): Promise<CommandSpec[]> {
  const word = firstWord(argv);
  const load = word !== undefined && Object.hasOwn(FAMILY_LOADERS, word)
    ? FAMILY_LOADERS[word]
    : undefined;
  if (!load) return [...BUILTIN_COMMANDS, ...BUILTIN_LAST];
  return [...BUILTIN_COMMANDS, ...(await load()).map(specOf), ...BUILTIN_LAST];
}
