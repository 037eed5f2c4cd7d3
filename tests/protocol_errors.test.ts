import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { type ErrorCode, PupError } from "../lib/errors.ts";

test("the documented error-code table matches the codes and their exit codes", async () => {
  const source = await readFile(new URL("../lib/errors.ts", import.meta.url), "utf8");
  const rows = [...source.matchAll(/^ \* \| `([a-z_]+)` \| (\d) \|/gm)];
  const union = source.slice(
    source.indexOf("export type ErrorCode"),
    source.indexOf(";", source.indexOf("export type ErrorCode")),
  );
  const codes = [...union.matchAll(/"([a-z_]+)"/g)].map((m) => m[1]);
  assert.deepEqual(rows.map((r) => r[1]).sort(), [...codes].sort());
  for (const [, code, exit] of rows) {
    assert.equal(new PupError(code as ErrorCode, "x").exitCode, Number(exit), code);
  }
});

test("a 429 from an OAuth endpoint says it is rate limited and when to try again (Retry-After)", async () => {
  const { oauthFailure } = await import("../lib/auth/oauth_answer.ts");
  const body = { status: 429, json: { errors: ["Rate limit exceeded"] }, text: "" };
  const plain = oauthFailure("token refresh", body);
  assert.equal(plain.code, "oauth_http");
  assert.equal(plain.exitCode, 1);
  assert.equal(plain.message, "token refresh failed: HTTP 429: too many requests");
  assert.match(plain.hint ?? "", /^rate limited \(HTTP 429\).*try again in a moment$/);
  const timed = oauthFailure("token refresh", { ...body, retryAfterS: 30 });
  assert.match(timed.hint ?? "", /try again in 30 s$/);
  assert.match(oauthFailure("x", { ...body, retryAfterS: 600 }).hint ?? "", /in 10 min$/);
  assert.match(oauthFailure("x", { ...body, retryAfterS: 86_400 }).hint ?? "", /in 24 h$/);
  // An OAuth error body still gives its code, with the same hint.
  const coded = oauthFailure("x", { ...body, json: { error: "temporarily_unavailable" } });
  assert.match(coded.message, /HTTP 429: temporarily_unavailable$/);
  assert.match(coded.hint ?? "", /rate limited/);
  // A 503 with Retry-After names the wait too; a 400 gets no retry hint.
  assert.match(
    oauthFailure("x", { status: 503, json: undefined, text: "", retryAfterS: 5 }).hint ?? "",
    /^the server failed; try again in 5 s$/,
  );
  assert.equal(oauthFailure("x", { status: 400, json: {}, text: "" }).hint, undefined);
});

test("Retry-After: delay-seconds or an HTTP-date, clamped; anything else is ignored, never echoed", async () => {
  const { retryAfterSeconds, MAX_RETRY_AFTER_S } = await import("../lib/auth/oauth_answer.ts");
  const now = Date.UTC(2026, 9, 21, 7, 27, 0);
  assert.equal(retryAfterSeconds("2", now), 2);
  assert.equal(retryAfterSeconds(" 120 ", now), 120);
  assert.equal(retryAfterSeconds("0", now), 0);
  assert.equal(retryAfterSeconds("Wed, 21 Oct 2026 07:28:00 GMT", now), 60);
  assert.equal(retryAfterSeconds("Wed, 21 Oct 2026 07:27:00 GMT", now), 0);
  assert.equal(retryAfterSeconds("Tue, 20 Oct 2026 07:28:00 GMT", now), 0, "a date in the past");
  // Hostile or absurd values: clamped to a day, or not a wait at all.
  assert.equal(retryAfterSeconds("9".repeat(400), now), MAX_RETRY_AFTER_S);
  assert.equal(retryAfterSeconds("Fri, 01 Jan 9999 00:00:00 GMT", now), MAX_RETRY_AFTER_S);
  for (
    const v of [
      null,
      undefined,
      "",
      "-5",
      "1.5",
      "1e3",
      "Infinity",
      "NaN",
      "0x10",
      "soon",
      "\u001b]52;c;cHduZWQ=\u0007",
      "2\u001b[2J",
      "Wed, 21 Oct 2026 07:28:00 PST",
      "Wed, 21 Foo 2026 07:28:00 GMT",
      "Wed, 99 Oct 2026 07:28:00 GMT",
      "Wed, 21 Oct 2026 25:28:00 GMT",
      "Wednesday, 21-Oct-26 07:28:00 GMT",
    ]
  ) {
    assert.equal(retryAfterSeconds(v, now), undefined, JSON.stringify(v));
  }
});
