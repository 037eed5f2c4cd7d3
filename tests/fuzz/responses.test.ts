/**
 * Property-based fuzzing (fast-check) of what servers answer: DCR, token (code exchange and
 * refresh) and metadata responses, and API error bodies. Each answer gives a value or a clear
 * PupError — never a TypeError or RangeError, never a hang. Requests go to a fake `fetch`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { PupError } from "../../lib/errors.ts";
import {
  exchangeCode,
  type OAuthDeps,
  refreshAccessToken,
  registerClient,
} from "../../lib/auth/oauth_client.ts";
import { requestMetadata } from "../../lib/auth/oauth_optional.ts";
import { datadogErrors, missingScopes, responseError } from "../../lib/api/errors.ts";
import { FakeClock } from "../fakes/clock.ts";
import { tally } from "./tally.ts";

const RUNS = 250;
let inputs = 0;
const SITE = "127.0.0.1:9";
const CLIENT = { client_id: "cid", client_secret: "cs", registered_at: "2026-01-01T00:00:00Z" };
const TOKEN = {
  access_token: "old-at",
  refresh_token: "old-rt",
  token_type: "Bearer",
  expires_in: 3600,
  expires_at: "2026-01-01T01:00:00.000Z",
  scope: "monitors_read",
};

/** Numbers a server might send, the extremes of issue 9 aside (see the todo test below). */
const sane = fc.oneof(
  fc.integer({ min: -10, max: 10_000_000 }),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
);
const EXTREME = [1e13, 1e300, Infinity, -Infinity, NaN, "1e300", "Infinity", "1e400", 2 ** 53];
const field = (n: fc.Arbitrary<unknown>) =>
  fc.oneof(
    fc.string({ maxLength: 20 }),
    n,
    fc.constant(null),
    fc.boolean(),
    fc.constant({}),
    fc.constant([]),
  );

function tokenAnswer(numbers: fc.Arbitrary<unknown>) {
  return fc.record(
    {
      access_token: field(numbers),
      refresh_token: field(numbers),
      token_type: field(numbers),
      expires_in: fc.oneof(numbers, numbers.map(String), field(numbers)),
      scope: field(numbers),
      error: field(numbers),
      error_description: field(numbers),
      client_id: field(numbers),
      client_secret: field(numbers),
    },
    { requiredKeys: [] },
  );
}

/** A body: JSON of the right shape, any JSON, truncated JSON, or not JSON at all. */
function body(numbers: fc.Arbitrary<unknown>) {
  return fc.oneof(
    tokenAnswer(numbers).map((o) => JSON.stringify(o)),
    fc.json({ maxDepth: 2 }),
    tokenAnswer(numbers).chain((o) => {
      const text = JSON.stringify(o);
      return fc.nat({ max: text.length }).map((n) => text.slice(0, n));
    }),
    fc.string({ maxLength: 40 }),
    fc.constant(""),
  );
}

const answer = (numbers: fc.Arbitrary<unknown>) =>
  fc.record({
    status: fc.constantFrom(200, 201, 204, 400, 401, 403, 404, 429, 500, 502, 503),
    body: body(numbers),
    type: fc.constantFrom("application/json", "text/html", "text/plain", ""),
  });

function deps(a: { status: number; body: string; type: string }): OAuthDeps {
  return {
    clock: new FakeClock(Date.parse("2026-01-01T00:00:00Z")),
    fetch: () =>
      Promise.resolve(
        new Response(a.status === 204 ? null : a.body, {
          status: a.status,
          headers: a.type ? { "content-type": a.type } : {},
        }),
      ),
  };
}

async function clear<T>(p: Promise<T>): Promise<T | PupError> {
  try {
    return await p;
  } catch (err) {
    assert.ok(err instanceof PupError, `not a PupError: ${(err as Error)?.stack ?? err}`);
    assert.match(err.message, /^[^A-Z]/);
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(err.message, /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
    return err;
  }
}

function assertToken(t: unknown) {
  const token = t as typeof TOKEN;
  assert.equal(typeof token.access_token, "string");
  assert.ok(token.access_token.length > 0);
  assert.ok(!Number.isNaN(Date.parse(token.expires_at)), token.expires_at);
  assert.ok(Number.isFinite(token.expires_in) && token.expires_in > 0, String(token.expires_in));
}

async function fuzzTokenSteps(numbers: fc.Arbitrary<unknown>) {
  await fc.assert(
    fc.asyncProperty(answer(numbers), async (a) => {
      inputs += 3;
      const exchanged = await clear(
        exchangeCode(deps(a), SITE, CLIENT, {
          code: "c",
          redirectUri: "http://127.0.0.1:8000/callback",
          verifier: "v",
          scope: "s",
        }),
      );
      if (!(exchanged instanceof PupError)) assertToken(exchanged);
      const refreshed = await clear(refreshAccessToken(deps(a), SITE, CLIENT, TOKEN));
      if (!(refreshed instanceof PupError)) {
        assertToken(refreshed);
        assert.equal(
          typeof refreshed.refresh_token,
          "string",
          "a refresh never loses the refresh token",
        );
      }
      const client = await clear(registerClient(deps(a), SITE));
      if (!(client instanceof PupError)) {
        assert.equal(typeof client.client_id, "string");
        assert.ok(client.client_secret === undefined || typeof client.client_secret === "string");
      }
    }),
    { numRuns: RUNS },
  );
}

test("every token and DCR answer gives a token, a client or a PupError", async () => {
  await fuzzTokenSteps(sane);
});

test(
  'server numbers at their extremes (expires_in 1e13, 1e300, Infinity, "1e300") are clamped, never a crash',
  async () => {
    await fuzzTokenSteps(fc.constantFrom(...EXTREME));
  },
);

test("every metadata answer gives a document, null (none) or a PupError", async () => {
  await fc.assert(
    fc.asyncProperty(answer(sane), async (a) => {
      inputs++;
      const meta = await clear(requestMetadata(deps(a), SITE));
      if (meta instanceof PupError) return;
      assert.ok(meta === null || (typeof meta === "object" && !Array.isArray(meta)));
    }),
    { numRuns: RUNS },
  );
});

test("every API error body gives clean lines and a PupError with an exit code", () => {
  const errorBody = fc.oneof(
    fc.json({ maxDepth: 3 }),
    fc.record({
      errors: fc.array(
        fc.oneof(
          fc.string(),
          fc.json({ maxDepth: 1 }).map(JSON.parse),
          fc.record({ title: fc.string(), detail: fc.string() }),
        ),
        { maxLength: 4 },
      ),
    }).map((o) => JSON.stringify(o)),
    fc.string({ maxLength: 200 }),
    fc.constantFrom("", "{", "null", "[]", '{"errors":null}', '{"errors":[null]}', '{"message":5}'),
  );
  fc.assert(
    fc.property(
      errorBody,
      fc.constantFrom(400, 401, 403, 404, 409, 429, 500, 503),
      fc.constantFrom("session", "access_token_env", "api_keys"),
      (text, status, source) => {
        inputs++;
        const lines = datadogErrors(text);
        for (const l of lines) {
          assert.equal(typeof l, "string");
          assert.doesNotMatch(l, /\n/);
        }
        missingScopes(lines);
        const err = responseError({
          method: "GET",
          path: "/api/v1/x",
          status,
          statusText: "",
          body: text,
          headers: new Headers(),
          source: source as "session",
          org: undefined,
        });
        assert.ok(err instanceof PupError);
        assert.ok([1, 2, 4].includes(err.exitCode));
      },
    ),
    { numRuns: RUNS * 2 },
  );
  tally({ suite: "fuzz/responses", inputs });
});
