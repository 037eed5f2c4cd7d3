/**
 * The device login's waiting line as a user sees it (issue 13), with the compiled binary
 * (dist/pup) against the fake Datadog on a real socket: under a pseudo-terminal (`script`) a
 * live line with the time left, cleared before the result; with plain pipes no `\r`, no escape
 * code and one plain line. The fake polls every second (its smallest interval), so these wait
 * in real time — the line's timing itself is tested on the fake clock in
 * tests/protocol_device.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { oauthMetadata } from "../fakes/datadog.ts";
import { localEnv, NO_BINARY, PUP_BIN, withFakeDatadogServer } from "../helpers.ts";

const SKIP = NO_BINARY;
const HAS_SCRIPT = spawnSync("sh", ["-c", "command -v script"]).status === 0;

/** Runs `pup auth login --device` (under `script` when `tty`); approves once `ready` holds. */
async function deviceLogin(
  tty: boolean,
  ready: (out: string) => boolean,
): Promise<{ code: number | null; out: string }> {
  return await withFakeDatadogServer(async (fake, dir) => {
    fake.knobs.metadata = oauthMetadata(fake.url);
    fake.knobs.deviceIntervalSeconds = 1;
    const env = { ...localEnv(fake.site, dir.path), TERM: "xterm-256color" };
    const args = ["auth", "login", "--device", "--timeout", "300"];
    const child = tty
      ? spawn("script", ["-q", "-e", "-c", [PUP_BIN, ...args].join(" "), "/dev/null"], { env })
      : spawn(PUP_BIN, args, { env });
    let out = "";
    let decided = false;
    const seen = (c: Buffer) => {
      out += c;
      if (!decided && ready(out)) {
        decided = true;
        fake.decideDevice("approve");
      }
    };
    child.stdout!.on("data", seen);
    child.stderr!.on("data", seen);
    const code = await new Promise<number | null>((r) => child.once("close", (c) => r(c)));
    return { code, out };
  }, { prefix: "pup-device-tty-" });
}

test(
  "under a terminal the device login's wait is a live line with the time left, cleared before the result",
  {
    skip: SKIP || (HAS_SCRIPT ? false : "script(1) is not installed"),
  },
  async () => {
    // Approve once the line has counted down twice.
    const { code, out } = await deviceLogin(true, (o) => /4:58 left/.test(o));
    assert.equal(code, 0, out);
    assert.match(out, /enter the code: [A-Z]{4}-[A-Z]{4}/);
    assert.ok(
      out.includes(
        "\r\x1b[2K\x1b[2mWaiting for you to approve the device login… 5:00 left (Ctrl-C to cancel)",
      ),
      JSON.stringify(out),
    );
    assert.ok(out.includes("… 4:59 left (Ctrl-C to cancel)"));
    assert.ok(out.includes("\r\x1b[2K✓ Logged in"), "the line is cleared before the result");
  },
);

test("with plain pipes the device login prints one plain waiting line, no \\r and no escape code", {
  skip: SKIP,
}, async () => {
  const { code, out } = await deviceLogin(false, (o) => /Waiting for you/.test(o));
  assert.equal(code, 0, out);
  // deno-lint-ignore no-control-regex
  assert.ok(!/[\r\x1b]/.test(out), JSON.stringify(out));
  assert.deepEqual(out.split("\n").filter((l) => l.startsWith("Waiting")), [
    "Waiting for you to approve the device login (up to 5:00; Ctrl-C to cancel)…",
  ]);
  assert.match(out, /✓ Logged in/);
});
