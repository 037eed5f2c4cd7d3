/**
 * @module
 * Headers a caller adds to an API request (`pup api -H`): checked to be ones fetch can send,
 * so a bad one is a usage error naming it rather than a network failure.
 */
import { PupError } from "../errors.ts";
import { safeText } from "../text.ts";

/** RFC 9110 §5.1 token characters, for a header name. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Printable ASCII, space and tab: what pup sends as a header value. */
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

/**
 * A header the caller asked for must be one fetch can send: otherwise fetch throws, and the
 * failure would read as "cannot reach" the site. A usage error (exit 2) names it instead.
 *
 * @example
 * checkHeader("X-Note", "caf\u20ac"); // throws a usage error
 */
export function checkHeader(name: string, value: string): void {
  if (!HEADER_NAME.test(name)) {
    throw new PupError(
      "usage",
      `invalid header name "${safeText(name)}": expected letters, digits and - (RFC 9110 token)`,
    );
  }
  if (!HEADER_VALUE.test(value)) {
    throw new PupError(
      "usage",
      `invalid value for header "${name}": expected printable ASCII, found "${
        safeText(value).slice(0, 80)
      }"`,
    );
  }
}
