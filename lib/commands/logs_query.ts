/**
 * @module
 * `pup logs query`: `POST /api/v2/logs/events/search` with `filter.query`, `filter.from`,
 * `filter.to` (ISO 8601, from `--from`/`--to`), `page.limit` and `sort: "-timestamp"` (newest
 * first), following `meta.page.after` until `--limit` logs (default 50) are read. A table of
 * TIMESTAMP, STATUS, SERVICE, HOST and MESSAGE by default; `-o json|yaml` prints the log events
 * as Datadog returned them.
 */
import type { Context } from "../cli/context.ts";
import { outputFormat, printData, table } from "../cli/output.ts";
import type { CommandInput } from "../cli/spec.ts";
import { ExitCode, PupError } from "../errors.ts";
import { safeText } from "../text.ts";
import { requiredFlag, resolveRange, timeRangeOf, type TimeRangeSpec } from "../cli/flags.ts";
import { StatusApiClient } from "./api_client.ts";

/** Datadog's largest page of logs. */
const PAGE_MAX = 1000;
const MESSAGE_MAX = 300;

/** A log event as the v2 search returns it. */
interface LogEvent {
  id?: string;
  attributes?: {
    timestamp?: string;
    status?: string;
    service?: string;
    host?: string;
    message?: string;
  };
}

interface SearchAnswer {
  data?: LogEvent[];
  meta?: { page?: { after?: string } };
}

/** What `pup logs query` was asked for. */
export interface LogsQueryOptions {
  query: string;
  range: TimeRangeSpec;
  limit: number;
}

/**
 * Reads the flags of `pup logs query` (pure).
 *
 * @example
 * parse({ values: { query: "service:web", from: "1h", limit: 10 }, positionals: [] });
 */
export function parse(input: CommandInput): LogsQueryOptions {
  return {
    query: requiredFlag(
      input.values.query,
      "query",
      "logs query",
      '"service:web-store status:error"',
      'use --query "*" for every log',
    ),
    range: timeRangeOf(input.values, "15m"),
    // An integer option: the runner has checked it (lib/cli/commands.ts).
    limit: (input.values.limit as number | undefined) ?? 50,
  };
}

/**
 * Runs `pup logs query`.
 *
 * @example
 * await run(parse({ values: { query: "service:web-store", from: "1h" }, positionals: [] }), ctx);
 */
export async function run(options: LogsQueryOptions, ctx: Context): Promise<number> {
  const { query, limit } = options;
  const { from, to } = resolveRange(options.range, ctx.deps.clock.now());
  const format = outputFormat(ctx, "table");

  const client = new StatusApiClient(ctx);
  const events: LogEvent[] = [];
  let cursor: string | undefined;
  while (events.length < limit) {
    const answer = await client.json<SearchAnswer>({
      method: "POST",
      path: "/api/v2/logs/events/search",
      json: {
        filter: {
          query,
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
        },
        page: { limit: Math.min(limit - events.length, PAGE_MAX), ...(cursor ? { cursor } : {}) },
        sort: "-timestamp",
      },
    });
    if (!answer || !Array.isArray(answer.data)) {
      throw new PupError(
        "api",
        "request POST /api/v2/logs/events/search returned an unexpected answer: expected an object with a data list",
      );
    }
    events.push(...answer.data);
    cursor = answer.meta?.page?.after;
    if (!cursor || answer.data.length === 0) break;
  }
  events.splice(limit);

  if (await printData(ctx, events, format)) return ExitCode.ok;
  if (events.length === 0) {
    ctx.info(
      `No logs match "${safeText(query)}" between ${new Date(from).toISOString()} and ${
        new Date(to).toISOString()
      }.`,
    );
    return ExitCode.ok;
  }
  ctx.deps.io.out(table(
    ["TIMESTAMP", "STATUS", "SERVICE", "HOST", "MESSAGE"],
    events.map((e) => {
      const a = e.attributes ?? {};
      return [a.timestamp, a.status, a.service, a.host, oneLine(a.message ?? "")];
    }),
  ));
  return ExitCode.ok;
}

/** A message on one table line: whitespace runs become one space, long ones are cut. */
function oneLine(message: string): string {
  const line = String(message).replace(/\s+/g, " ").trim();
  return line.length > MESSAGE_MAX ? line.slice(0, MESSAGE_MAX) + "…" : line;
}
