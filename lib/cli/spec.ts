/**
 * @module
 * How a command is described: its words, options and help. The run function is loaded only
 * when the command runs, so start-up parses arguments without importing any command.
 */
import type { Context } from "./context.ts";

/**
 * One option. `integer` is a string on the command line that the runner checks (digits only,
 * within `min`, default 1, and `max`) and hands to `parse` as a number, so no command writes
 * its own `--limit` check.
 */
export interface OptionSpec {
  type: "string" | "boolean" | "integer";
  short?: string;
  /** For `integer`: the smallest value accepted (default 1). */
  min?: number;
  /** For `integer`: the largest value accepted. */
  max?: number;
  multiple?: boolean;
  description: string;
  /** Shown in help: `--timeout <seconds>`. */
  valueName?: string;
}

/** Parsed input of a command. */
export interface CommandInput {
  /** Flag values: strings, booleans, lists (`multiple`) and numbers (`integer`). */
  values: Record<string, string | boolean | string[] | number | undefined>;
  positionals: string[];
}

/** The environment a command's `parse` may read (CONTRACT §10 variables and the like). */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * A command in the parse + run shape (the GitHub CLI's `NewCmdX` / `xRun(opts)`):
 * `parse` is pure — it turns the parsed command line and the environment into the command's
 * options, throwing a usage error for a bad value, and does no I/O; `run` does the work with
 * the dependencies it is handed and returns the exit code. Tests call each on its own.
 *
 * @example
 * const opts = mod.parse({ values: { limit: "20" }, positionals: [] }, {});
 * const code = await mod.run(opts, ctx);
 */
export interface CommandModule<O = unknown> {
  parse(input: CommandInput, env: Env): O;
  run(options: O, ctx: Context): Promise<number>;
}

/**
 * A command module of the old shape, `run(ctx, input)`, kept only while commands move to
 * {@link CommandModule}; the runner checks no positional arguments for it.
 */
export interface LegacyCommandModule {
  parse?: undefined;
  run(ctx: Context, input: CommandInput): Promise<number>;
}

/** One positional argument, as data: the runner checks the count before `parse` runs. */
export interface PositionalSpec {
  /** Shown in usage, e.g. `monitor_id` → `<monitor_id>`. */
  name: string;
  /** Default true. Optional ones must follow the required ones. */
  required?: boolean;
  /** Takes every remaining argument (the last positional only). */
  variadic?: boolean;
  /**
   * What to ask for when it is missing, e.g. `an API path, e.g. /api/v1/validate` →
   * "'pup api' needs an API path, e.g. /api/v1/validate"; default `<name>`.
   */
  missing?: string;
}

/** A command's description. */
export interface CommandSpec {
  path: string[];
  summary: string;
  description?: string;
  /**
   * Positional arguments in the usage line, e.g. `<path>` — for a legacy module only; a
   * {@link CommandModule} declares `positionals` instead, and usage is made from them.
   */
  args?: string;
  /** The positional arguments a {@link CommandModule} takes (none when absent). */
  positionals?: PositionalSpec[];
  /** What to do instead, shown after "unexpected argument" (e.g. "filter with --name"). */
  positionalHint?: string;
  options: Record<string, OptionSpec>;
  examples?: string[];
  /** OAuth scopes the command needs (checked against the session's granted scope). */
  scopes?: string[];
  /** The request it makes, for help: e.g. `GET /api/v1/monitor`. */
  request?: string;
  /**
   * The command reads the whole command table (`ctx.commands`): completion, `pup auth scopes`.
   * Any other command's context holds only the part of the table its command line could name
   * (lib/cli/table.ts).
   */
  table?: boolean;
  // deno-lint-ignore no-explicit-any
  load(): Promise<CommandModule<any> | LegacyCommandModule>;
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

/** The usage words for a command's positionals: `<id>`, `[name]`, `<file>...`. */
export function positionalUsage(spec: CommandSpec): string {
  if (!spec.positionals) return spec.args ?? "";
  return spec.positionals.map((p) => {
    const word = p.required === false ? `[${p.name}]` : `<${p.name}>`;
    return p.variadic ? `${word}...` : word;
  }).join(" ");
}
