/**
 * @module
 * `pup api <path>`: an authenticated request to any Datadog API endpoint, like `gh api`.
 * `-X` sets the method (default GET, or POST with `--data`); `-d` sends JSON text, `@file` or
 * `-` (stdin), checked to be JSON before anything is sent; `-H 'Name: value'` adds headers
 * (credentials are pup's to set, so `Authorization`, `DD-API-KEY`, `DD-APPLICATION-KEY` and
 * `Host` are refused). A 2xx answer is printed as pretty JSON (`-o yaml` for YAML, `--raw` as
 * received); any other status exits 1 with Datadog's errors on stderr.
 */
import { readFile } from "node:fs/promises";
import type { Context } from "../cli/context.ts";
import { printData } from "../cli/output.ts";
import type { CommandInput } from "../cli/spec.ts";
import { ExitCode, usageError } from "../errors.ts";
import { safeText } from "../text.ts";
import { ApiClient } from "../api/client.ts";

const REFUSED_HEADERS = new Set(["authorization", "dd-api-key", "dd-application-key", "host"]);
const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Parses `-X`: letters only, upper-cased; GET by default, POST when there is a body. */
export function parseMethod(value: unknown, hasBody: boolean): string {
  if (value === undefined) return hasBody ? "POST" : "GET";
  const m = String(value).trim();
  if (!/^[A-Za-z]+$/.test(m)) {
    throw usageError(`invalid --method "${safeText(m)}": expected an HTTP method such as GET`);
  }
  return m.toUpperCase();
}

/** Parses the `-H 'Name: value'` flags. */
export function parseHeaders(values: unknown): [string, string][] {
  const list = values === undefined ? [] : Array.isArray(values) ? values : [values];
  return list.map((raw) => {
    const text = String(raw);
    const colon = text.indexOf(":");
    const name = colon > 0 ? text.slice(0, colon).trim() : "";
    const value = colon > 0 ? text.slice(colon + 1).trim() : "";
    if (!TOKEN_RE.test(name)) {
      throw usageError(`invalid --header "${safeText(text)}": expected 'Name: value'`);
    }
    if (/[\r\n\0]/.test(value)) {
      throw usageError(`invalid --header "${name}": the value may not contain line breaks`);
    }
    if (REFUSED_HEADERS.has(name.toLowerCase())) {
      throw usageError(
        `refusing --header "${name}": pup sets credentials and the host itself`,
        "choose credentials with DD_ACCESS_TOKEN, DD_API_KEY and DD_APP_KEY, or 'pup auth login'",
      );
    }
    return [name, value] as [string, string];
  });
}

/** Reads `--data`: JSON text, `@file` or `-` for stdin; invalid JSON is a usage error. */
export async function readData(ctx: Context, arg: string): Promise<string> {
  let text: string;
  let where: string;
  if (arg === "-") {
    where = "--data from stdin";
    text = await ctx.deps.io.readAll();
  } else if (arg.startsWith("@")) {
    const file = arg.slice(1);
    where = `--data file ${file}`;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      const code = (err as { code?: string }).code ?? (err as Error).message;
      throw usageError(`cannot read ${where}: ${code}`);
    }
  } else {
    where = "--data";
    text = arg;
  }
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
 * await run(ctx, { values: { method: "GET" }, positionals: ["/api/v1/validate"] });
 */
export async function run(ctx: Context, input: CommandInput): Promise<number> {
  const [path, ...extra] = input.positionals;
  if (path === undefined) {
    throw usageError(
      "'pup api' needs an API path, e.g. /api/v1/validate",
      "run 'pup api --help' for the flags it takes",
    );
  }
  if (extra.length) {
    throw usageError(
      `unexpected argument "${safeText(extra[0])}" for 'pup api': expected one path`,
    );
  }
  if (!path.startsWith("/")) {
    throw usageError(`invalid API path "${safeText(path)}": expected one starting with /`);
  }
  const dataArg = input.values.data as string | undefined;
  const body = dataArg === undefined ? undefined : await readData(ctx, dataArg);
  const method = parseMethod(input.values.method, body !== undefined);
  const headers: [string, string][] = body !== undefined
    ? [["Content-Type", "application/json"], ...parseHeaders(input.values.header)]
    : parseHeaders(input.values.header);

  const client = new ApiClient(ctx);
  const res = await client.request({ method, path, body, headers });
  const show = (text: string) => (ctx.deps.io.stdoutIsTTY ? safeText(text) : text);
  if (input.values.raw) {
    ctx.deps.io.out(show(res.text));
    return ExitCode.ok;
  }
  if (res.text.trim() === "") return ExitCode.ok;
  let data: unknown;
  try {
    data = JSON.parse(res.text);
  } catch {
    ctx.deps.io.out(show(res.text.endsWith("\n") ? res.text : res.text + "\n"));
    return ExitCode.ok;
  }
  await printData(ctx, data, ctx.globals.output === "yaml" ? "yaml" : "json");
  return ExitCode.ok;
}
