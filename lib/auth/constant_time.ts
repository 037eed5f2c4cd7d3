/**
 * @module
 * Comparing secrets (the callback's `state`) in time that does not depend on where they differ.
 */

/**
 * Whether `a` and `b` are equal, compared over every byte of the longer one.
 *
 * @example
 * constantTimeEqual(receivedState, expectedState); // true only when identical
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
