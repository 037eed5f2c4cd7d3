import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { browserCommand, openBrowser } from "../lib/auth/browser.ts";
import {
  childEnvironment,
  isCredentialVariable,
  launchProgram,
  spawnProgram,
} from "../lib/runtime/spawn.ts";
import { FakeClock } from "./fakes/clock.ts";

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

/** A launcher double: the opener "exits" with `code` when the test says so. */
function fakeLaunch(result: "missing" | number) {
  let exit!: (code: number) => void;
  const exited = new Promise<number | null>((r) => (exit = r));
  const launch = (_cmd: string, _args: string[]) =>
    result === "missing"
      ? Promise.reject(Object.assign(new Error("spawn ENOENT"), { code: "ENOENT" }))
      : Promise.resolve({ exited });
  return { launch, exit: () => exit(result as number) };
}

test("an opener that does not exist is reported as a failure", async () => {
  let failed = false;
  const clock = new FakeClock();
  const { launch } = fakeLaunch("missing");
  await openBrowser({ launch, clock, env: {}, os: "linux" }, "http://127.0.0.1:1/", () => {
    failed = true;
  });
  assert.equal(failed, true);
});

test("an opener that exits non-zero within the grace period is reported as a failure", async () => {
  let failed = false;
  const clock = new FakeClock();
  const l = fakeLaunch(1);
  await openBrowser({ launch: l.launch, clock, env: {}, os: "linux" }, "http://x/", () => {
    failed = true;
  });
  await clock.advance(4_999);
  assert.equal(failed, false);
  l.exit();
  await clock.advance(0);
  assert.equal(failed, true);
});

test("an opener still running after the grace period, or exiting 0, is not reported", async () => {
  for (const code of [0, 3]) {
    let failed = false;
    const clock = new FakeClock();
    const l = fakeLaunch(code);
    await openBrowser({ launch: l.launch, clock, env: {}, os: "linux" }, "http://x/", () => {
      failed = true;
    }, { graceMs: 300 });
    if (code === 0) l.exit();
    await clock.advance(300);
    if (code !== 0) l.exit(); // a browser that exits non-zero much later is not an opener failure
    await clock.advance(1);
    assert.equal(failed, false, `exit ${code}`);
  }
});

test("the credential rule drops keys, tokens, secrets and passwords, and keeps the session", () => {
  for (
    const name of [
      "DD_API_KEY",
      "DD_APP_KEY",
      "DD_APPLICATION_KEY",
      "DD_ACCESS_TOKEN",
      "DATADOG_API_KEY",
      "GITHUB_TOKEN",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_SESSION_TOKEN",
      "PGPASSWORD",
      "MY_CLIENT_SECRET",
      "GOOGLE_APPLICATION_CREDENTIALS",
      "SIGNING_KEY",
      "npm_config__authtoken",
    ]
  ) assert.equal(isCredentialVariable(name, "x"), true, name);
  for (
    const name of [
      "PATH",
      "HOME",
      "DISPLAY",
      "WAYLAND_DISPLAY",
      "DBUS_SESSION_BUS_ADDRESS",
      "XAUTHORITY",
      "SSH_AUTH_SOCK",
      "LANG",
      "DD_SITE",
      "GNOME_KEYRING_CONTROL",
      "KEYBOARD_LAYOUT",
      "PUP_SECRET_TOOL_LOG",
      "PUP_REAL_SECRET_TOOL",
    ]
  ) assert.equal(isCredentialVariable(name, "x"), false, name);
  assert.equal(isCredentialVariable("HTTPS_PROXY", "http://user:pw@proxy:3128"), true);
  assert.equal(isCredentialVariable("HTTPS_PROXY", "http://proxy:3128"), false);
  assert.deepEqual(
    { ...childEnvironment({ PATH: "/bin", DD_API_KEY: "k" }, { DD_ACCESS_TOKEN: "t", X: "1" }) },
    { PATH: "/bin", X: "1" },
  );
});

const CREDENTIALS = {
  DD_API_KEY: "canary-api-key-1",
  DD_APP_KEY: "canary-app-key-2",
  DD_ACCESS_TOKEN: "canary-access-token-3",
  SOME_OTHER_SECRET: "canary-secret-4",
};

/** Runs `body` with the credential variables set in this process's environment. */
async function withCredentials(body: () => Promise<void>) {
  const saved = Object.fromEntries(Object.keys(CREDENTIALS).map((k) => [k, process.env[k]]));
  Object.assign(process.env, CREDENTIALS);
  try {
    await body();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

test("a program run with spawn sees no credential variable, even one passed to it", async () => {
  // Issue 9, defect 9 and its second pass: secret-tool, security, powershell inherited them.
  await withCredentials(async () => {
    const r = await spawnProgram("env", [], {
      timeoutMs: 10_000,
      env: { DD_APP_KEY: "canary-app-key-2", PUP_PROBE: "kept" },
    });
    assert.equal(r.code, 0, r.stderr);
    for (const v of Object.values(CREDENTIALS)) assert.ok(!r.stdout.includes(v), v);
    assert.match(r.stdout, /^PATH=/m);
    assert.match(r.stdout, /^PUP_PROBE=kept$/m);
  });
});

test("the browser opener started with launch sees no credential variable", async () => {
  // Issue 9, defect 9: the $BROWSER / xdg-open child inherited DD_API_KEY and the others.
  const dir = await mkdtemp(join(tmpdir(), "pup-env-"));
  try {
    await withCredentials(async () => {
      const out = join(dir, "env.txt");
      // The launched child is unref'd (it must not keep pup alive): hold the loop open here.
      const keepAlive = setInterval(() => {}, 60_000);
      try {
        const { exited } = await launchProgram("sh", ["-c", 'env > "$0"', out]);
        assert.equal(await exited, 0);
      } finally {
        clearInterval(keepAlive);
      }
      const seen = await readFile(out, "utf8");
      for (const v of Object.values(CREDENTIALS)) assert.ok(!seen.includes(v), v);
      assert.match(seen, /^PATH=/m);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
