/**
 * @module
 * One assertion for the unit tests of flag and argument checks: `fn` throws a usage error
 * (a {@link PupError} with exit code 2) whose message matches `pattern`.
 */
import assert from "node:assert/strict";
import { PupError } from "../lib/errors.ts";

/** Asserts that `fn` throws a usage error (exit 2) whose message matches `pattern`. */
export function assertUsage(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof PupError, `expected a PupError, found ${err}`);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, pattern);
    return true;
  });
}
