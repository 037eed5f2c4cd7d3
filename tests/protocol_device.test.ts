import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { deviceExpiresMs, pollIntervalMs } from "../lib/auth/device.ts";
import type { InterruptSignal } from "../lib/deps.ts";
import { siteKey } from "../lib/store/state_store.ts";
import { FakeClock } from "./fakes/clock.ts";
import { fetchStub, json, type SeenRequest } from "./protocol_fetch_stub.ts";
import { localEnv, runPup, tempDir, testDeps } from "./helpers.ts";

const SITE = "127.0.0.1:9";
const BASE = `http://${SITE}`;
const DEVICE = "/oauth2/v1/device/authorize";
const TOKEN = "/oauth2/v1/token";

interface Server {
  /** The device authorization answer. */
  start?: () => Response;
  /** The token endpoint's answers, one per poll (the last one repeats). */
  polls: (() => Response)[];
}

const pending = () => json(400, { error: "authorization_pending" });
const slowDown = () => json(400, { error: "slow_down" });
const approved = (extra: Record<string, unknown> = {}) => () =>
  json(200, {
    access_token: "device-access",
    refresh_token: "device-refresh",
    token_type: "Bearer",
    expires_in: 3600,
    ...extra,
  });
const redirectAway = () =>
  new Response("", { status: 307, headers: { location: "https://evil.example/steal" } });

function startAnswer(extra: Record<string, unknown> = {}) {
  return () =>
    json(200, {
      device_code: "dev-code-secret",
      user_code: "ABCD-EFGH",
      verification_uri: `${BASE}/device`,
      interval: 5,
      expires_in: 600,
      ...extra,
    });
}

/**
 * Runs `pup auth login --device` against a stub server on the fake clock, moving time a
 * second at a time until the command ends. Returns what it printed, the requests and the
 * fake time of each poll.
 */
async function runDevice(
  server: Server,
  args: string[] = [],
  options: {
    /** stderr is a terminal. */
    tty?: boolean;
    env?: Record<string, string>;
    /** Sends Ctrl-C once this many fake milliseconds have passed after the code is shown. */
    interruptAfterMs?: number;
    /** The signal that interrupt is (default SIGINT, Ctrl-C). */
    signal?: InterruptSignal;
  } = {},
) {
  const dir = await tempDir();
  const clock = new FakeClock();
  const pollTimes: number[] = [];
  let startedAt = NaN;
  let poll = 0;
  const stub = fetchStub((req: SeenRequest) => {
    const path = req.url.pathname;
    if (req.url.host !== SITE) return json(200, { stolen: true });
    if (path === "/.well-known/oauth-authorization-server") {
      return json(200, {
        issuer: BASE,
        token_endpoint: BASE + TOKEN,
        device_authorization_endpoint: BASE + DEVICE,
      });
    }
    if (path === "/api/v2/oauth2/register") {
      return json(201, { client_id: "cid", client_secret: "client-secret" });
    }
    if (path === DEVICE) {
      startedAt = clock.now();
      return (server.start ?? startAnswer())();
    }
    if (path === TOKEN) {
      pollTimes.push(clock.now());
      return server.polls[Math.min(poll++, server.polls.length - 1)]();
    }
    return undefined;
  });
  const deps = testDeps(localEnv(SITE, dir.path, options.env), { fetch: stub.fetch, clock });
  deps.io.stderrIsTTY = options.tty ?? false;
  let interrupt: (() => void) | undefined;
  deps.host.onInterrupt = (handler) => {
    interrupt = () => handler(options.signal ?? "SIGINT");
    return () => (interrupt = undefined);
  };
  let result: Awaited<ReturnType<typeof runPup>> | undefined;
  const running = runPup(["auth", "login", "--device", ...args], deps).then((r) => (result = r));
  for (let steps = 0; !result && steps < 5_000; steps++) {
    await clock.advance(1_000);
    if (
      options.interruptAfterMs !== undefined && clock.now() - startedAt >= options.interruptAfterMs
    ) {
      interrupt?.();
    }
  }
  await running;
  // Whatever is written once the command has ended (a line still redrawing itself).
  await clock.advance(5_000);
  const drawnAfter = deps.stderr().slice(result!.stderr.length);
  const tokensFile = join(dir.path, `tokens_${siteKey(SITE)}.json`);
  const stored = await readFile(tokensFile, "utf8").then(JSON.parse, () => undefined);
  await dir.remove();
  return { r: result!, seen: stub.seen, pollTimes, startedAt, stored, drawnAfter };
}

test("a 307 from the device authorization endpoint is refused, never re-posted elsewhere", async () => {
  const { r, seen } = await runDevice({ start: redirectAway, polls: [pending] });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /device authorization failed: HTTP 307 redirect/);
  assert.deepEqual(seen.filter((s) => s.url.host !== SITE).map((s) => s.url.href), []);
  assert.ok(seen.every((s) => s.redirect === "manual"));
});

test("an error answer at the device authorization reads like every OAuth step's: its code, neutralised, and a retry hint for 5xx/429", async () => {
  // Was "HTTP 500: no device_code" with no hint, and the error code without its description.
  const denied = await runDevice({
    start: () =>
      json(400, {
        error: "unauthorized_client",
        error_description: "device grant \u001b]0;owned\u0007not \u202eenabled",
      }),
    polls: [pending],
  });
  assert.equal(denied.r.code, 1, denied.r.stderr);
  assert.match(
    denied.r.stderr,
    /device authorization failed: HTTP 400: unauthorized_client: device grant .*not .*enabled/,
  );
  for (const c of ["\u001b", "\u0007", "\u202e"]) {
    assert.ok(!denied.r.stderr.includes(c), "the description is neutralised");
  }
  assert.doesNotMatch(denied.r.stderr, /try again/);
  const failed = await runDevice({
    start: () => json(502, { errors: ["upstream"] }),
    polls: [pending],
  });
  assert.equal(failed.r.code, 1, failed.r.stderr);
  assert.match(
    failed.r.stderr,
    /device authorization failed: HTTP 502: no error code in the answer/,
  );
  assert.match(failed.r.stderr, /the server failed; try again in a moment/);
  assert.doesNotMatch(failed.r.stderr, /no device_code/);
  const limited = await runDevice({
    start: () =>
      new Response("{}", {
        status: 429,
        headers: { "content-type": "application/json", "retry-after": "7" },
      }),
    polls: [pending],
  });
  assert.equal(limited.r.code, 1, limited.r.stderr);
  assert.match(limited.r.stderr, /HTTP 429: too many requests/);
  assert.match(limited.r.stderr, /rate limited \(HTTP 429\).*try again in 7 s/);
  for (const run of [denied, failed, limited]) assert.equal(run.pollTimes.length, 0, "no polling");
});

test("invalid_scope at the device authorization or while polling is exit 4 with the --device retry command", async () => {
  // The poll's was "device login failed: invalid_scope" (exit 1); the authorization's went
  // through the exit-2 mapping. Both now read like the authorize redirect's (exit 4).
  const refuse = () =>
    json(400, { error: "invalid_scope", error_description: "apm_read is not allowed" });
  const args = ["--org", "acme", "--scopes", "monitors_read,apm_read"];
  for (const server of [{ start: refuse, polls: [pending] }, { polls: [pending, refuse] }]) {
    const { r, stored } = await runDevice(server, args);
    assert.equal(r.code, 4, r.stderr);
    assert.match(
      r.stderr,
      /failed: the authorization server refused the requested scopes: apm_read/,
    );
    assert.match(
      r.stderr,
      /^ {2}pup auth login --device --site 127\.0\.0\.1:9 --org acme --scopes monitors_read$/m,
    );
    assert.equal(stored, undefined);
  }
});

test("a 307 from the token endpoint while polling is refused, never re-posted elsewhere", async () => {
  const { r, seen } = await runDevice({ polls: [pending, redirectAway] });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /device login failed: HTTP 307 redirect/);
  assert.deepEqual(seen.filter((s) => s.url.host !== SITE).map((s) => s.url.href), []);
  assert.ok(!r.stderr.includes("client-secret") && !r.stderr.includes("dev-code-secret"));
});

test("an interval of 0 does not busy-poll: pup waits the default 5 s between polls", async () => {
  const { r, pollTimes, startedAt } = await runDevice({
    start: startAnswer({ interval: 0 }),
    polls: [pending, pending, approved()],
  });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(pollTimes.map((t) => t - startedAt), [5_000, 10_000, 15_000]);
});

test("a negative or absurd interval is clamped (default 5 s, at least 1 s, at most 5 minutes)", () => {
  for (const v of [0, -3, "soon", null, undefined, NaN]) assert.equal(pollIntervalMs(v), 5_000);
  assert.equal(pollIntervalMs(0.001), 1_000);
  assert.equal(pollIntervalMs("2"), 2_000);
  assert.equal(pollIntervalMs(1e300), 300_000);
  assert.equal(pollIntervalMs(Infinity), 300_000);
  assert.equal(deviceExpiresMs(1e300), 86_400_000);
  assert.equal(deviceExpiresMs(-1), 900_000);
});

test("slow_down adds 5 s to the interval (RFC 8628 §3.5)", async () => {
  const { r, pollTimes, startedAt } = await runDevice({
    start: startAnswer({ interval: 2 }),
    polls: [slowDown, pending, approved()],
  });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(pollTimes.map((t) => t - startedAt), [2_000, 9_000, 16_000]);
});

test("polling stops when the device code expires (expires_in), with exit 4", async () => {
  const { r, pollTimes } = await runDevice({
    start: startAnswer({ interval: 5, expires_in: 12 }),
    polls: [pending],
  });
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, /timeout waiting for the device login to be approved/);
  assert.equal(pollTimes.length, 2);
});

test("a device token with expires_in Infinity or 1e400 is clamped and stored", async () => {
  for (const expires of ['"Infinity"', "1e400", '"1e300"']) {
    const raw =
      `{"access_token":"device-access","refresh_token":"device-refresh","expires_in":${expires}}`;
    const { r, stored } = await runDevice({
      start: startAnswer({ interval: 1 }),
      polls: [() => json(200, null, raw)],
    });
    assert.equal(r.code, 0, `${expires}: ${r.stderr}`);
    const token = stored.__default__;
    assert.equal(token.expires_in, 365 * 24 * 3600, expires);
    assert.ok(Number.isFinite(Date.parse(token.expires_at)), expires);
    assert.equal(token.refresh_token, "device-refresh");
  }
});

test("a device token with a control character is refused when it arrives", async () => {
  const { r, stored } = await runDevice({
    start: startAnswer({ interval: 1 }),
    polls: [approved({ access_token: "abc\r\nX-Injected: 1" })],
  });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /access_token has characters a token may not have/);
  assert.equal(stored?.__default__, undefined);
});

const CLEAR = "\r\x1b[2K";
const DIM = "\x1b[2m";

test("on a terminal the device login shows a live line with the time left, cleared when approved", async () => {
  const { r, drawnAfter } = await runDevice(
    { start: startAnswer({ interval: 5, expires_in: 120 }), polls: [pending, pending, approved()] },
    [],
    { tty: true },
  );
  assert.equal(r.code, 0, r.stderr);
  const code = r.stderr.indexOf("enter the code: ABCD-EFGH");
  const first = r.stderr.indexOf(
    `${CLEAR}${DIM}Waiting for you to approve the device login… 2:00 left (Ctrl-C to cancel)`,
  );
  assert.ok(code >= 0 && first > code, r.stderr);
  // Redrawn in place each second: 1:59 … 1:46 (three polls 5 s apart).
  for (const left of ["1:59", "1:50", "1:46"]) {
    assert.ok(
      r.stderr.includes(
        `${CLEAR}${DIM}Waiting for you to approve the device login… ${left} left`,
      ),
      left,
    );
  }
  assert.ok(!r.stderr.includes("1:44 left"), "redrawn after polling ended");
  // Cleared when the wait ends: nothing of the line is left after the last clear.
  assert.ok(r.stderr.endsWith(CLEAR), JSON.stringify(r.stderr.slice(-80)));
  assert.match(r.stdout, /Logged in/);
  assert.equal(drawnAfter, "", "the line was drawn after the command ended");
});

test("with no terminal on stderr the device login prints one plain waiting line, no \\r and no escape codes", async () => {
  for (const [tty, env] of [[false, {}], [true, { TERM: "dumb" }]] as const) {
    const { r } = await runDevice(
      { start: startAnswer({ interval: 5, expires_in: 120 }), polls: [pending, approved()] },
      [],
      { tty, env },
    );
    assert.equal(r.code, 0, r.stderr);
    // deno-lint-ignore no-control-regex
    assert.ok(!/[\r\x1b]/.test(r.stderr), JSON.stringify(r.stderr));
    const lines = r.stderr.split("\n").filter((l) => l.startsWith("Waiting"));
    assert.deepEqual(lines, [
      "Waiting for you to approve the device login (up to 2:00; Ctrl-C to cancel)…",
    ]);
  }
});

test("the device waiting line counts down to the login's --timeout when it comes before expires_in", async () => {
  const { r } = await runDevice(
    { start: startAnswer({ interval: 5, expires_in: 600 }), polls: [approved()] },
    ["--timeout", "90"],
    { tty: true, env: { NO_COLOR: "1" } },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.ok(
    r.stderr.includes(
      `${CLEAR}Waiting for you to approve the device login… 1:30 left (Ctrl-C to cancel)`,
    ),
    r.stderr,
  );
  assert.ok(!r.stderr.includes(DIM), "dimmed despite NO_COLOR");
});

test("when the device code expires the waiting line is cleared before the timeout error", async () => {
  const { r, drawnAfter } = await runDevice(
    { start: startAnswer({ interval: 5, expires_in: 12 }), polls: [pending] },
    [],
    { tty: true },
  );
  assert.equal(r.code, 4, r.stderr);
  const error = r.stderr.indexOf("timeout waiting for the device login to be approved");
  assert.ok(error > 0, r.stderr);
  const before = r.stderr.slice(0, error);
  assert.ok(
    before.lastIndexOf(CLEAR) > before.lastIndexOf("left (Ctrl-C"),
    JSON.stringify(before.slice(-120)),
  );
  assert.ok(!r.stderr.slice(error).includes("left (Ctrl-C"), "redrawn after the error");
  assert.equal(drawnAfter, "", "the line was drawn after the command ended");
});

test("SIGTERM / SIGHUP while the device login polls exit 143 / 129 (128 + the signal's number), storing nothing", async () => {
  // Was 130 whatever the signal (lib/auth/wait.ts interruptedError, via interruptible()).
  for (const [signal, code] of [["SIGTERM", 143], ["SIGHUP", 129]] as const) {
    const { r, stored } = await runDevice(
      { start: startAnswer({ interval: 5, expires_in: 600 }), polls: [pending] },
      [],
      { interruptAfterMs: 7_000, signal },
    );
    assert.equal(r.code, code, `${signal}: ${r.stderr}`);
    assert.match(r.stderr, /login interrupted/);
    assert.equal(stored, undefined);
  }
});

test("Ctrl-C while the device login polls clears the waiting line, then says login interrupted (exit 130)", async () => {
  const { r, pollTimes, stored, drawnAfter } = await runDevice(
    { start: startAnswer({ interval: 5, expires_in: 600 }), polls: [pending] },
    [],
    { tty: true, interruptAfterMs: 7_000 },
  );
  assert.equal(r.code, 130, r.stderr);
  assert.equal(pollTimes.length, 1);
  assert.equal(stored?.__default__, undefined);
  const said = r.stderr.indexOf("login interrupted");
  assert.ok(said > 0, r.stderr);
  const before = r.stderr.slice(0, said);
  assert.ok(
    before.lastIndexOf(CLEAR) > before.lastIndexOf("left (Ctrl-C"),
    JSON.stringify(before.slice(-120)),
  );
  assert.ok(!r.stderr.slice(said).includes("left (Ctrl-C"), "redrawn after the interrupt");
  assert.equal(drawnAfter, "", "the line was drawn after the command ended");
});
