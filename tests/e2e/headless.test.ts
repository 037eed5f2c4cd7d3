/**
 * The login as a user sees it, with the compiled binary (dist/pup) against the fake Datadog on
 * a real socket: callback pages delivered to a slow raw-TCP client (issue 9, defect 5), the
 * opener's environment without credentials (defect 9), and issue 13's paths — a pseudo-terminal
 * (`script`) for the live line and the OSC 8 link, plain pipes for their absence, SSH and no
 * display with a logging `xdg-open` first on PATH, and `invalid_scope`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { type FakeDatadog, startFakeDatadog } from "../fakes/datadog.ts";
import { localEnv, NO_BINARY, PUP_BIN, tempDir, withFixture } from "../helpers.ts";

const SKIP = NO_BINARY;
const HAS_SCRIPT = spawnSync("sh", ["-c", "command -v script"]).status === 0;
const VISIT = new URL("../fakes/bin/visit", import.meta.url).pathname;

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts dist/pup with `env` only; stdout and stderr together (as a terminal shows them). */
function start(args: string[], env: Record<string, string>, tty = false): Running {
  const child = tty
    ? spawn("script", ["-q", "-e", "-c", [PUP_BIN, ...args].join(" "), "/dev/null"], {
      env,
      stdio: ["pipe", "pipe", "pipe"],
    })
    : spawn(PUP_BIN, args, { env, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (c) => (out += c));
  child.stderr!.on("data", (c) => (out += c));
  const exited = new Promise<number | null>((r) => child.once("close", (code) => r(code)));
  return { child, output: () => out, exited };
}

async function until<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what: string,
  ms = 15_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Programs for $BROWSER and PATH in a temporary folder. */
async function setup(extraEnv: Record<string, string> = {}) {
  const fake = await startFakeDatadog();
  const dir = await tempDir("pup-headless-");
  const bin = join(dir.path, "bin");
  await import("node:fs/promises").then((fs) => fs.mkdir(bin));
  const urls = join(dir.path, "urls.log");
  const opened = join(dir.path, "xdg-open.log");
  const envLog = join(dir.path, "env.log");
  const write = async (name: string, text: string) => {
    await writeFile(join(bin, name), text);
    await chmod(join(bin, name), 0o755);
    return join(bin, name);
  };
  // A browser that only records the URL: the test plays the browser itself.
  const record = await write("record", `#!/bin/sh\necho "$1" >> '${urls}'\n`);
  // A browser that logs its environment, then visits like tests/fakes/bin/visit.
  const envBrowser = await write(
    "env-browser",
    `#!/bin/sh\nenv > '${envLog}'\nexec '${VISIT}' "$@"\n`,
  );
  // A logging xdg-open, first on PATH: it must not run over SSH or with no display.
  await write("xdg-open", `#!/bin/sh\necho "$@" >> '${opened}'\n`);
  const base = localEnv(fake.site, dir.path);
  delete (base as Record<string, string>).BROWSER;
  const env: Record<string, string> = {
    ...base,
    PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    ...extraEnv,
  };
  const lines = async (file: string) =>
    existsSync(file) ? (await readFile(file, "utf8")).split("\n").filter(Boolean) : [];
  return {
    fake,
    env,
    record,
    envBrowser,
    recordedUrls: () => lines(urls),
    opened: () => lines(opened),
    envLog,
    async done() {
      await fake.close();
      await dir.remove();
    },
  };
}

/** The callback URL the fake Datadog redirects an authorize URL to. */
async function callbackFor(fake: FakeDatadog, authorizeUrl: string): Promise<URL> {
  void fake;
  const res = await fetch(authorizeUrl, { redirect: "manual" });
  await res.body?.cancel();
  return new URL(res.headers.get("location")!);
}

/**
 * A slow raw-TCP client: sends the request, reads nothing for `pauseMs`, then reads to the end.
 * Resolves with everything the server sent before closing.
 */
function slowGet(url: URL, pauseMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), "127.0.0.1");
    let got = "";
    socket.once("connect", () => {
      socket.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: 127.0.0.1:${url.port}\r\n\r\n`,
      );
      socket.pause();
      setTimeout(() => socket.resume(), pauseMs);
    });
    socket.on("data", (c) => (got += c));
    socket.once("error", (e) => (got ? resolve(got + `\n[error: ${e.message}]`) : reject(e)));
    socket.once("close", () => resolve(got));
  });
}

/** Splits a raw HTTP/1.1 response; decodes a chunked body, checking every chunk is whole. */
function parseResponse(raw: string): { head: string; body: string } {
  const at = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, at);
  let rest = raw.slice(at + 4);
  const length = /^content-length: (\d+)$/im.exec(head);
  if (length) {
    assert.equal(new TextEncoder().encode(rest).length, Number(length[1]), "the whole page");
    return { head, body: rest };
  }
  assert.match(head, /^transfer-encoding: chunked$/im);
  let body = "";
  for (;;) {
    const eol = rest.indexOf("\r\n");
    const size = parseInt(rest.slice(0, eol), 16);
    assert.ok(Number.isFinite(size), `a chunk size, found ${JSON.stringify(rest.slice(0, 20))}`);
    if (size === 0) return { head, body };
    body += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}

for (
  const [name, change, status, page, exit] of [
    ["the success page", (u: URL) => u, 200, /Authorization complete/, 0],
    [
      "the 400 after a state mismatch",
      (u: URL) => {
        u.searchParams.set("state", "z".repeat(32));
        return u;
      },
      400,
      /state parameter did not match/,
      4,
    ],
    [
      "the 400 after error=",
      (u: URL) => {
        u.searchParams.delete("code");
        u.searchParams.set("error", "access_denied");
        return u;
      },
      400,
      /Datadog answered: access_denied/,
      4,
    ],
  ] as const
) {
  test(
    `${name} reaches a slow client whole before pup exits`,
    { skip: SKIP },
    () =>
      withFixture(setup(), async (t) => {
        const pup = start(["auth", "login", "--timeout", "60"], { ...t.env, BROWSER: t.record });
        const url = await until(async () => (await t.recordedUrls())[0], "the URL");
        const callback = change(await callbackFor(t.fake, url));
        const response = await slowGet(callback, 400);
        const code = await pup.exited;
        assert.match(response, new RegExp(`^HTTP/1\\.1 ${status} `));
        const { head, body } = parseResponse(response);
        assert.match(head, /^connection: close$/im);
        assert.match(body, page);
        assert.match(body, /<\/html>$/);
        assert.equal(code, exit, pup.output());
      }),
  );
}

const CANARIES = {
  DD_API_KEY: "canary-api-key-e2e",
  DD_APP_KEY: "canary-app-key-e2e",
  DD_ACCESS_TOKEN: "canary-access-token-e2e",
  GITHUB_TOKEN: "canary-github-token-e2e",
};

test("the $BROWSER child gets no DD_API_KEY, DD_APP_KEY, DD_ACCESS_TOKEN or other credential", {
  skip: SKIP,
}, () =>
  withFixture(setup(), async (t) => {
    const pup = start(["auth", "login", "--timeout", "60"], {
      ...t.env,
      ...CANARIES,
      BROWSER: t.envBrowser,
    });
    assert.equal(await pup.exited, 0, pup.output());
    const seen = await readFile(t.envLog, "utf8");
    for (const v of Object.values(CANARIES)) assert.ok(!seen.includes(v), v);
    assert.match(seen, /^PATH=/m);
    assert.match(seen, /^HOME=/m);
  }));

/** Completes a waiting login as a browser would: authorize (approves), then the callback. */
async function approve(url: string) {
  const res = await fetch(url, { redirect: "follow" });
  return { status: res.status, body: await res.text() };
}

test("under a terminal the wait is a live line with the time left, and the URL an OSC 8 link", {
  skip: SKIP || (HAS_SCRIPT ? false : "script(1) is not installed"),
}, () =>
  withFixture(setup({ TERM: "xterm-256color" }), async (t) => {
    const pup = start(["auth", "login", "--timeout", "300"], { ...t.env, BROWSER: t.record }, true);
    const url = await until(async () => (await t.recordedUrls())[0], "the URL");
    // Let the line count down twice (real time: this is the binary under a real terminal).
    await until(() => /4:58 left/.test(pup.output()), "the line to reach 4:58", 10_000);
    const page = await approve(url);
    assert.equal(page.status, 200);
    const code = await pup.exited;
    const out = pup.output();
    assert.equal(code, 0, out);
    assert.ok(out.includes(`\x1b]8;;${url}\x1b\\${url}\x1b]8;;\x1b\\`), "an OSC 8 hyperlink");
    assert.ok(
      out.includes(
        "\r\x1b[2K\x1b[2mWaiting for you to approve in the browser… 5:00 left (Ctrl-C to cancel)",
      ),
    );
    assert.ok(out.includes("… 4:59 left (Ctrl-C to cancel)"));
    assert.ok(out.includes("\r\x1b[2K✓ Logged in"), "the line is cleared before the result");
    await writeFile(join(t.env.PUP_CONFIG_DIR, "transcript-tty.txt"), out);
  }));

test("with plain pipes there is no \\r, no escape code, and one plain waiting line", {
  skip: SKIP,
}, () =>
  withFixture(setup({ TERM: "xterm-256color" }), async (t) => {
    const pup = start(["auth", "login", "--timeout", "300"], { ...t.env, BROWSER: t.record });
    const url = await until(async () => (await t.recordedUrls())[0], "the URL");
    await new Promise((r) => setTimeout(r, 1_200)); // long enough for a redraw, were there one
    await approve(url);
    assert.equal(await pup.exited, 0, pup.output());
    const out = pup.output();
    assert.ok(!out.includes("\r") && !out.includes("\x1b"), JSON.stringify(out));
    assert.deepEqual(
      out.split("\n").filter((l) => l.startsWith("Waiting for you")),
      ["Waiting for you to approve in the browser (up to 5:00; Ctrl-C to cancel)…"],
    );
    assert.ok(out.includes(`\n  ${url}\n`), "the URL whole on its own line");
  }));

test(
  "over SSH no xdg-open runs: pup prints the URL, the ssh -L forward and the hints",
  {
    skip: SKIP,
  },
  () =>
    withFixture(
      setup({ SSH_CONNECTION: "10.0.0.2 51234 10.0.0.9 22", DISPLAY: ":0" }),
      async (t) => {
        const pup = start(["auth", "login", "--timeout", "60"], t.env);
        const url = await until(
          () =>
            /^ {2}(http:\/\/127\.0\.0\.1:\d+\/oauth2\/v1\/authorize\S+)$/m.exec(pup.output())?.[1],
          "the URL",
        );
        await approve(url); // the user's own browser, through the forward
        assert.equal(await pup.exited, 0, pup.output());
        const out = pup.output();
        assert.deepEqual(await t.opened(), [], "xdg-open must not run over SSH");
        assert.match(out, /You are connected over SSH/);
        const port = /redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A(\d+)/.exec(url)![1];
        assert.ok(out.includes(`  ssh -L ${port}:127.0.0.1:${port} 10.0.0.9\n`));
        assert.match(out, /--callback-port \d+ \(or PUP_OAUTH_CALLBACK_PORT=\d+\)/);
        assert.match(out, /--no-browser/);
        assert.match(out, /--device/);
        await writeFile(join(t.env.PUP_CONFIG_DIR, "transcript-ssh.txt"), out);
      },
    ),
);

test(
  "on Linux with neither DISPLAY nor WAYLAND_DISPLAY no xdg-open runs",
  { skip: SKIP },
  () =>
    withFixture(setup(), async (t) => {
      const pup = start(["auth", "login", "--timeout", "60"], t.env);
      const url = await until(
        () =>
          /^ {2}(http:\/\/127\.0\.0\.1:\d+\/oauth2\/v1\/authorize\S+)$/m.exec(pup.output())?.[1],
        "the URL",
      );
      await approve(url);
      assert.equal(await pup.exited, 0, pup.output());
      assert.deepEqual(await t.opened(), []);
      assert.match(pup.output(), /There is no display here/);
      assert.doesNotMatch(pup.output(), /ssh -L/);
    }),
);

test("in a container (/.dockerenv) no xdg-open runs even with a display", {
  skip: SKIP ||
    (existsSync("/.dockerenv") || existsSync("/run/.containerenv")
      ? false
      : "this machine is no container"),
}, () =>
  withFixture(setup({ DISPLAY: ":0" }), async (t) => {
    const pup = start(["auth", "login", "--timeout", "60"], t.env);
    const url = await until(
      () => /^ {2}(http:\/\/127\.0\.0\.1:\d+\/oauth2\/v1\/authorize\S+)$/m.exec(pup.output())?.[1],
      "the URL",
    );
    await approve(url);
    assert.equal(await pup.exited, 0, pup.output());
    assert.deepEqual(await t.opened(), []);
    assert.match(pup.output(), /This looks like a container/);
  }));

test("invalid_scope names the refused scopes and prints the retry command; exit 4", {
  skip: SKIP,
}, () =>
  withFixture(setup(), async (t) => {
    const pup = start(
      ["auth", "login", "--timeout", "60", "--scopes", "monitors_read,monitors_write,apm_read"],
      { ...t.env, BROWSER: t.record },
    );
    const url = new URL(await until(async () => (await t.recordedUrls())[0], "the URL"));
    // The authorization server refuses two scopes (a test-local knob: the redirect it sends).
    const cb = new URL(url.searchParams.get("redirect_uri")!);
    cb.searchParams.set("error", "invalid_scope");
    cb.searchParams.set(
      "error_description",
      "The requested scopes monitors_write, apm_read are not available to this org",
    );
    cb.searchParams.set("state", url.searchParams.get("state")!);
    const page = await fetch(cb);
    assert.equal(page.status, 400);
    await page.text();
    assert.equal(await pup.exited, 4, pup.output());
    const out = pup.output();
    assert.match(out, /refused the requested scopes: monitors_write, apm_read/);
    assert.ok(out.includes(`  pup auth login --site ${t.fake.site} --scopes monitors_read\n`));
    await writeFile(join(t.env.PUP_CONFIG_DIR, "transcript-scope.txt"), out);
  }));

test("auth status summarises the scopes in the table and keeps the array in JSON", {
  skip: SKIP,
}, () =>
  withFixture(setup(), async (t) => {
    const login = start(["auth", "login", "--timeout", "60"], { ...t.env, BROWSER: VISIT });
    assert.equal(await login.exited, 0, login.output());
    const table = start(["auth", "status", "-o", "table"], t.env);
    assert.equal(await table.exited, 0);
    assert.match(table.output(), /^ {2}Scopes: +\d+ \(the default set\)$/m);
    const json = start(["auth", "status", "-o", "json"], t.env);
    assert.equal(await json.exited, 0);
    assert.ok(JSON.parse(json.output()).scopes.length > 50);
  }));

test("Ctrl-C during the code exchange ends pup at once with 130 and stores nothing", {
  skip: SKIP,
}, () =>
  withFixture(setup(), async (t) => {
    t.fake.knobs.delayMs["/oauth2/v1/token"] = 20_000; // the exchange hangs on the server
    const pup = start(["auth", "login", "--timeout", "60"], { ...t.env, BROWSER: t.record });
    const url = await until(async () => (await t.recordedUrls())[0], "the URL");
    const page = await approve(url); // the callback arrives; pup starts the exchange
    assert.equal(page.status, 200);
    await until(() => t.fake.count("POST", "/oauth2/v1/token") === 1, "the token request");
    pup.child.kill("SIGINT");
    const exited = await Promise.race([
      pup.exited,
      new Promise<"still running">((r) => setTimeout(() => r("still running"), 3_000)),
    ]);
    if (exited === "still running") pup.child.kill("SIGKILL");
    assert.notEqual(exited, "still running", "pup must not wait for the exchange");
    // 130; Deno's node:child_process reports an exit status above 128 as null (a signal).
    assert.ok(exited === 130 || exited === null, `exit ${exited}: ${pup.output()}`);
    assert.match(pup.output(), /login interrupted/);
    assert.equal(
      existsSync(join(t.env.PUP_CONFIG_DIR, `tokens_${t.fake.site.replace(":", "_")}.json`)),
      false,
    );
  }));

test("under a terminal with TERM=dumb there are no cursor codes and no OSC 8, one plain line", {
  skip: SKIP || (HAS_SCRIPT ? false : "script(1) is not installed"),
}, () =>
  withFixture(setup({ TERM: "dumb" }), async (t) => {
    const pup = start(["auth", "login", "--timeout", "300"], { ...t.env, BROWSER: t.record }, true);
    const url = await until(async () => (await t.recordedUrls())[0], "the URL");
    await approve(url);
    assert.equal(await pup.exited, 0, pup.output());
    const out = pup.output().replace(/\r\n/g, "\n"); // the terminal's own line endings
    assert.ok(!out.includes("\x1b") && !out.includes("\r"), JSON.stringify(out));
    assert.match(
      out,
      /^Waiting for you to approve in the browser \(up to 5:00; Ctrl-C to cancel\)…$/m,
    );
  }));
