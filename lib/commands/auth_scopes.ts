/**
 * @module
 * `pup auth scopes`: the scopes pup requests by default and with `--read-only` (CONTRACT §11),
 * and, for every command, the scopes it needs — read from the command table the runner hands in
 * (`ctx.commands`), so a new command appears here by declaring its `scopes`.
 */
import type { CommandEntry, Context } from "../cli/context.ts";
import { outputFormat, printData, table } from "../cli/output.ts";
import { ExitCode } from "../errors.ts";
import { DEFAULT_SCOPES, READ_ONLY_SCOPES } from "../auth/scopes.ts";

/** What `pup auth scopes -o json` prints. */
export interface ScopesReport {
  default: string[];
  read_only: string[];
  commands: { command: string; scopes: string[]; request?: string; in_read_only: boolean }[];
}

/**
 * The report, from the command table.
 *
 * @example
 * scopesReport(ctx.commands).commands[0]; // { command: "monitors list", scopes: ["monitors_read"], … }
 */
export function scopesReport(commands: readonly CommandEntry[]): ScopesReport {
  const readOnly = new Set(READ_ONLY_SCOPES);
  return {
    default: [...DEFAULT_SCOPES],
    read_only: [...READ_ONLY_SCOPES],
    commands: commands.filter((c) => c.scopes?.length).map((c) => ({
      command: c.path.join(" "),
      scopes: [...c.scopes!],
      ...(c.request ? { request: c.request } : {}),
      in_read_only: c.scopes!.every((s) => readOnly.has(s)),
    })),
  };
}

/** No flags of its own. */
export function parse(): Record<string, never> {
  return {};
}

/**
 * Runs `pup auth scopes`.
 *
 * @example
 * await run({}, ctx);
 */
export async function run(_options: Record<string, never>, ctx: Context): Promise<number> {
  const report = scopesReport(ctx.commands);
  if (await printData(ctx, report, outputFormat(ctx, "table"))) return ExitCode.ok;
  const out = ctx.deps.io.out;
  out(`Default scopes (${report.default.length}):\n  ${report.default.join(" ")}\n\n`);
  out(
    `Read-only scopes, --read-only (${report.read_only.length}):\n  ${
      report.read_only.join(" ")
    }\n\n`,
  );
  out(table(
    ["COMMAND", "SCOPES", "READ-ONLY LOGIN"],
    report.commands.map((c) => [c.command, c.scopes.join(","), c.in_read_only ? "yes" : "no"]),
  ));
  return ExitCode.ok;
}
