/**
 * @module
 * The fake Datadog over a real socket, as the end-to-end tests use it (the compiled binary talks
 * to it): `startFakeDatadog` and the standalone `tests/fakes/datadog_server.ts`. Its rules are
 * pinned down in process in tests/fake_datadog.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { EXPECTED_DCR, startFakeDatadog } from "../fakes/datadog.ts";

const KEYS = { "DD-API-KEY": "test-api-key", "DD-APPLICATION-KEY": "test-app-key" };

test("startFakeDatadog serves on 127.0.0.1 and stops serving when closed", async () => {
  const fake = await startFakeDatadog();
  let closed = false;
  try {
    assert.match(fake.site, /^127\.0\.0\.1:\d+$/);
    assert.equal(fake.url, `http://${fake.site}`);
    const reg = await fetch(`${fake.url}/api/v2/oauth2/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(EXPECTED_DCR),
    });
    assert.equal(reg.status, 201);
    assert.ok((await reg.json()).client_id);
    const res = await fetch(`${fake.url}/api/v1/validate`, { headers: KEYS });
    assert.deepEqual(await res.json(), { valid: true });
    assert.equal(fake.requests.at(-1)?.headers.host, fake.site);
    await fake.close();
    closed = true;
    await assert.rejects(fetch(`${fake.url}/api/v1/validate`, { headers: KEYS }));
  } finally {
    if (!closed) await fake.close();
  }
});

test("delayMs holds an answer, and close() wakes it instead of waiting", async () => {
  const fake = await startFakeDatadog();
  let closed = false;
  try {
    fake.knobs.delayMs["/api/v1/validate"] = 3_600_000;
    let answered = false;
    const pending = fetch(`${fake.url}/api/v1/validate`, { headers: KEYS }).then(async (r) => {
      answered = true;
      await r.body?.cancel();
      return r.status;
    }, () => "aborted");
    // The held request has arrived; another path still answers, the held one does not.
    while (fake.count("GET", "/api/v1/validate") < 1) {
      const probe = await fetch(`${fake.url}/api/v1/nothing`, { headers: KEYS });
      await probe.body?.cancel();
    }
    const other = await fetch(`${fake.url}/api/v1/monitor`, { headers: KEYS });
    assert.equal(other.status, 200);
    await other.body?.cancel();
    assert.equal(answered, false, "the delayed answer came before its delay");
    await fake.close(); // an hour-long delay: the test would time out if close() waited
    closed = true;
    assert.ok([200, "aborted"].includes(await pending));
  } finally {
    if (!closed) await fake.close();
  }
});

test("the standalone server prints its address as one JSON line and serves", async () => {
  const script = new URL("../fakes/datadog_server.ts", import.meta.url).pathname;
  // deno-lint-ignore no-explicit-any
  const isDeno = typeof (globalThis as any).Deno !== "undefined";
  const args = isDeno ? ["run", "-A", script, "--port", "0"] : [script, "--port", "0"];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let out = "";
      let err = "";
      child.stdout!.on("data", (d) => {
        out += d;
        if (out.includes("\n")) resolve(out.split("\n")[0]);
      });
      child.stderr!.on("data", (d) => (err += d));
      child.on("exit", (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
    const info = JSON.parse(line);
    assert.deepEqual(Object.keys(info), ["site", "url"]);
    assert.match(info.site, /^127\.0\.0\.1:\d+$/);
    assert.equal(info.url, `http://${info.site}`);
    const res = await fetch(`${info.url}/api/v1/validate`, { headers: KEYS });
    assert.deepEqual(await res.json(), { valid: true });
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
});
