/**
 * @module
 * How a command is described: its words, options and help. The run function is loaded only
 * when the command runs, so start-up parses arguments without importing any command.
 */
import type { Context } from "./context.ts";

/** One option. */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  description: string;
  /** Shown in help: `--timeout <seconds>`. */
  valueName?: string;
}

/** Parsed input of a command. */
export interface CommandInput {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** A command module: `run(ctx, input)` returns the exit code. */
export interface CommandModule {
  run(ctx: Context, input: CommandInput): Promise<number>;
}

/** A command's description. */
export interface CommandSpec {
  path: string[];
  summary: string;
  description?: string;
  /** Positional arguments in the usage line, e.g. `<path>`. */
  args?: string;
  options: Record<string, OptionSpec>;
  examples?: string[];
  load(): Promise<CommandModule>;
}

/** Options every command takes (CONTRACT §9). */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  org: { type: "string", description: "named org session to use (or DD_ORG)", valueName: "name" },
  output: {
    type: "string",
    short: "o",
    description: "output format: table, json or yaml",
    valueName: "format",
  },
  "trust-site": {
    type: "boolean",
    description: "allow sending credentials to a site that is not Datadog's (or PUP_TRUST_SITE=1)",
  },
  verbose: { type: "boolean", short: "v", description: "print each HTTP request on stderr" },
  help: { type: "boolean", short: "h", description: "show help" },
};
