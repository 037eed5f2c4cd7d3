/**
 * @module
 * `pup api <path>`: an authenticated request to any Datadog API endpoint, like `gh api`.
 * `-X` sets the method (default GET, or POST with `--data`); `-d` sends JSON text, `@file` or
 * `-` (stdin), checked to be JSON before anything is sent; `-H 'Name: value'` adds headers
 * (credentials are pup's to set, so `Authorization`, `DD-API-KEY`, `DD-APPLICATION-KEY` and
 * `Host` are refused). A 2xx answer is printed as pretty JSON (`-o yaml` for YAML, `--raw` as
 * received); any other status exits 1 with Datadog's errors on stderr.
 */
import type { Context } from "../cli/context.ts";
import { type InputSource, readInput } from "../cli/input.ts";
import { printData } from "../cli/output.ts";
import type { CommandInput } from "../cli/spec.ts";
import { ExitCode, usageError } from "../errors.ts";
import { safeText } from "../text.ts";
import { ApiClient } from "../api/client.ts";
import { parseHeaderFlags } from "../api/headers.ts";

/** Parses `-X`: letters only, upper-cased; GET by default, POST when there is a body. */
export function parseMethod(value: unknown, hasBody: boolean): string {
  if (value === undefined) return hasBody ? "POST" : "GET";
  const m = String(value).trim();
  if (!/^[A-Za-z]+$/.test(m)) {
    throw usageError(`invalid --method "${safeText(m)}": expected an HTTP method such as GET`);
  }
  return m.toUpperCase();
}

/** Where `--data` comes from: inline JSON text, a file, or stdin. */
export type DataSource = { text: string } | InputSource;

/** What `pup api` was asked for. */
export interface ApiOptions {
  path: string;
  /** Undefined: decided once the body is known (GET, or POST with a body). */
  method?: string;
  data?: DataSource;
  headers: [string, string][];
  raw: boolean;
}

/**
 * Reads the arguments of `pup api` (pure): the path, `-X`, `-d`, `-H` and `--raw`.
 *
 * @example
 * parse({ values: { method: "get" }, positionals: ["/api/v1/validate"] });
 * // { path: "/api/v1/validate", method: "GET", headers: [], raw: false }
 */
export function parse(input: CommandInput): ApiOptions {
  const path = input.positionals[0];
  if (!path.startsWith("/")) {
    throw usageError(`invalid API path "${safeText(path)}": expected one starting with /`);
  }
  const arg = input.values.data as string | undefined;
  const data: DataSource | undefined = arg === undefined
    ? undefined
    : arg === "-"
    ? { stdin: true }
    : arg.startsWith("@")
    ? { file: arg.slice(1) }
    : { text: arg };
  return {
    path,
    method: input.values.method === undefined
      ? undefined
      : parseMethod(input.values.method, data !== undefined),
    data,
    headers: parseHeaderFlags(input.values.header),
    raw: Boolean(input.values.raw),
  };
}

/** Reads `--data` from where it comes; invalid JSON is a usage error. */
export async function readData(ctx: Context, data: DataSource): Promise<string> {
  const where = "stdin" in data
    ? "--data from stdin"
    : "file" in data
    ? `--data file ${safeText(data.file)}`
    : "--data";
  const text = "text" in data ? data.text : await readInput(ctx, data, where);
  if (text.trim() === "") {
    throw usageError(`invalid JSON in ${where}: expected JSON, found nothing`);
  }
  try {
    JSON.parse(text);
  } catch (err) {
    throw usageError(`invalid JSON in ${where}: ${(err as Error).message}`);
  }
  return text;
}

/**
 * Runs `pup api`.
 *
 * @example
 * await run(parse({ values: {}, positionals: ["/api/v1/validate"] }), ctx);
 */
export async function run(options: ApiOptions, ctx: Context): Promise<number> {
  const { path, data, raw } = options;
  const body = data === undefined ? undefined : await readData(ctx, data);
  const method = options.method ?? (body !== undefined ? "POST" : "GET");
  const headers: [string, string][] = body !== undefined
    ? [["Content-Type", "application/json"], ...options.headers]
    : options.headers;

  const client = new ApiClient(ctx);
  const res = await client.request({ method, path, body, headers });
  const show = (text: string) => (ctx.deps.io.stdoutIsTTY ? safeText(text) : text);
  if (raw) {
    ctx.deps.io.out(show(res.text));
    return ExitCode.ok;
  }
  if (res.text.trim() === "") return ExitCode.ok;
  let answer: unknown;
  try {
    answer = JSON.parse(res.text);
  } catch {
    ctx.deps.io.out(show(res.text.endsWith("\n") ? res.text : res.text + "\n"));
    return ExitCode.ok;
  }
  await printData(ctx, answer, ctx.globals.output === "yaml" ? "yaml" : "json");
  return ExitCode.ok;
}
