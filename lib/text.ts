/**
 * @module
 * Text from servers and users goes to a terminal: these keep it from driving the terminal.
 */

/** C0 and C1 control characters except tab and newline (ESC included). */
// deno-lint-ignore no-control-regex
export const CONTROL_CHARS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** Shows each control character as a `\uXXXX` escape, so server text cannot move the cursor. */
export function safeText(text: string): string {
  return text.replace(CONTROL_CHARS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** One line of server text for a message: control characters become `?`, capped at `max`. */
export function cleanServerText(text: string, max = 300): string {
  const clean = text.replace(CONTROL_CHARS, "?").replace(/\s+/g, " ").trim();
  return clean.length > max ? clean.slice(0, max) + "…" : clean;
}
