/**
 * @module
 * Showing a failure: text lines (`Error: …`, then the hint) or, with `-o json`, one JSON object
 * `{"error": {"code", "message", "hint", "status"}}` on stderr. Every line passes `safeText`,
 * since messages echo values that users and servers gave.
 */
import type { Deps } from "../deps.ts";
import { ExitCode, PupError } from "../errors.ts";
import { safeText } from "../text.ts";

/** How a failure is shown: its code, message, hint and (from the API) HTTP status. */
export interface FailureReport {
  code: string;
  message: string;
  hint: string | null;
  status: number | null;
}

function describe(err: unknown, debug: boolean): { report: FailureReport; lines: string[] } {
  if (err instanceof PupError) {
    const lines = [err.display ?? `Error: ${err.message}`];
    if (err.display) lines.push(err.message);
    if (err.hint) lines.push(err.hint);
    return {
      report: {
        code: err.code,
        message: err.display ? `${err.display}: ${err.message}` : err.message,
        hint: err.hint ?? null,
        status: err.status ?? null,
      },
      lines,
    };
  }
  const e = err as Error;
  const message = `unexpected failure: ${e?.message ?? String(err)}`;
  const hint = "This is a bug in pup; please report it with the command you ran.";
  const lines = [`Error: ${message}`];
  if (debug && e?.stack) lines.push(e.stack);
  lines.push(hint);
  return { report: { code: "unexpected", message, hint, status: null }, lines };
}

/**
 * Prints a failure the way users see it — text lines, or with `json` one object
 * `{"error": {"code", "message", "hint", "status"}}` — and returns its exit code. Every line
 * passes {@link safeText}: messages echo values the user and servers gave.
 *
 * @example
 * report(deps, new PupError("usage", "bad"), true); // stderr: {"error":{"code":"usage","message":"bad","hint":null,"status":null}}; returns 2
 */
export function report(deps: Deps, err: unknown, json = false): number {
  const { report, lines } = describe(err, Boolean(deps.env.PUP_DEBUG));
  if (json) {
    const clean = {
      code: report.code,
      message: safeText(report.message),
      hint: report.hint === null ? null : safeText(report.hint),
      status: report.status,
    };
    deps.io.err(JSON.stringify({ error: clean }) + "\n");
  } else {
    for (const line of lines) deps.io.err(safeText(line) + "\n");
  }
  return err instanceof PupError ? err.exitCode : ExitCode.failure;
}
