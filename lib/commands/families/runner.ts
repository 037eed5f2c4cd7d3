/**
 * @module
 * The one runner of every API command declared as data ({@link ApiCommandDef}): reads the
 * flags into the request (`request.ts`), reads `--file` for writes (`body_file.ts`), asks
 * before a delete, warns when the session lacks the command's scope (`scope_check.ts`), follows
 * the API's paging for `--limit` and `--all` (`pages.ts`), and prints the answer: `-o json` and
 * `-o yaml` as the API sent it (pages joined into one body of the API's shape), else a table of
 * the command's columns (`table.ts`).
 */
import type { Context } from "../../cli/context.ts";
import { outputFormat, printData } from "../../cli/output.ts";
import type { CommandModule } from "../../cli/spec.ts";
import { ExitCode, PupError, usageError } from "../../errors.ts";
import { ApiClient } from "../../api/client.ts";
import { serverLine } from "../../api/errors.ts";
import { readBodyFile } from "./body_file.ts";
import { joined, readList } from "./pages.ts";
import { getPath } from "./paths.ts";
import { baseRequest, fill, isList, parseCommand, type RunOptions } from "./request.ts";
import { call, caller, scopeWarning } from "./scope_check.ts";
import { printTable, rowsOf } from "./table.ts";
import type { ApiCommandDef } from "./types.ts";

export { MAX_PAGES } from "./pages.ts";
export { MAX_LIMIT, parseCommand, type RunOptions } from "./request.ts";

/** Asks on a terminal; without one refuses unless `--yes` (exit 2). Nothing is sent before. */
async function confirmed(opts: RunOptions, ctx: Context): Promise<boolean> {
  const c = opts.def.confirm;
  if (!c || opts.yes) return true;
  const io = ctx.deps.io;
  const question = fill(c.question, opts.args);
  if (!io.stdinIsTTY) {
    throw usageError(
      `refusing to ${question.replace(/\?$/, "").replace(/^./, (x) => x.toLowerCase())}: ` +
        "no terminal to confirm on",
      "pass --yes to confirm",
    );
  }
  io.err(`${question} [y/N] `);
  const answer = (await io.readLine())?.trim().toLowerCase();
  return answer === "y" || answer === "yes";
}

/**
 * Runs one API command.
 *
 * @example
 * await runCommand(parseCommand(def, input), ctx);
 */
export async function runCommand(opts: RunOptions, ctx: Context): Promise<number> {
  const { def } = opts;
  const base = baseRequest(opts, ctx.deps.clock.now());
  let bodyText: string | undefined;
  if (def.file) bodyText = await readBodyFile(ctx, String(opts.values.file));
  if (!(await confirmed(opts, ctx))) {
    ctx.info("Nothing was sent.");
    return ExitCode.failure;
  }
  const client = new ApiClient(ctx);
  const who = await caller(ctx, client);
  const warning = scopeWarning(def, who);
  // With -o json a failure is one JSON object on stderr (lib/cli/report.ts), whose hint names
  // the missing scope: the warning then waits for a successful answer instead of preceding it.
  const afterwards = ctx.globals.output === "json";
  if (warning && !afterwards) ctx.info(warning);
  const code = isList(def)
    ? await printList(ctx, opts, await readList(client, opts, who, base, ctx))
    : await printOne(
      ctx,
      opts,
      await call(client, opts, who, {
        method: def.method,
        path: base.path,
        query: base.query,
        json: bodyText === undefined ? base.body : undefined,
        body: bodyText,
        headers: bodyText === undefined ? undefined : [["Content-Type", "application/json"]],
      }),
    );
  if (warning && afterwards) ctx.info(warning);
  return code;
}

/** Prints a list's pages: one body of the API's shape for `-o json|yaml`, else a table. */
async function printList(
  ctx: Context,
  opts: RunOptions,
  list: Awaited<ReturnType<typeof readList>>,
): Promise<number> {
  const { def } = opts;
  const body = list.pages === 1 && !list.cut ? list.body : joined(def, list.body, list.items);
  if (await printData(ctx, body, outputFormat(ctx, "table"))) return ExitCode.ok;
  if (def.render) return printTable(ctx, def.render(body));
  if (list.items.length === 0) {
    ctx.info(def.empty ?? "Nothing found.");
    return ExitCode.ok;
  }
  return printTable(ctx, rowsOf(def, list.items));
}

/** Prints the answer of a single request (get, create, update, delete, a query). */
async function printOne(ctx: Context, opts: RunOptions, body: unknown): Promise<number> {
  const { def } = opts;
  const problem = def.answerError?.(body);
  if (problem) throw new PupError("api", serverLine(problem));
  const format = outputFormat(ctx, "table");
  if (format !== "table") {
    // An empty answer (a 204) prints nothing: there is no body to show.
    if (body !== undefined) await printData(ctx, body, format);
    return ExitCode.ok;
  }
  if (def.confirm) ctx.print(fill(def.confirm.done, opts.args));
  else if (def.render) printTable(ctx, def.render(body));
  else if (body !== undefined) printTable(ctx, rowsOf(def, [getPath(body, def.item ?? "")]));
  return ExitCode.ok;
}

/** The {@link CommandModule} of one declared command. */
export function moduleFor(def: ApiCommandDef): CommandModule<RunOptions> {
  return {
    parse: (input) => parseCommand(def, input),
    run: runCommand,
  };
}
