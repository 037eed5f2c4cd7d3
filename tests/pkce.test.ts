import { test } from "node:test";
import assert from "node:assert/strict";
import { base64url, challengeS256, createState, createVerifier } from "../lib/auth/pkce.ts";
import { constantTimeEqual } from "../lib/auth/constant_time.ts";
import { cryptoRandomBytes } from "../lib/deps.ts";

test("the S256 challenge matches RFC 7636 Appendix B", async () => {
  const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  assert.equal(await challengeS256(verifier), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
});

test("the verifier of RFC 7636 Appendix B encodes its octets as the RFC shows", () => {
  const octets = new Uint8Array([
    116,
    24,
    223,
    180,
    151,
    153,
    224,
    37,
    79,
    250,
    96,
    125,
    216,
    173,
    187,
    186,
    22,
    212,
    37,
    77,
    105,
    214,
    191,
    240,
    91,
    88,
    5,
    88,
    83,
    132,
    141,
    121,
  ]);
  assert.equal(base64url(octets), "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
});

test("a verifier has exactly 128 characters of the unreserved set", () => {
  for (let i = 0; i < 50; i++) {
    const v = createVerifier(cryptoRandomBytes);
    assert.equal(v.length, 128);
    assert.match(v, /^[A-Za-z0-9._~-]{128}$/);
  }
});

test("verifiers and states differ from flow to flow", () => {
  const seen = new Set(Array.from({ length: 100 }, () => createVerifier(cryptoRandomBytes)));
  assert.equal(seen.size, 100);
  const states = new Set(Array.from({ length: 100 }, () => createState(cryptoRandomBytes)));
  assert.equal(states.size, 100);
});

test("a state has 32 alphanumeric characters", () => {
  const s = createState(cryptoRandomBytes);
  assert.match(s, /^[A-Za-z0-9]{32}$/);
});

test("random strings use every character of the alphabet without bias towards the first", () => {
  // 66 characters do not divide 256: without rejection sampling the first 58 would be favoured.
  const counts = new Map<string, number>();
  for (let i = 0; i < 200; i++) {
    for (const c of createVerifier(cryptoRandomBytes)) counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  assert.equal(counts.size, 66);
  const low = ["A", "B", "C"].reduce((n, c) => n + counts.get(c)!, 0) / 3;
  const high = ["-", ".", "_", "~"].reduce((n, c) => n + counts.get(c)!, 0) / 4;
  assert.ok(Math.abs(low - high) / low < 0.25, `A-C avg ${low}, -._~ avg ${high}`);
});

test("a fixed randomness source gives a verifier drawn from it (no hidden randomness)", () => {
  const zeros = (n: number) => new Uint8Array(n);
  assert.equal(createVerifier(zeros), "A".repeat(128));
});

test("state comparison is exact", () => {
  assert.ok(constantTimeEqual("abc", "abc"));
  assert.ok(!constantTimeEqual("abc", "abd"));
  assert.ok(!constantTimeEqual("abc", "abcd"));
  assert.ok(!constantTimeEqual("", "a"));
});
