import { test } from "node:test";
import assert from "node:assert/strict";
import { browserCommand, openBrowser } from "../lib/auth/browser.ts";
import { launchProgram } from "../lib/runtime/spawn.ts";

const URL_WITH_AMP = "https://app.datadoghq.com/oauth2/v1/authorize?a=1&b=2";

test("$BROWSER is split on spaces and gets the URL as its last argument", () => {
  assert.deepEqual(browserCommand(URL_WITH_AMP, { BROWSER: "firefox --new-window" }, "linux"), [
    "firefox",
    ["--new-window", URL_WITH_AMP],
  ]);
});

test("without $BROWSER each platform uses its opener, and Windows never uses cmd /c start", () => {
  assert.deepEqual(browserCommand(URL_WITH_AMP, {}, "darwin"), ["open", [URL_WITH_AMP]]);
  assert.deepEqual(browserCommand(URL_WITH_AMP, {}, "linux"), ["xdg-open", [URL_WITH_AMP]]);
  assert.deepEqual(browserCommand(URL_WITH_AMP, { WSL_DISTRO_NAME: "Ubuntu" }, "linux"), [
    "wslview",
    [URL_WITH_AMP],
  ]);
  assert.deepEqual(browserCommand(URL_WITH_AMP, {}, "windows"), [
    "rundll32",
    ["url.dll,FileProtocolHandler", URL_WITH_AMP],
  ]);
});

test("an opener that does not exist is reported as a failure", async () => {
  let failed = false;
  await openBrowser(
    launchProgram,
    "http://127.0.0.1:1/",
    { BROWSER: "/nonexistent/browser" },
    "linux",
    () => {
      failed = true;
    },
  );
  assert.equal(failed, true);
});

test("an opener that exits non-zero at once is reported as a failure", async () => {
  let failed = false;
  await openBrowser(launchProgram, "http://127.0.0.1:1/", { BROWSER: "false" }, "linux", () => {
    failed = true;
  });
  for (let i = 0; i < 200 && !failed; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(failed, true);
});

test("an opener that succeeds is not reported", async () => {
  let failed = false;
  await openBrowser(launchProgram, "http://127.0.0.1:1/", { BROWSER: "true" }, "linux", () => {
    failed = true;
  }, 300);
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(failed, false);
});
