/**
 * @module
 * PKCE (RFC 7636) and the state parameter, from a CSPRNG and Web Crypto.
 */

const UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
const ALNUM = UNRESERVED.slice(0, 62);

/** `n` characters drawn uniformly from `alphabet` (rejection sampling: no modulo bias). */
export function randomString(n: number, alphabet: string, randomBytes: (n: number) => Uint8Array) {
  const limit = 256 - (256 % alphabet.length);
  let out = "";
  while (out.length < n) {
    for (const b of randomBytes(n * 2)) {
      if (b < limit) out += alphabet[b % alphabet.length];
      if (out.length === n) break;
    }
  }
  return out;
}

/** A code verifier of exactly 128 unreserved characters (RFC 7636 §4.1). */
export function createVerifier(randomBytes: (n: number) => Uint8Array): string {
  return randomString(128, UNRESERVED, randomBytes);
}

/** A 32-character state (new per flow). */
export function createState(randomBytes: (n: number) => Uint8Array): string {
  return randomString(32, ALNUM, randomBytes);
}

/** Base64url without padding (RFC 7636 Appendix A). */
export function base64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * `BASE64URL(SHA256(ASCII(verifier)))` — the S256 challenge (RFC 7636 §4.2).
 *
 * @example
 * await challengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
 * // "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
 */
export async function challengeS256(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** Moved to `constant_time.ts`; re-exported so older imports keep working. */
export { constantTimeEqual } from "./constant_time.ts";
