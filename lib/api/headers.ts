/**
 * @module
 * Headers a caller adds to an API request (`pup api -H`): read from the flags and checked to
 * be ones fetch can send and pup lets a caller set, so a bad one is a usage error naming it
 * rather than a network failure. One set of rules for `pup api`'s flags and the client.
 */
import { usageError } from "../errors.ts";
import { safeText } from "../text.ts";

/** RFC 9110 §5.1 token characters, for a header name. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A character pup does not send in a header value: anything but printable ASCII, space, tab. */
const UNSENDABLE = /[^\t\x20-\x7e]/;

/** The headers that carry credentials: pup sets them from the credentials it chose. */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set([
  "authorization",
  "dd-api-key",
  "dd-application-key",
]);

/**
 * A header the caller asked for must be one fetch can send: otherwise fetch throws, and the
 * failure would read as "cannot reach" the site. A usage error (exit 2) names it instead.
 *
 * @example
 * checkHeader("X-Note", "caf\u20ac"); // throws a usage error
 */
export function checkHeader(name: string, value: string): void {
  if (!HEADER_NAME.test(name)) {
    throw usageError(
      `invalid header name "${safeText(name)}": expected letters, digits and - (RFC 9110 token)`,
    );
  }
  if (UNSENDABLE.test(value)) {
    throw usageError(
      `invalid value for header "${name}": expected printable ASCII, found "${
        safeText(value).slice(0, 80)
      }"`,
    );
  }
}

/**
 * Parses `pup api`'s `-H 'Name: value'` flags (one or a list), with the same rules as
 * {@link checkHeader} in the flag's words, and refuses the credential headers and `Host`.
 *
 * @example
 * parseHeaderFlags(["X-Team: core"]); // [["X-Team", "core"]]
 */
export function parseHeaderFlags(values: unknown): [string, string][] {
  const list = values === undefined ? [] : Array.isArray(values) ? values : [values];
  return list.map((raw) => {
    const text = String(raw);
    const colon = text.indexOf(":");
    const name = colon > 0 ? text.slice(0, colon).trim() : "";
    const value = colon > 0 ? text.slice(colon + 1).trim() : "";
    if (!HEADER_NAME.test(name)) {
      throw usageError(`invalid --header "${safeText(text)}": expected 'Name: value'`);
    }
    if (/[\r\n\0]/.test(value)) {
      throw usageError(`invalid --header "${name}": the value may not contain line breaks`);
    }
    // fetch refuses such a value when the request is sent, which would read as a network
    // failure ("cannot reach …"); it is the command line's mistake.
    const odd = UNSENDABLE.exec(value);
    if (odd) {
      const found = `U+${odd[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
      throw usageError(
        `invalid --header "${name}": expected printable ASCII in the value, found ${found}`,
      );
    }
    const lower = name.toLowerCase();
    if (CREDENTIAL_HEADERS.has(lower) || lower === "host") {
      throw usageError(
        `refusing --header "${name}": pup sets credentials and the host itself`,
        "choose credentials with DD_ACCESS_TOKEN, DD_API_KEY and DD_APP_KEY, or 'pup auth login'",
      );
    }
    return [name, value] as [string, string];
  });
}
