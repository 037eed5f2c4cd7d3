/**
 * @module
 * What keeps the unit suite a unit suite (issue 10): no unit test binds a port, runs the compiled
 * binary, talks to the real Secret Service, sleeps or puts the real clock in deps. Those are
 * end-to-end tests (tests/e2e/); a unit test uses the in-process network
 * (tests/fakes/network.ts), FakeServe and the fake clock.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { TESTS_DIR, unitTestFiles } from "./unit_files.ts";

/** What only an end-to-end test may do, with the way a unit test does it instead. */
const FORBIDDEN: [RegExp, string][] = [
  [/\bstartFakeDatadog\b|\bwithFakeDatadogServer\b/, "a real server: use createFakeDatadog"],
  [/\bserveHttp\b|\bDeno\.serve\b|\bBun\.serve\b/, "a real server: use FakeServe"],
  [/\.listen\(\s*\d/, "a TCP port: use the in-process network"],
  [
    /\brunBinary\b|\bPUP_BIN\b|\bNO_BINARY\b|\brecordingBinary\b/,
    "the compiled binary: tests/e2e/",
  ],
  [/PUP_TEST_SECRET_SERVICE/, "the real Secret Service: tests/e2e/secret_service.test.ts"],
  [/setTimeout\([^)]*,\s*[1-9]/, "a sleep: use FakeClock"],
  [/\bsystemClock\b/, "real time: use FakeClock (testDeps' default) or InstantClock"],
];

test("no unit test binds a port, runs the binary, uses the real keyring or real time", () => {
  const files = unitTestFiles().filter((f) => f !== "unit_rules.test.ts");
  assert.ok(files.length > 40, `found only ${files.length} unit test files`);
  const found: string[] = [];
  for (const file of files) {
    const lines = readFileSync(new URL(file, TESTS_DIR), "utf8").split("\n");
    lines.forEach((line, i) => {
      for (const [re, instead] of FORBIDDEN) {
        if (re.test(line)) found.push(`tests/${file}:${i + 1}: ${instead}`);
      }
    });
  }
  assert.deepEqual(found, []);
});
