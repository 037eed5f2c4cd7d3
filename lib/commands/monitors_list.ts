/**
 * @module
 * `pup monitors list`: `GET /api/v1/monitor` with `name`, `monitor_tags` (`--tags`) and
 * `page`/`page_size` (`--limit`, default 100; Datadog ignores `page_size` without `page`, and
 * pages hold at most 1000, so larger limits take several pages). A table of ID, NAME, TYPE,
 * STATE and TAGS by default; `-o json|yaml` prints the monitors as Datadog returned them.
 */
import type { Context } from "../cli/context.ts";
import { outputFormat, printData, table } from "../cli/output.ts";
import type { CommandInput } from "../cli/spec.ts";
import { ExitCode, PupError } from "../errors.ts";
import { StatusApiClient } from "./api_client.ts";

const PAGE_MAX = 1000;

/** The fields pup reads of a monitor (Datadog sends many more, kept for `-o json`). */
interface Monitor {
  id?: number;
  name?: string;
  type?: string;
  overall_state?: string;
  tags?: string[];
}

/** What `pup monitors list` was asked for. */
export interface MonitorsListOptions {
  limit: number;
  name?: string;
  tags?: string;
}

/**
 * Reads the flags of `pup monitors list` (pure).
 *
 * @example
 * parse({ values: { tags: "env:prod", limit: 20 }, positionals: [] }); // { limit: 20, tags: "env:prod" }
 */
export function parse(input: CommandInput): MonitorsListOptions {
  return {
    // An integer option: the runner has checked it (lib/cli/commands.ts).
    limit: (input.values.limit as number | undefined) ?? 100,
    name: (input.values.name as string | undefined)?.trim() || undefined,
    tags: (input.values.tags as string | undefined)
      ?.split(",").map((t) => t.trim()).filter(Boolean).join(",") || undefined,
  };
}

/**
 * Runs `pup monitors list`.
 *
 * @example
 * await run(parse({ values: { limit: 20 }, positionals: [] }), ctx);
 */
export async function run(options: MonitorsListOptions, ctx: Context): Promise<number> {
  const { limit, name, tags } = options;
  const format = outputFormat(ctx, "table");

  const client = new StatusApiClient(ctx);
  const pageSize = Math.min(limit, PAGE_MAX);
  const monitors: Monitor[] = [];
  for (let page = 0; monitors.length < limit; page++) {
    const batch = await client.json<unknown>({
      path: "/api/v1/monitor",
      query: { name, monitor_tags: tags, page, page_size: pageSize },
    });
    if (!Array.isArray(batch)) {
      throw new PupError(
        "api",
        `request GET /api/v1/monitor returned an unexpected answer: expected a list of monitors, found ${typeof batch}`,
      );
    }
    monitors.push(...(batch as Monitor[]));
    if (batch.length < pageSize) break;
  }
  monitors.splice(limit);

  if (await printData(ctx, monitors, format)) return ExitCode.ok;
  if (monitors.length === 0) {
    ctx.info("No monitors found.");
    return ExitCode.ok;
  }
  ctx.deps.io.out(table(
    ["ID", "NAME", "TYPE", "STATE", "TAGS"],
    monitors.map((m) => [
      m.id,
      m.name,
      m.type,
      m.overall_state,
      Array.isArray(m.tags) ? m.tags.join(",") : "",
    ]),
  ));
  return ExitCode.ok;
}
