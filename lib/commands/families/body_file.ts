/**
 * @module
 * `--file F` of the write commands: JSON or YAML, `-` for stdin. A JSON file is sent byte for
 * byte; a YAML one as the JSON of the same value. A file that is neither, or holds no object
 * or list, is a usage error naming the file and the line.
 */
import type { Context } from "../../cli/context.ts";
import { readInput } from "../../cli/input.ts";
import { usageError } from "../../errors.ts";
import { safeText } from "../../text.ts";

/**
 * Reads `--file` and returns the JSON text to send.
 *
 * @example
 * await readBodyFile(ctx, "monitor.yaml"); // '{"name":"cpu","type":"metric alert",…}'
 */
export async function readBodyFile(ctx: Context, file: string): Promise<string> {
  const where = file === "-" ? "--file - (stdin)" : `--file ${safeText(file)}`;
  const text = await readInput(ctx, file === "-" ? { stdin: true } : { file }, where);
  if (text.trim() === "") {
    throw usageError(`invalid ${where}: expected a JSON or YAML object, found an empty file`);
  }
  try {
    const value = JSON.parse(text);
    if (value !== null && typeof value === "object") return text;
  } catch {
    // Not JSON: YAML (a superset) says where it breaks.
  }
  const { parseDocument } = await import("yaml");
  const doc = parseDocument(text);
  const error = doc.errors[0];
  if (error) {
    const line = error.linePos?.[0]?.line;
    const message = error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    throw usageError(
      `invalid ${where}${line ? ` at line ${line}` : ""}: expected JSON or YAML, found ${
        safeText(message).replace(/^./, (c) => c.toLowerCase())
      }`,
    );
  }
  const value = doc.toJS();
  if (value === null || typeof value !== "object") {
    throw usageError(`invalid ${where}: expected a JSON or YAML object, found ${typeof value}`);
  }
  return JSON.stringify(value);
}
