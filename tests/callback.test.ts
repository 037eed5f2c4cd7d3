import { test } from "node:test";
import assert from "node:assert/strict";
import {
  bindCallback,
  callbackApp,
  type CallbackOutcome,
  judgeCallback,
  outcomeError,
  parseCallbackPort,
} from "../lib/auth/callback.ts";
import { PupError } from "../lib/errors.ts";
import { FakeServe } from "./fakes/serve.ts";

const STATE = "s".repeat(32);
const HOST = { host: "127.0.0.1:8000" };

function app() {
  const outcomes: CallbackOutcome[] = [];
  return { app: callbackApp(8000, STATE, (o) => outcomes.push(o)), outcomes };
}

test("a callback with the right state and a code ends the wait with a page that shows no code", async () => {
  const { app: a, outcomes } = app();
  const res = await a.request(`/callback?code=SECRETCODE123&state=${STATE}`, { headers: HOST });
  assert.equal(res.status, 200);
  assert.deepEqual(outcomes, [], "the wait ends only once the page is delivered");
  const body = await res.text();
  assert.ok(!body.includes("SECRETCODE123"));
  assert.match(body, /Authorization complete/);
  assert.deepEqual(outcomes, [{ kind: "code", code: "SECRETCODE123" }]);
  assert.equal(res.headers.get("cache-control"), "no-store");
});

test("a wrong path is a 404 and does not end the wait", async () => {
  const { app: a, outcomes } = app();
  const res = await a.request(`/other?code=x&state=${STATE}`, { headers: HOST });
  assert.equal(res.status, 404);
  assert.equal(outcomes.length, 0);
});

test("a method other than GET is a 405 and does not end the wait", async () => {
  const { app: a, outcomes } = app();
  for (const method of ["POST", "PUT", "DELETE"]) {
    const res = await a.request(`/callback?code=x&state=${STATE}`, { method, headers: HOST });
    assert.equal(res.status, 405, method);
  }
  assert.equal(outcomes.length, 0);
});

test("a Host other than 127.0.0.1:<port> is a 400 (DNS rebinding) and does not end the wait", async () => {
  const { app: a, outcomes } = app();
  for (const host of ["localhost:8000", "evil.example:8000", "127.0.0.1:8080", "127.0.0.1"]) {
    const res = await a.request(`/callback?code=x&state=${STATE}`, { headers: { host } });
    assert.equal(res.status, 400, host);
  }
  assert.equal(outcomes.length, 0);
});

test("a wrong or missing state ends the wait as a CSRF failure with a 400 page", async () => {
  for (const query of [`code=x&state=${"t".repeat(32)}`, "code=x", `code=x&state=${STATE}x`]) {
    const { app: a, outcomes } = app();
    const res = await a.request(`/callback?${query}`, { headers: HOST });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /Login failed/);
    assert.deepEqual(outcomes, [{ kind: "state_mismatch" }]);
    const err = outcomeError(outcomes[0])!;
    assert.equal(err.message, "state parameter mismatch (CSRF protection)");
    assert.equal(err.exitCode, 4);
  }
});

test("error= ends the wait with that error and exit code 4", async () => {
  const { app: a, outcomes } = app();
  const res = await a.request(
    `/callback?error=access_denied&error_description=User+said+no&state=${STATE}`,
    { headers: HOST },
  );
  assert.equal(res.status, 400);
  assert.equal(res.headers.get("connection"), "close");
  assert.match(await res.text(), /access_denied/);
  const err = outcomeError(outcomes[0])!;
  assert.equal(err.code, "authorization_denied");
  assert.equal(err.exitCode, 4);
  assert.match(err.message, /access_denied \(User said no\)/);
});

test("error text from the query is escaped in the page and stripped of control characters", async () => {
  const { app: a, outcomes } = app();
  const res = await a.request(
    `/callback?error=${encodeURIComponent("<script>x</script>\u001b[31m")}&state=${STATE}`,
    { headers: HOST },
  );
  const body = await res.text();
  assert.ok(!body.includes("<script>x"));
  assert.ok(!(outcomes[0] as { error: string }).error.includes("\u001b"));
});

test("only the first decisive callback counts", async () => {
  const { app: a, outcomes } = app();
  await (await a.request(`/callback?code=one&state=${STATE}`, { headers: HOST })).text();
  const second = await a.request(`/callback?code=two&state=${STATE}`, { headers: HOST });
  assert.equal(second.status, 409);
  assert.equal(outcomes.length, 1);
});

test("a callback without a code is an error, not a success", () => {
  const o = judgeCallback(new URLSearchParams(`state=${STATE}`), STATE);
  assert.equal(o.kind, "error");
});

test("a pinned port must be one of the four registered", () => {
  for (const p of ["8000", "8080", "8888", "9000"]) {
    assert.equal(parseCallbackPort(p, "--callback-port"), Number(p));
  }
  for (const p of ["80", "8001", "abc", "8000.0", ""]) {
    assert.throws(() => parseCallbackPort(p, "--callback-port"), (e: PupError) => e.exitCode === 2);
  }
});

test("a client that goes away before reading the page still ends the wait", async () => {
  const { app: a, outcomes } = app();
  const res = await a.request(`/callback?code=x&state=${STATE}`, { headers: HOST });
  await res.body!.cancel();
  assert.deepEqual(outcomes, [{ kind: "code", code: "x" }]);
});

test("the scan takes the next free port when the first is busy, and a pinned busy port fails fast", async () => {
  const ok = () => new Response("busy");
  const net = new FakeServe();
  net.busy.add(8000);
  const s = await bindCallback(net.serve, () => ok);
  assert.equal(s.port, 8080);
  await s.close();
  await assert.rejects(
    bindCallback(net.serve, () => ok, 8000),
    (e: PupError) => e.code === "port_unavailable" && /8000/.test(e.message),
  );
});

test("when all four ports are busy the error lists them", async () => {
  const ok = () => new Response("busy");
  const net = new FakeServe();
  for (const port of [8000, 8080, 8888, 9000]) net.busy.add(port);
  await assert.rejects(
    bindCallback(net.serve, () => ok),
    (e: PupError) => e.code === "port_unavailable" && /8000, 8080, 8888 and 9000/.test(e.message),
  );
});
