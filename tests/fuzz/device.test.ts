/**
 * Property-based fuzzing (fast-check) of the device login's answers (RFC 8628): the device
 * authorization and every poll of the token endpoint answer anything a server might. Each run
 * ends in a session or a clear PupError exit — never a crash or a hang. In-process, with a fake
 * fetch and a clock whose sleep advances time at once (no real waiting, no socket).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Clock } from "../../lib/deps.ts";
import { localEnv, runPup, tempDir, testDeps, withTempDir } from "../helpers.ts";
import { tally } from "./tally.ts";

const RUNS = 120;
const SITE = "127.0.0.1:9";
const BASE = `http://${SITE}`;
/** The most token polls one run may make before the fake answers access_denied. */
const MAX_POLLS = 40;

/** A clock whose sleep returns at once, having moved time forward by the delay. */
function instantClock(): Clock {
  let t = Date.parse("2026-01-01T00:00:00Z");
  return {
    now: () => t,
    sleep: (ms) => {
      t += Math.max(0, Number.isFinite(ms) ? ms : 0);
      return Promise.resolve();
    },
    timeout: () => new AbortController().signal,
  };
}

const str = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom("\x1b]0;x\x07", "\u202e", ""),
);
const num = fc.oneof(
  fc.integer({ min: -5, max: 2000 }),
  fc.constantFrom(0, 1, 5, 1e13, 1e300, -1),
);
const anyField = fc.oneof(str, num, fc.constant(null), fc.boolean(), fc.constant({}));
const deviceAnswer = fc.record(
  {
    device_code: fc.oneof(fc.constant("dc-1"), anyField),
    user_code: fc.oneof(fc.constant("ABCD-EFGH"), anyField),
    verification_uri: fc.oneof(fc.constant(`${BASE}/device`), anyField),
    verification_uri_complete: anyField,
    interval: fc.oneof(fc.constantFrom(1, 5), anyField),
    expires_in: fc.oneof(fc.constantFrom(60, 900), anyField),
    error: anyField,
  },
  { requiredKeys: [] },
);
const pollAnswer = fc.oneof(
  fc.constant({ error: "authorization_pending" }),
  fc.constant({ error: "slow_down" }),
  fc.constantFrom({ error: "access_denied" }, { error: "expired_token" }),
  fc.record(
    {
      access_token: fc.oneof(fc.constant("at-1"), anyField),
      refresh_token: anyField,
      token_type: anyField,
      expires_in: fc.oneof(fc.constantFrom(3600, 60), fc.integer({ min: -10, max: 100000 })),
      scope: anyField,
      error: anyField,
    },
    { requiredKeys: [] },
  ),
);
/** Mostly a well-formed 200 (so the flow goes on), else any status, truncated or not JSON. */
const reply = <T>(answer: T) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant({ status: 200, text: JSON.stringify(answer) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        status: fc.constantFrom(200, 400, 401, 500),
        text: fc.oneof(
          fc.constant(JSON.stringify(answer)),
          fc.constant(JSON.stringify(answer).slice(0, 5)),
          fc.constant("<html>"),
        ),
      }),
    },
  );
const goodDevice = fc.record({
  device_code: fc.constant("dc-1"),
  user_code: fc.oneof(fc.constant("ABCD-EFGH"), str),
  verification_uri: fc.oneof(fc.constant(`${BASE}/device`), str),
  interval: fc.oneof(fc.constantFrom(1, 5), num),
  expires_in: fc.oneof(fc.constantFrom(60, 900), num),
});
const scenario = fc.record({
  device: fc.oneof(
    { weight: 3, arbitrary: goodDevice },
    { weight: 1, arbitrary: deviceAnswer },
  ).chain((a) => reply(a)),
  polls: fc.array(pollAnswer.chain((a) => reply(a)), { minLength: 1, maxLength: 6 }),
});

test("every device authorization and token poll answer ends in a session or a clear exit", async () => {
  const dir = await tempDir();
  let inputs = 0;
  const exits = new Map<number, number>();
  let polled = 0;
  try {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        inputs++;
        let polls = 0;
        const fetcher: typeof fetch = (input) => {
          const url = new URL(input instanceof Request ? input.url : String(input));
          const json = (status: number, text: string) =>
            Promise.resolve(
              new Response(text, { status, headers: { "content-type": "application/json" } }),
            );
          if (url.pathname === "/.well-known/oauth-authorization-server") {
            return json(
              200,
              JSON.stringify({
                issuer: BASE,
                token_endpoint: `${BASE}/oauth2/v1/token`,
                device_authorization_endpoint: `${BASE}/oauth2/v1/device/authorize`,
              }),
            );
          }
          if (url.pathname === "/api/v2/oauth2/register" || url.pathname.includes("register")) {
            return json(201, JSON.stringify({ client_id: "cid", client_secret: "cs" }));
          }
          if (url.pathname === "/oauth2/v1/device/authorize") {
            return json(s.device.status, s.device.text);
          }
          if (url.pathname === "/oauth2/v1/token") {
            polls++;
            if (polls > MAX_POLLS) return json(400, JSON.stringify({ error: "access_denied" }));
            const p = s.polls[Math.min(polls - 1, s.polls.length - 1)];
            return json(p.status, p.text);
          }
          return json(404, "{}");
        };
        const deps = testDeps(localEnv(SITE, dir.path), { fetch: fetcher, clock: instantClock() });
        const r = await runPup(["auth", "login", "--device"], deps);
        assert.ok([0, 1, 2, 4].includes(r.code), `exit ${r.code}`);
        exits.set(r.code, (exits.get(r.code) ?? 0) + 1);
        if (polls > 0) polled++;
        assert.doesNotMatch(r.stderr, /unexpected failure|bug in pup/, r.stderr);
        assert.doesNotMatch(
          r.stderr + r.stdout,
          // deno-lint-ignore no-control-regex
          /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/,
        );
      }),
      { numRuns: RUNS },
    );
  } finally {
    await dir.remove();
  }
  // The scenarios reached every outcome: logged in, failed, denied — and the polling loop.
  assert.ok(
    (exits.get(0) ?? 0) > 0 && (exits.get(1) ?? 0) > 0 && (exits.get(4) ?? 0) > 0,
    [
      ...exits,
    ].join(" "),
  );
  assert.ok(polled > RUNS / 10, `${polled} runs polled`);
  tally({ suite: "fuzz/device", inputs });
});

test(
  "a device interval of 0 or less does not busy-poll the token endpoint",
  () =>
    withTempDir(async (dir) => {
      for (const interval of [0, -1, -5]) {
        let polls = 0;
        const fetcher: typeof fetch = (input) => {
          const path = new URL(input instanceof Request ? input.url : String(input)).pathname;
          const json = (status: number, body: unknown) =>
            Promise.resolve(new Response(JSON.stringify(body), { status }));
          if (path === "/.well-known/oauth-authorization-server") {
            return json(200, {
              token_endpoint: `${BASE}/oauth2/v1/token`,
              device_authorization_endpoint: `${BASE}/oauth2/v1/device/authorize`,
            });
          }
          if (path === "/api/v2/oauth2/register") return json(201, { client_id: "cid" });
          if (path === "/oauth2/v1/device/authorize") {
            return json(200, { device_code: "d", user_code: "U", interval, expires_in: 60 });
          }
          polls++;
          return json(400, {
            error: polls > MAX_POLLS ? "access_denied" : "authorization_pending",
          });
        };
        const deps = testDeps(localEnv(SITE, dir.path), { fetch: fetcher, clock: instantClock() });
        await runPup(["auth", "login", "--device"], deps);
        // 60 s at RFC 8628's 5 s default interval: at most 12 polls.
        assert.ok(polls <= 12, `interval ${interval}: ${polls} polls in 60 s`);
      }
    }),
);
