// The browser login in-process: the fake Datadog answers through its app's `request()` (no
// socket), the callback server is the fake serve (no port), time is the fake clock (no sleep).
// Real sockets and the compiled binary: tests/e2e/headless*.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  createFakeDatadogCore,
  fakeDatadogApp,
  type FakeDatadogCore,
  oauthMetadata,
} from "./fakes/datadog.ts";
import { FakeClock, settle } from "./fakes/clock.ts";
import { FakeServe, fetchVia } from "./fakes/serve.ts";
import { localEnv, runPup, tempDir, testDeps } from "./helpers.ts";
import type { Deps, InterruptSignal } from "../lib/deps.ts";
import { siteKey } from "../lib/store/state_store.ts";
import { parse } from "../lib/commands/auth_login.ts";
import { PupError } from "../lib/errors.ts";

/** Nothing listens there: every request must go through the fake app. */
const SITE = "127.0.0.1:9";

async function setup(
  extraEnv: Record<string, string | undefined> = {},
  overrides: Partial<Deps> & { stdinLines?: string[] } = {},
) {
  const fake = createFakeDatadogCore();
  const app = fakeDatadogApp(fake);
  const net = new FakeServe();
  const clock = new FakeClock();
  const dir = await tempDir();
  const env = { ...localEnv(SITE, dir.path), ...extraEnv };
  const fetched: string[] = [];
  const viaApp = fetchVia(app);
  const fetch: typeof globalThis.fetch = (input, init) => {
    fetched.push(input instanceof Request ? input.url : String(input));
    return viaApp(input, init);
  };
  let interrupt: ((signal?: InterruptSignal) => void) | undefined;
  const deps = (more: Partial<Deps> & { stdinLines?: string[] } = {}) => {
    const d = testDeps(env, {
      serve: net.serve,
      launch: net.browser(app),
      fetch,
      clock,
      ...overrides,
      ...more,
    });
    d.host = {
      ...d.host,
      onInterrupt: (h) => {
        interrupt = h;
        return () => (interrupt = undefined);
      },
    };
    return d;
  };
  /** Starts a login without awaiting it; `stderr()` is its output so far. */
  const start = (args: string[], more: Partial<Deps> & { stdinLines?: string[] } = {}) => {
    const d = deps(more);
    return { done: runPup(args, d), stderr: () => d.stderr(), deps: d };
  };
  /** The authorize URL a running login printed (waits for it in event-loop turns). */
  const printedUrl = async (stderr: () => string) => {
    const re = new RegExp(
      `(http://${SITE.replace(/[.]/g, "\\.")}/oauth2/v1/authorize[^\\s\\x1b]+)`,
    );
    for (let i = 0; i < 500; i++) {
      const m = re.exec(stderr());
      if (m) return m[1];
      await settle();
    }
    throw new Error(`no authorize URL printed:\n${stderr()}`);
  };
  /** Plays the browser for a printed URL: the fake approves and redirects; the callback's URL. */
  const approve = async (stderr: () => string) => {
    const res = await app.request(await printedUrl(stderr));
    return res.headers.get("location")!;
  };
  return {
    start,
    printedUrl,
    approve,
    fake,
    app,
    net,
    clock,
    fetched,
    dir: dir.path,
    env,
    deps,
    /** Delivers an interrupt; no name, as a handler written `() => void` expects (SIGINT). */
    interrupt: (signal?: InterruptSignal) => interrupt?.(signal),
    key: siteKey(SITE),
    done: () => dir.remove(),
  };
}

function assertNoSecrets(fake: FakeDatadogCore, ...texts: string[]) {
  for (const s of fake.secrets()) {
    for (const t of texts) assert.ok(!t.includes(s), "a secret was printed");
  }
}

/** A launcher that starts nothing and never exits: the test plays the browser itself. */
const idle: Deps["launch"] = () =>
  Promise.resolve({ exited: new Promise<number | null>(() => {}) });

/** Waits (in turns of the event loop, not time) until `check` holds. */
async function until(check: () => boolean, what: string) {
  for (let i = 0; i < 200 && !check(); i++) await settle();
  assert.ok(check(), `never happened: ${what}`);
}

test("login registers a client, exchanges the code with PKCE and stores 0600 files in a 0700 folder", async () => {
  const t = await setup();
  try {
    const r = await runPup(["auth", "login"], t.deps());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Logged in/);
    assertNoSecrets(t.fake, r.stdout, r.stderr);
    assert.ok(t.fetched.length > 0 && t.fetched.every((u) => u.startsWith(`http://${SITE}/`)));

    const reg = t.fake.requests.filter((q) => q.path === "/api/v2/oauth2/register");
    assert.equal(reg.length, 1);
    assert.deepEqual(JSON.parse(reg[0].body), {
      client_name: "Datadog Pup CLI",
      redirect_uris: [8000, 8080, 8888, 9000].map((p) => `http://127.0.0.1:${p}/callback`),
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    });

    const auth = t.fake.state.authorizations[0];
    const authReq = t.fake.requests.find((q) => q.path === "/oauth2/v1/authorize")!;
    const q = new URL(authReq.url).searchParams;
    assert.equal(q.get("response_type"), "code");
    assert.equal(q.get("code_challenge_method"), "S256");
    assert.match(q.get("state")!, /^[A-Za-z0-9]{32}$/);
    assert.equal(q.get("redirect_uri"), "http://127.0.0.1:8000/callback");
    assert.ok(q.get("scope")!.split(" ").includes("monitors_read"));
    assert.equal(q.get("dd_oid"), null);
    assert.equal(auth.codeChallenge, q.get("code_challenge"));

    const tok = t.fake.requests.find((q) => q.path === "/oauth2/v1/token")!;
    assert.match(tok.headers["content-type"], /application\/x-www-form-urlencoded/);
    const form = new URLSearchParams(tok.body);
    assert.equal(form.get("grant_type"), "authorization_code");
    assert.equal(form.get("redirect_uri"), q.get("redirect_uri"));
    const client = [...t.fake.state.clients.values()][0];
    assert.equal(form.get("client_id"), client.client_id);
    assert.equal(form.get("client_secret"), client.client_secret);
    assert.equal(form.get("code_verifier")!.length, 128);
    assert.equal(form.get("code"), auth.code);

    assert.equal((await stat(t.dir)).mode & 0o777, 0o700);
    for (const f of [`client_${t.key}.json`, `tokens_${t.key}.json`, "sessions.json"]) {
      assert.equal((await stat(join(t.dir, f))).mode & 0o777, 0o600, f);
    }
    const tokens = JSON.parse(await readFile(join(t.dir, `tokens_${t.key}.json`), "utf8"));
    const tk = tokens.__default__;
    assert.ok(t.fake.state.accessTokens.has(tk.access_token));
    assert.equal(tk.token_type, "Bearer");
    assert.equal(tk.expires_in, 3600);
    assert.equal(Date.parse(tk.expires_at), t.clock.now() + 3600_000);
    assert.match(tk.expires_at, /Z$/);
    const sessions = JSON.parse(await readFile(join(t.dir, "sessions.json"), "utf8"));
    assert.deepEqual(sessions, [{ site: SITE, org: null }]);
    // The callback page reached the browser whole, and the server closed after it.
    assert.equal(t.net.visits[0].status, 200);
    assert.match(t.net.visits[0].body, /Authorization complete/);
    assert.equal(t.net.cutOff, 0);
    assert.equal(t.net.listening(8000), false);
  } finally {
    await t.done();
  }
});

test("a second login reuses the stored client registration", async () => {
  const t = await setup();
  try {
    assert.equal((await runPup(["auth", "login"], t.deps())).code, 0);
    assert.equal((await runPup(["auth", "login", "--org", "second"], t.deps())).code, 0);
    assert.equal(t.fake.count("POST", "/api/v2/oauth2/register"), 1);
    const tokens = JSON.parse(await readFile(join(t.dir, `tokens_${t.key}.json`), "utf8"));
    assert.deepEqual(Object.keys(tokens).sort(), ["__default__", "second"]);
  } finally {
    await t.done();
  }
});

test("--org-uuid is sent as dd_oid, stored with the session and sent again on the next login", async () => {
  const t = await setup();
  try {
    const uuid = "11111111-2222-3333-4444-555555555555";
    const first = await runPup(["auth", "login", "--org", "acme", "--org-uuid", uuid], t.deps());
    assert.equal(first.code, 0, first.stderr);
    assert.equal(t.fake.state.authorizations[0].ddOid, uuid);
    const sessions = JSON.parse(await readFile(join(t.dir, "sessions.json"), "utf8"));
    assert.deepEqual(sessions, [{ site: SITE, org: "acme", org_uuid: uuid }]);
    assert.equal((await runPup(["auth", "login", "--org", "acme"], t.deps())).code, 0);
    assert.equal(t.fake.state.authorizations[1].ddOid, uuid);
    assert.equal((await runPup(["auth", "login", "--org", "other"], t.deps())).code, 0);
    assert.equal(t.fake.state.authorizations[2].ddOid, null);
  } finally {
    await t.done();
  }
});

test("--scopes, --extra-scopes and --read-only shape the scope parameter", async () => {
  const t = await setup();
  try {
    await runPup(["auth", "login", "--scopes", "monitors_read,monitors_write"], t.deps());
    assert.equal(t.fake.state.authorizations[0].scope, "monitors_read monitors_write");
    await runPup(
      ["auth", "login", "--scopes", "monitors_read,monitors_write", "--read-only"],
      t.deps(),
    );
    assert.equal(t.fake.state.authorizations[1].scope, "monitors_read");
    await runPup(["auth", "login", "--scopes", "a_read", "--extra-scopes", "b_read"], t.deps());
    assert.equal(t.fake.state.authorizations[2].scope, "a_read b_read");
  } finally {
    await t.done();
  }
});

test("a browser that never calls back ends in the document's timeout message and exit 4", async () => {
  const t = await setup({}, { launch: idle });
  try {
    const running = runPup(["auth", "login", "--timeout", "300"], t.deps());
    await until(() => t.net.listening(8000), "the callback server is bound");
    await t.clock.advance(299_999);
    assert.equal(t.net.listening(8000), true, "still waiting a millisecond before the end");
    await t.clock.advance(1);
    const r = await running;
    assert.equal(r.code, 4);
    assert.match(r.stderr, /^Error: timeout waiting for OAuth callback$/m);
    assert.match(r.stderr, /Run pup auth login again to restart the flow\./);
  } finally {
    await t.done();
  }
});

test("--timeout above the longest timer is a usage error naming the value and the maximum", async () => {
  // Issue 9 defect 10: 3000000 s overflowed the 32-bit timer and the login "timed out" at once.
  const t = await setup({}, { launch: idle });
  try {
    const r = await runPup(["auth", "login", "--timeout", "3000000"], t.deps());
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /invalid --timeout "3000000": expected at most 2147483 seconds/);
    assert.equal(t.fetched.length, 0);
    assert.equal(
      parse({ values: { timeout: "2147483" }, positionals: [] }, {}).timeoutMs,
      2147483000,
    );
    assert.throws(
      () => parse({ values: { timeout: "2147484" }, positionals: [] }, {}),
      (e: PupError) => e.exitCode === 2,
    );
  } finally {
    await t.done();
  }
});

test("an error= redirect (access_denied) ends the login with exit 4 and stores nothing", async () => {
  const t = await setup();
  try {
    t.fake.knobs.authorizeError = "access_denied";
    const r = await runPup(["auth", "login"], t.deps());
    assert.equal(r.code, 4);
    assert.match(r.stderr, /access_denied/);
    await assert.rejects(stat(join(t.dir, `tokens_${t.key}.json`)));
    assert.equal(t.net.visits[0].status, 400);
    assert.match(t.net.visits[0].body, /Login failed/);
  } finally {
    await t.done();
  }
});

test("a callback with another state ends the login with the CSRF message and exit 4", async () => {
  const t = await setup();
  try {
    t.fake.knobs.authorizeStateOverride = "x".repeat(32);
    const r = await runPup(["auth", "login"], t.deps());
    assert.equal(r.code, 4);
    assert.match(r.stderr, /^Error: state parameter mismatch \(CSRF protection\)$/m);
    assert.match(r.stderr, /Run pup auth login again to start a fresh flow/);
    assert.match(t.net.visits[0].body, /state parameter did not match/);
  } finally {
    await t.done();
  }
});

for (
  const [name, knob, status] of [
    ["the success page", {}, 200],
    ["the 400 after a state mismatch", { authorizeStateOverride: "y".repeat(32) }, 400],
    ["the 400 after error=", { authorizeError: "access_denied" }, 400],
  ] as const
) {
  test(`${name} is delivered whole before the server closes, even to a slow client`, async () => {
    // Issue 9 defect 5: pup closed the server (and exited) before the page went out.
    const t = await setup({}, { launch: idle });
    try {
      Object.assign(t.fake.knobs, knob);
      const login = t.start(["auth", "login"]);
      const callback = await t.approve(login.stderr);
      // The slow client: it has the response but has read nothing yet.
      const res = await t.net.request(callback);
      assert.equal(res.status, status);
      for (let i = 0; i < 50; i++) await settle();
      assert.equal(t.net.listening(8000), true, "the server must stay open until the page is read");
      const body = await res.text();
      assert.match(body, status === 200 ? /Authorization complete/ : /Login failed/);
      const r = await login.done;
      assert.equal(r.code, status === 200 ? 0 : 4, r.stderr);
      assert.equal(t.net.cutOff, 0, "no page was cut off by the close");
      assert.equal(t.net.listening(8000), false);
    } finally {
      await t.done();
    }
  });
}

test("when the browser cannot be opened pup prints the URL and keeps waiting", async () => {
  const broken: Deps["launch"] = () =>
    Promise.reject(Object.assign(new Error("spawn ENOENT"), { code: "ENOENT" }));
  const t = await setup({ DISPLAY: ":0" }, { launch: broken });
  try {
    const login = t.start(["auth", "login"]);
    await until(() => /Please open this URL manually: /.test(login.stderr()), "the fallback");
    const manual = /Please open this URL manually: (\S+)/.exec(login.stderr())![1];
    const page = await t.net.request((await t.app.request(manual)).headers.get("location")!);
    await page.text();
    const r = await login.done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /⚠️ Could not open browser automatically/);
  } finally {
    await t.done();
  }
});

test("--no-browser accepts the redirected URL pasted on stdin", async () => {
  const t = await setup();
  try {
    const pasted: string[] = ["not a url", "http://127.0.0.1:1/elsewhere?code=x"];
    let wake: (() => void) | undefined;
    const deps = t.deps({ launch: () => Promise.reject(new Error("must not launch")) });
    deps.io.readLine = async () => {
      while (pasted.length === 0) await new Promise<void>((r) => (wake = r));
      return pasted.shift()!;
    };
    const done = runPup(["auth", "login", "--no-browser"], deps);
    pasted.push(await t.approve(() => deps.stderr()));
    wake?.();
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(t.net.launched.length, 0);
    assert.equal(t.fake.count("POST", "/oauth2/v1/token"), 1);
    assert.match(r.stderr, /That is not a URL/);
    assert.match(r.stderr, /not this login's callback/);
  } finally {
    await t.done();
  }
});

test("a token endpoint that answers 500 fails with exit 1, names the status and stores no token", async () => {
  const t = await setup();
  try {
    t.fake.knobs.failNext.push({ path: "/oauth2/v1/token", status: 500 });
    const r = await runPup(["auth", "login"], t.deps());
    assert.equal(r.code, 1);
    assert.match(r.stderr, /token exchange failed: HTTP 500/);
    await assert.rejects(stat(join(t.dir, `tokens_${t.key}.json`)));
  } finally {
    await t.done();
  }
});

test("a registration endpoint that answers malformed JSON fails clearly with exit 1", async () => {
  const t = await setup();
  try {
    t.fake.knobs.failNext.push({ path: "/api/v2/oauth2/register", status: 201, body: "{not json" });
    const r = await runPup(["auth", "login"], t.deps());
    assert.equal(r.code, 1);
    assert.match(r.stderr, /client registration failed/);
  } finally {
    await t.done();
  }
});

test("an unreachable site fails with exit 1 and says it cannot reach it", async () => {
  const t = await setup();
  try {
    const refused: typeof fetch = () => Promise.reject(new TypeError("fetch failed"));
    const r = await runPup(["auth", "login"], t.deps({ fetch: refused }));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot reach http:\/\/127\.0\.0\.1:9/);
  } finally {
    await t.done();
  }
});

test("invalid_client at the token exchange re-registers once and logs in", async () => {
  const t = await setup();
  try {
    t.fake.knobs.failNext.push({
      path: "/oauth2/v1/token",
      status: 401,
      body: JSON.stringify({ error: "invalid_client" }),
    });
    const r = await runPup(["auth", "login"], t.deps());
    assert.equal(r.code, 0, r.stderr);
    assert.equal(t.fake.count("POST", "/api/v2/oauth2/register"), 2);
    const saved = JSON.parse(await readFile(join(t.dir, `client_${t.key}.json`), "utf8"));
    assert.equal(saved.client_id, [...t.fake.state.clients.values()][1].client_id);
  } finally {
    await t.done();
  }
});

test("a public client (no client_secret) never sends one", async () => {
  const t = await setup();
  try {
    t.fake.knobs.publicClient = true;
    const r = await runPup(["auth", "login"], t.deps());
    assert.equal(r.code, 0, r.stderr);
    const tok = t.fake.requests.find((q) => q.path === "/oauth2/v1/token")!;
    assert.equal(new URLSearchParams(tok.body).has("client_secret"), false);
  } finally {
    await t.done();
  }
});

test("a site that is not Datadog's is refused without an opt-in (exit 2)", async () => {
  const t = await setup({ PUP_TRUST_SITE: undefined });
  try {
    const r = await runPup(["auth", "login"], t.deps());
    assert.equal(r.code, 2);
    assert.match(r.stderr, /refusing to send credentials to 127\.0\.0\.1/);
    assert.match(r.stderr, /--trust-site/);
    assert.equal(t.fetched.length, 0);
    const ok = await runPup(["auth", "login", "--trust-site"], t.deps());
    assert.equal(ok.code, 0, ok.stderr);
  } finally {
    await t.done();
  }
});

test("trusted_sites in config.yaml is an opt-in too", async () => {
  const t = await setup({ PUP_TRUST_SITE: undefined });
  try {
    await writeFile(join(t.dir, "config.yaml"), `trusted_sites:\n  - ${SITE}\n`);
    const r = await runPup(["auth", "login"], t.deps());
    assert.equal(r.code, 0, r.stderr);
  } finally {
    await t.done();
  }
});

for (const planted of ["127.0.0.1#.datadoghq.com", "127.0.0.1/.datadoghq.com", "evil.example"]) {
  test(`a site planted in sessions.json (${planted}) gets no registration and no browser`, async () => {
    // Issue 9, second pass: `auth login --org victim` with a planted site registered at, and
    // opened the browser on, a foreign host with no trust prompt.
    const t = await setup({ DD_SITE: undefined, PUP_TRUST_SITE: undefined });
    try {
      await writeFile(
        join(t.dir, "sessions.json"),
        JSON.stringify([{ site: planted, org: "victim" }]),
        { mode: 0o600 },
      );
      const r = await runPup(["auth", "login", "--org", "victim"], t.deps());
      // An invalid site recorded in sessions.json makes the file malformed: exit 1, naming it
      // (CONTRACT §1, §9); a valid foreign host is refused by the trust gate: exit 2.
      if (planted === "evil.example") assert.equal(r.code, 2, r.stderr);
      else {
        assert.equal(r.code, 1, r.stderr);
        assert.ok(r.stderr.includes("sessions.json"), r.stderr);
      }
      assert.deepEqual(t.fetched, [], "nothing may be sent anywhere");
      assert.deepEqual(t.net.launched, [], "no browser may open");
      assert.deepEqual(t.net.ports, [], "no callback server either");
    } finally {
      await t.done();
    }
  });
}

test("a malformed tokens file is reported with its path and is not overwritten by login", async () => {
  const t = await setup();
  try {
    const path = join(t.dir, `tokens_${t.key}.json`);
    await writeFile(path, "{broken", { mode: 0o600 });
    const r = await runPup(["auth", "login"], t.deps());
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(path));
    assert.match(r.stderr, /not valid JSON/);
    assert.equal(await readFile(path, "utf8"), "{broken");
  } finally {
    await t.done();
  }
});

test("a bad --callback-port or PUP_OAUTH_CALLBACK_PORT is a usage error", async () => {
  const t = await setup();
  try {
    assert.equal((await runPup(["auth", "login", "--callback-port", "1234"], t.deps())).code, 2);
    const env = await setup({ PUP_OAUTH_CALLBACK_PORT: "80" });
    const r = await runPup(["auth", "login"], env.deps());
    await env.done();
    assert.equal(r.code, 2);
    assert.match(r.stderr, /PUP_OAUTH_CALLBACK_PORT/);
  } finally {
    await t.done();
  }
});

test("--callback-port wins over PUP_OAUTH_CALLBACK_PORT", async () => {
  const t = await setup({ PUP_OAUTH_CALLBACK_PORT: "8000" });
  try {
    const r = await runPup(["auth", "login", "--callback-port", "9000"], t.deps());
    assert.equal(r.code, 0, r.stderr);
    assert.equal(t.fake.state.authorizations[0].redirectUri, "http://127.0.0.1:9000/callback");
  } finally {
    await t.done();
  }
});

test("the scan takes the next free port; a pinned busy port fails fast; all busy lists the four", async () => {
  const t = await setup();
  try {
    t.net.busy.add(8000);
    const r = await runPup(["auth", "login"], t.deps());
    assert.equal(r.code, 0, r.stderr);
    assert.equal(t.fake.state.authorizations[0].redirectUri, "http://127.0.0.1:8080/callback");
    const pinned = await runPup(["auth", "login", "--callback-port", "8000"], t.deps());
    assert.equal(pinned.code, 1);
    assert.match(pinned.stderr, /callback port 8000 is already in use/);
    for (const p of [8080, 8888, 9000]) t.net.busy.add(p);
    const all = await runPup(["auth", "login"], t.deps());
    assert.equal(all.code, 1);
    assert.match(all.stderr, /8000, 8080, 8888 and 9000 are all in use/);
  } finally {
    await t.done();
  }
});

test("-v prints each OAuth request and status on stderr, and no code, secret or token", async () => {
  const t = await setup();
  try {
    const r = await runPup(["auth", "login", "-v"], t.deps());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^> POST http:\/\/127\.0\.0\.1:9\/api\/v2\/oauth2\/register$/m);
    assert.match(r.stderr, /^> POST http:\/\/127\.0\.0\.1:9\/oauth2\/v1\/token$/m);
    assert.match(r.stderr, /^< 200 \(\d+ ms\)$/m);
    assertNoSecrets(t.fake, r.stdout, r.stderr);
    const quiet = await runPup(["auth", "login"], t.deps());
    assert.doesNotMatch(quiet.stderr, /^> POST/m);
  } finally {
    await t.done();
  }
});

test("Ctrl-C during the code exchange ends the login at once and stores nothing", async () => {
  // Issue 9, second pass: the interrupt was ignored once the callback had come; the cancelled
  // login completed (and stored its token) when the exchange answered.
  const t = await setup();
  try {
    const viaApp = fetchVia(t.app);
    let answer: (() => void) | undefined;
    const slowToken: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (url.endsWith("/oauth2/v1/token")) {
        t.interrupt(); // the user presses Ctrl-C while the exchange is under way
        await new Promise<void>((r) => (answer = r)); // the server answers later
      }
      return viaApp(input, init);
    };
    const login = t.start(["auth", "login"], { fetch: slowToken });
    const settled = await Promise.race([
      login.done,
      (async () => {
        for (let i = 0; i < 200; i++) await settle();
        return "still running" as const;
      })(),
    ]);
    answer?.();
    const r = settled === "still running" ? await login.done : settled;
    assert.notEqual(settled, "still running", "the login must end without the server's answer");
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /login interrupted/);
    await assert.rejects(stat(join(t.dir, `tokens_${t.key}.json`)));
  } finally {
    await t.done();
  }
});

test("Ctrl-C during a device login's polling ends it with exit 130, storing nothing", async () => {
  // The device flow had no interrupt handler: Ctrl-C killed pup wherever it was, a held lock
  // included. Now the poll's wait (on the fake clock, never advanced here) aborts at once.
  const t = await setup();
  try {
    t.fake.knobs.metadata = oauthMetadata(`http://${SITE}`);
    const login = t.start(["auth", "login", "--device"]);
    for (let i = 0; i < 500 && !/enter the code/.test(login.stderr()); i++) await settle();
    assert.match(login.stderr(), /enter the code/);
    t.interrupt();
    const settled = await Promise.race([
      login.done,
      (async () => {
        for (let i = 0; i < 200; i++) await settle();
        return "still running" as const;
      })(),
    ]);
    assert.notEqual(settled, "still running", "the device login must end on Ctrl-C");
    const r = await login.done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /login interrupted/);
    await assert.rejects(stat(join(t.dir, `tokens_${t.key}.json`)));
    assert.deepEqual((await readdir(t.dir)).filter((n) => n.startsWith(".lock")), []);
  } finally {
    await t.done();
  }
});

for (const [signal, code] of [["SIGTERM", 143], ["SIGHUP", 129], ["SIGINT", 130]] as const) {
  test(`${signal} while waiting for the browser ends the login with exit ${code} (128 + its number)`, async () => {
    // Was 130 whatever the signal (lib/auth/wait.ts interruptedError).
    const t = await setup({}, { launch: idle });
    try {
      const login = t.start(["auth", "login"]);
      await until(() => t.net.listening(8000), "bound");
      t.interrupt(signal);
      const r = await login.done;
      assert.equal(r.code, code, r.stderr);
      assert.match(r.stderr, /login interrupted/);
    } finally {
      await t.done();
    }
  });
}

test("Ctrl-C while waiting for the browser ends the login with exit 130", async () => {
  const t = await setup({}, { launch: idle });
  try {
    const login = t.start(["auth", "login"]);
    await until(() => t.net.listening(8000), "bound");
    t.interrupt();
    const r = await login.done;
    assert.equal(r.code, 130);
    assert.equal(t.net.listening(8000), false);
  } finally {
    await t.done();
  }
});

/** A login on a machine whose file probe says `files` exist. */
function loginWithFiles(t: Awaited<ReturnType<typeof setup>>, files: string[] = []) {
  return async (args: string[], deps: ReturnType<typeof t.deps>) => {
    const { login } = await import("../lib/auth/login.ts");
    const { Context } = await import("../lib/cli/context.ts");
    deps.host = { ...deps.host, exists: (p: string) => files.includes(p) };
    const ctx = new Context(deps, { trustSite: true, verbose: false });
    const { parse, loginRequest } = await import("../lib/commands/auth_login.ts");
    const req = await loginRequest(
      ctx,
      parse({ values: Object.fromEntries(args.map((a) => [a, true])), positionals: [] }, deps.env),
    );
    return login(ctx, req);
  };
}

const NO_DISPLAY = { BROWSER: undefined, DISPLAY: undefined, WAYLAND_DISPLAY: undefined };

test("over SSH no opener runs; pup prints the URL, the exact ssh -L forward and the hints", async () => {
  const t = await setup({
    ...NO_DISPLAY,
    DISPLAY: ":0",
    SSH_CONNECTION: "10.1.2.3 52000 10.9.8.7 22",
  });
  try {
    const deps = t.deps();
    const running = loginWithFiles(t)([], deps);
    const callback = await t.approve(() => deps.stderr());
    await (await t.net.request(callback)).text();
    await running;
    const err = deps.stderr();
    assert.deepEqual(t.net.launched, []);
    assert.match(err, /You are connected over SSH/);
    assert.match(err, /^ {2}ssh -L 8000:127\.0\.0\.1:8000 10\.9\.8\.7$/m);
    assert.match(err, /--callback-port 8000 \(or PUP_OAUTH_CALLBACK_PORT=8000\)/);
    assert.match(err, /--no-browser/);
    assert.match(err, /--device/);
    assert.match(err, /^ {2}http:\/\/127\.0\.0\.1:9\/oauth2\/v1\/authorize\?\S+$/m);
  } finally {
    await t.done();
  }
});

test("SSH_TTY alone also counts as SSH; $BROWSER set explicitly is still used", async () => {
  const { whyNoOpener } = await import("../lib/auth/headless.ts");
  assert.equal(whyNoOpener({ SSH_TTY: "/dev/pts/1", DISPLAY: ":0" }, "linux", () => false), "ssh");
  assert.equal(whyNoOpener({ SSH_TTY: "/dev/pts/1" }, "darwin", () => false), "ssh");
  assert.equal(whyNoOpener({ SSH_TTY: "/dev/pts/1", BROWSER: "lynx" }, "linux", () => false), null);
  const t = await setup({ SSH_CONNECTION: "1.2.3.4 5 6.7.8.9 22", BROWSER: "my-browser --x" });
  try {
    const r = await runPup(["auth", "login"], t.deps());
    assert.equal(r.code, 0, r.stderr);
    assert.equal(t.net.launched[0][0], "my-browser");
    assert.doesNotMatch(r.stderr, /ssh -L/);
  } finally {
    await t.done();
  }
});

test("on Linux with neither DISPLAY nor WAYLAND_DISPLAY no xdg-open runs (WSL aside)", async () => {
  const { whyNoOpener } = await import("../lib/auth/headless.ts");
  const none = () => false;
  assert.equal(whyNoOpener({}, "linux", none), "no_display");
  assert.equal(whyNoOpener({ WAYLAND_DISPLAY: "wayland-0" }, "linux", none), null);
  assert.equal(whyNoOpener({ WSL_DISTRO_NAME: "Ubuntu" }, "linux", none), null);
  assert.equal(whyNoOpener({}, "darwin", none), null);
  assert.equal(whyNoOpener({}, "windows", none), null);
  const t = await setup(NO_DISPLAY);
  try {
    const deps = t.deps();
    const running = loginWithFiles(t)([], deps);
    await (await t.net.request(await t.approve(() => deps.stderr()))).text();
    await running;
    assert.deepEqual(t.net.launched, []);
    assert.match(deps.stderr(), /There is no display here/);
    assert.doesNotMatch(deps.stderr(), /ssh -L/);
  } finally {
    await t.done();
  }
});

test("in a container (/.dockerenv or /run/.containerenv) no opener runs, display or not", async () => {
  for (const marker of ["/.dockerenv", "/run/.containerenv"]) {
    const t = await setup({ ...NO_DISPLAY, DISPLAY: ":0" });
    try {
      const deps = t.deps();
      const running = loginWithFiles(t, [marker])([], deps);
      await (await t.net.request(await t.approve(() => deps.stderr()))).text();
      await running;
      assert.deepEqual(t.net.launched, [], marker);
      assert.match(deps.stderr(), /This looks like a container/);
    } finally {
      await t.done();
    }
  }
  // With a display and no marker, the platform opener runs.
  const t = await setup({ ...NO_DISPLAY, DISPLAY: ":0" });
  try {
    await loginWithFiles(t)([], t.deps());
    assert.equal(t.net.launched[0][0], "xdg-open");
  } finally {
    await t.done();
  }
});

/** A login whose stderr is a terminal. */
function ttyLogin(
  t: Awaited<ReturnType<typeof setup>>,
  env: Record<string, string | undefined> = {},
) {
  const deps = t.deps({ launch: idle });
  Object.assign(deps.env, env);
  deps.io.stderrIsTTY = true;
  return { deps, done: runPup(["auth", "login"], deps) };
}

test("on a terminal the wait is one live line with the time left, cleared when the wait ends", async () => {
  const t = await setup();
  try {
    const { deps, done } = ttyLogin(t);
    const callback = await t.approve(() => deps.stderr());
    assert.ok(
      deps.stderr().includes(
        "\r\x1b[2K\x1b[2mWaiting for you to approve in the browser… 5:00 left (Ctrl-C to cancel)\x1b[22m",
      ),
      JSON.stringify(deps.stderr()),
    );
    await t.clock.advance(1_000);
    assert.ok(deps.stderr().includes("… 4:59 left (Ctrl-C to cancel)"));
    await t.clock.advance(60_000);
    assert.ok(deps.stderr().includes("… 3:59 left (Ctrl-C to cancel)"));
    await (await t.net.request(callback)).text();
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    // Cleared: the last thing before the result lines is the erase, and no redraw follows.
    const afterWait = r.stderr.slice(r.stderr.lastIndexOf("left (Ctrl-C to cancel)"));
    assert.ok(afterWait.includes("\r\x1b[2K"));
    const pending = t.clock.pending;
    await t.clock.advance(5_000);
    assert.equal(deps.stderr().lastIndexOf("left (Ctrl-C"), r.stderr.lastIndexOf("left (Ctrl-C"));
    assert.ok(t.clock.pending <= pending);
  } finally {
    await t.done();
  }
});

test("on a terminal the URL is also an OSC 8 hyperlink; NO_COLOR drops the dimming", async () => {
  const t = await setup();
  try {
    const { deps, done } = ttyLogin(t, { NO_COLOR: "1" });
    const url = await t.printedUrl(() => deps.stderr());
    assert.ok(deps.stderr().includes(`\x1b]8;;${url}\x1b\\${url}\x1b]8;;\x1b\\`));
    assert.ok(
      deps.stderr().includes("\r\x1b[2KWaiting for you to approve in the browser… 5:00 left"),
    );
    assert.ok(!deps.stderr().includes("\x1b[2m"));
    t.interrupt();
    await done;
  } finally {
    await t.done();
  }
});

test("with no terminal (or TERM=dumb) the wait is one plain line: no \\r, no escape codes", async () => {
  for (const [tty, env] of [[false, {}], [true, { TERM: "dumb" }]] as const) {
    const t = await setup({}, { launch: idle });
    try {
      const deps = t.deps();
      deps.io.stderrIsTTY = tty;
      Object.assign(deps.env, env);
      const done = runPup(["auth", "login"], deps);
      const callback = await t.approve(() => deps.stderr());
      await t.clock.advance(3_000);
      await (await t.net.request(callback)).text();
      const r = await done;
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!r.stderr.includes("\r") && !r.stderr.includes("\x1b"), JSON.stringify(r.stderr));
      const lines = r.stderr.split("\n").filter((l) => l.startsWith("Waiting for you"));
      assert.deepEqual(lines, [
        "Waiting for you to approve in the browser (up to 5:00; Ctrl-C to cancel)…",
      ]);
    } finally {
      await t.done();
    }
  }
});

test("invalid_scope names the refused scopes and prints the retry command without them (exit 4)", async () => {
  const t = await setup();
  try {
    const description =
      "The scopes apm_read, \u001b[31m monitors_write are not allowed for this org";
    const refuse = (cb: URL) => {
      const u = new URL(cb);
      u.searchParams.delete("code");
      u.searchParams.set("error", "invalid_scope");
      u.searchParams.set("error_description", description);
      return u;
    };
    const r = await runPup(
      ["auth", "login", "--org", "acme", "--scopes", "monitors_read,monitors_write,apm_read"],
      t.deps({ launch: t.net.browser(t.app, refuse) }),
    );
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /refused the requested scopes: monitors_write, apm_read/);
    assert.match(
      r.stderr,
      /^ {2}pup auth login --site 127\.0\.0\.1:9 --org acme --scopes monitors_read$/m,
    );
    assert.ok(!r.stderr.includes("\u001b"));
    await assert.rejects(stat(join(t.dir, `tokens_${t.key}.json`)));
  } finally {
    await t.done();
  }
});

test("invalid_scope from the token endpoint at the code exchange is exit 4 too, naming the refused scopes", async () => {
  // It was exit 2 (lib/errors.ts mapped invalid_scope to a usage error).
  const t = await setup();
  try {
    t.fake.knobs.failNext.push({
      path: "/oauth2/v1/token",
      status: 400,
      body: JSON.stringify({
        error: "invalid_scope",
        error_description: "apm_read is not allowed for this org",
      }),
    });
    const r = await runPup(
      ["auth", "login", "--org", "acme", "--scopes", "monitors_read,apm_read"],
      t.deps(),
    );
    assert.equal(r.code, 4, r.stderr);
    assert.match(
      r.stderr,
      /token exchange failed: the authorization server refused the requested scopes: apm_read/,
    );
    // The exact command that retries without the refused scope, as at the redirect.
    assert.match(
      r.stderr,
      /^ {2}pup auth login --site 127\.0\.0\.1:9 --org acme --scopes monitors_read$/m,
    );
    await assert.rejects(stat(join(t.dir, `tokens_${t.key}.json`)));
  } finally {
    await t.done();
  }
});

test("invalid_scope that names no requested scope suggests --read-only", async () => {
  const { retryCommand, refusedScopes } = await import("../lib/auth/invalid_scope.ts");
  const req = {
    site: "datadoghq.com",
    org: undefined,
    orgUuid: undefined,
    subdomain: undefined,
    scopes: ["a_read", "b_write"],
    pinnedPort: undefined,
    timeoutMs: 1,
    noBrowser: false,
  };
  assert.deepEqual(refusedScopes("invalid scope requested", req.scopes), []);
  assert.equal(retryCommand(req, []), "pup auth login --read-only");
  assert.equal(retryCommand(req, ["b_write"]), "pup auth login --scopes a_read");
});

test("the waiting line counts m:ss (h:mm:ss past an hour) and prints messages above itself", async () => {
  const { formatLeft, startWaitLine } = await import("../lib/auth/wait_line.ts");
  assert.equal(formatLeft(300_000), "5:00");
  assert.equal(formatLeft(299_001), "5:00");
  assert.equal(formatLeft(59_000), "0:59");
  assert.equal(formatLeft(3_600_000), "1:00:00");
  assert.equal(formatLeft(-5), "0:00");
  let err = "";
  const clock = new FakeClock();
  const line = startWaitLine(
    { io: { err: (s) => void (err += s), stderrIsTTY: true }, clock, env: { NO_COLOR: "1" } },
    "Waiting",
    clock.now() + 3_600_000,
  );
  assert.equal(err, "\r\x1b[2KWaiting… 1:00:00 left (Ctrl-C to cancel)");
  line.above("⚠️ note");
  assert.ok(err.endsWith("\r\x1b[2K⚠️ note\n\r\x1b[2KWaiting… 1:00:00 left (Ctrl-C to cancel)"));
  await clock.advance(1_000);
  assert.ok(err.endsWith("59:59 left (Ctrl-C to cancel)"));
  line.stop();
  assert.ok(err.endsWith("\r\x1b[2K"));
  assert.equal(clock.pending, 0, "no timer left behind");
});
