/**
 * @module
 * The whole command table: every command's words, options and help, with its code loaded
 * lazily. Help, completion, `pup auth scopes` and tests read it; a run that names one command
 * loads only its part (lib/cli/table.ts), so start-up does not grow with the API families.
 */
import type { CommandSpec } from "./spec.ts";
import { BUILTIN_COMMANDS, BUILTIN_LAST } from "./builtins.ts";
import { FAMILY_COMMANDS } from "../commands/families/index.ts";

/** Every command. */
export const COMMANDS: CommandSpec[] = [...BUILTIN_COMMANDS, ...FAMILY_COMMANDS, ...BUILTIN_LAST];

export { GROUPS } from "./table.ts";
