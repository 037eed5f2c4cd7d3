/**
 * @module
 * The one neutraliser for untrusted text (issue 9: one output path). Text from servers, files
 * and users goes to a terminal; these keep it from driving the terminal or forging output:
 *
 * - C0 and C1 control characters and DEL (ESC, so CSI and OSC sequences; CR, which overwrites a
 *   line; BEL …) — tab and newline are kept only where a line break is legitimate;
 * - Unicode format characters (`\p{Cf}`): bidi embeddings, overrides and isolates
 *   (U+202A–202E, U+2066–2069), marks (U+200E, U+200F, U+061C), zero-width characters, BOM,
 *   tag characters, and other invisibles;
 * - line and paragraph separators (U+2028, U+2029), which some terminals break lines on;
 * - lone surrogates.
 *
 * Each is shown as a visible `\uXXXX` escape (or `?` in one-line messages), so a reader sees
 * that something was there. Every function here is built on {@link UNSAFE_CHARS}.
 */

/**
 * Every character that may not reach a terminal raw, newline and tab included (callers that
 * keep line breaks use {@link UNSAFE_INLINE}).
 */
// deno-lint-ignore no-control-regex
export const UNSAFE_CHARS = /[\x00-\x1f\x7f-\x9f\p{Cf}\u2028\u2029]|\p{Cs}/gu;

/** {@link UNSAFE_CHARS} without tab and newline: for multi-line text. */
// deno-lint-ignore no-control-regex
export const UNSAFE_INLINE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\p{Cf}\u2028\u2029]|\p{Cs}/gu;

/** C0 and C1 control characters except tab and newline (ESC included). Kept for callers. */
// deno-lint-ignore no-control-regex
export const CONTROL_CHARS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** `\uXXXX` per UTF-16 unit: valid in JSON and YAML double quotes, and visible on a terminal. */
function escapeChar(c: string): string {
  let out = "";
  for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`;
  return out;
}

/** Whether `text` holds any character {@link UNSAFE_CHARS} matches. */
export function hasUnsafeChars(text: string): boolean {
  UNSAFE_CHARS.lastIndex = 0;
  const found = UNSAFE_CHARS.test(text);
  UNSAFE_CHARS.lastIndex = 0;
  return found;
}

/**
 * Multi-line text for a terminal: every unsafe character but tab and newline becomes a
 * `\uXXXX` escape.
 *
 * @example
 * safeText("ok\x1b]0;pwned\x07"); // "ok\\u001b]0;pwned\\u0007"
 */
export function safeText(text: string): string {
  return String(text).replace(UNSAFE_INLINE, escapeChar);
}

/**
 * One table cell or one field on a line: every unsafe character, newline and tab included,
 * becomes a `\uXXXX` escape, so a value cannot forge a row or a column.
 */
export function safeCell(text: string): string {
  return String(text).replace(UNSAFE_CHARS, escapeChar);
}

/** One line of server text for a message: unsafe characters become `?`, capped at `max`. */
export function cleanServerText(text: string, max = 300): string {
  const clean = String(text).replace(/[\t\n\r\u2028\u2029]/g, " ").replace(UNSAFE_CHARS, "?")
    .replace(/\s+/g, " ").trim();
  if (clean.length <= max) return clean;
  // Cut between code points, never inside a surrogate pair (a lone half is unsafe too).
  const cut = /[\ud800-\udbff]/.test(clean[max - 1] ?? "") ? max - 1 : max;
  return clean.slice(0, cut) + "…";
}

/**
 * JSON text safe for a terminal and identical in value: JSON.stringify leaves C1 controls,
 * bidi overrides, U+2028/2029 and other format characters raw; these can only occur inside
 * strings, where the `\uXXXX` escape means the same character.
 */
export function safeJson(json: string): string {
  return json.replace(UNSAFE_INLINE, escapeChar);
}

/**
 * One of pup's own terminal control sequences (the login's live line and OSC 8 link, the
 * `--all` progress line). Only the builders below make one, so text from a server, a file or
 * the user can never be one: the output guard (lib/cli/output.ts `guardOutput`) escapes every
 * string and writes raw only these, through `errControl` ({@link writeErr}).
 */
export interface Control {
  readonly sequence: string;
}

const BUILT = new WeakSet<Control>();

function control(sequence: string): Control {
  const c = Object.freeze({ sequence });
  BUILT.add(c);
  return c;
}

/** Whether `value` is a {@link Control} built here (not a look-alike object). */
export function isControl(value: unknown): value is Control {
  return typeof value === "object" && value !== null && BUILT.has(value as Control);
}

/** Back to the start of the line, then erase it. */
export const CLEAR_LINE: Control = control("\r\x1b[2K");
/** Back to the start of the line. */
export const CARRIAGE_RETURN: Control = control("\r");
/** Dim text on, off. */
export const DIM: Control = control("\x1b[2m");
export const UNDIM: Control = control("\x1b[22m");
/** The end of an OSC 8 hyperlink. */
export const LINK_END: Control = control("\x1b]8;;\x1b\\");

/**
 * The start of an OSC 8 hyperlink to `url`; null unless `url` is an http(s) URL of printable
 * ASCII only (no space, no control or escape character), so it cannot end the sequence early.
 */
export function linkStart(url: string): Control | null {
  if (!/^https?:\/\/[\x21-\x7e]+$/.test(url)) return null;
  return control(`\x1b]8;;${url}\x1b\\`);
}

/** A piece of a line: text (neutralised when guarded) or one of pup's own sequences. */
export type Styled = string | Control;
/** A line as text or pieces. */
export type Line = string | readonly Styled[];

/** What {@link writeErr} writes to: an output, guarded or not. */
export interface ControlWriter {
  err(text: string): void;
  /** Writes one of pup's own sequences raw (the guard's; absent on an unguarded output). */
  errControl?(c: Control): void;
}

/** Writes `line` to stderr: text through `err`, pup's own sequences through `errControl`. */
export function writeErr(io: ControlWriter, line: Line): void {
  for (const piece of typeof line === "string" ? [line] : line) {
    if (typeof piece === "string") io.err(piece);
    else if (io.errControl) io.errControl(piece);
    else io.err(piece.sequence);
  }
}
