/**
 * @module
 * End to end: the compiled binary keeps its tokens in a real Secret Service (gnome-keyring on a
 * private D-Bus session, started by scripts/with-keyring.sh, which `npm test` uses) and logs in
 * against the fake Datadog. `secret-tool` is reached through a logging shim
 * (tests/fakes/bin-logging) so the tests can check every argv for secrets and count keychain
 * calls per command. What the keychain holds is read back with the real `secret-tool` and
 * reassembled here, independently of pup's own code.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startFakeDatadog } from "../fakes/datadog.ts";
import { localEnv, NO_BINARY, PUP_BIN, tempDir } from "../helpers.ts";

const VISIT = new URL("../fakes/bin/visit", import.meta.url).pathname;
const LOGGING_BIN = new URL("../fakes/bin-logging", import.meta.url).pathname;
/** The real `secret-tool`, found on the test's own PATH (never the shim). */
const SECRET_TOOL = spawnSync("sh", ["-c", "command -v secret-tool"], { encoding: "utf8" })
  .stdout.trim();
/** `secret-tool store` reads at most 8,191 bytes of stdin (TOOLCHAIN.md). */
const STORE_LIMIT = 8191;

const skip = process.env.PUP_TEST_SECRET_SERVICE !== "1"
  ? "no Secret Service: run under scripts/with-keyring.sh (npm test does when gnome-keyring is installed)"
  : NO_BINARY
  ? NO_BINARY
  : !existsSync(VISIT)
  ? "tests/fakes/bin/visit is missing"
  : SECRET_TOOL === ""
  ? "secret-tool is not on PATH (apt-get install -y libsecret-tools)"
  : false;

/** One run of the binary, with the `secret-tool` calls it made (argv after the program). */
interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  calls: string[][];
}

/** A config folder, an argv log and the environment of one test. */
interface World {
  dir: string;
  log: string;
  env: Record<string, string>;
  remove(): Promise<void>;
}

async function world(site: string, extra: Record<string, string | undefined> = {}) {
  const tmp = await tempDir("pup-e2e-keychain-");
  const dir = join(tmp.path, "config");
  const log = join(tmp.path, "secret-tool.log");
  const { DD_TOKEN_STORAGE: _unset, ...base } = localEnv(site, dir);
  const env: Record<string, string> = {
    ...base,
    BROWSER: VISIT,
    PATH: `${LOGGING_BIN}:${process.env.PATH ?? ""}`,
    PUP_SECRET_TOOL_LOG: log,
    PUP_REAL_SECRET_TOOL: SECRET_TOOL,
    // The private keyring's session: bus, runtime folder and home.
    DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS ?? "",
    XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? "",
    HOME: process.env.HOME ?? dir,
  };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return { dir, log, env, remove: tmp.remove } satisfies World;
}

/**
 * Runs the binary; `calls` are the `secret-tool` argvs of this run only. A login is retried
 * while its four fixed callback ports (CONTRACT §5) are all taken by other tests running on the
 * machine at the same time.
 */
async function pup(w: World, args: string[], env: Record<string, string> = w.env): Promise<Run> {
  for (let attempt = 1;; attempt++) {
    const run = await pupOnce(w, args, env);
    if (attempt === 20 || !/no free callback port/.test(run.stderr)) return run;
    await new Promise((r) => setTimeout(r, 250 * attempt));
  }
}

let runCount = 0;

async function pupOnce(w: World, args: string[], env: Record<string, string>): Promise<Run> {
  const log = `${w.log}.${++runCount}`; // one log per run: runs may overlap
  await writeFile(log, "");
  const { code, stdout, stderr } = await new Promise<Omit<Run, "calls">>((resolve) => {
    const child = spawn(PUP_BIN, args, { env: { ...env, PUP_SECRET_TOOL_LOG: log } });
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (err += c));
    child.stdin.end();
    child.on("close", (c) => resolve({ code: c, stdout: out, stderr: err }));
  });
  const text = await readFile(log, "utf8").catch(() => "");
  const calls = text.split("\n").filter(Boolean).map((l) => l.split("\t").slice(1));
  return { code, stdout, stderr, calls };
}

/** The accounts a run looked up, in order (`secret-tool lookup service pup account <a>`). */
function lookups(run: Run): string[] {
  return run.calls.filter((c) => c[0] === "lookup").map((c) => c[c.indexOf("account") + 1]);
}

/**
 * The `secret-tool` processes a run used to read: each `lookup`, and each
 * `search --all service pup` (one reads every pup item at once: issue 14).
 */
function readCalls(run: Run): string[][] {
  return run.calls.filter((c) => c[0] === "lookup" || c[0] === "search");
}

/** `secret-tool lookup` of one pup item, run directly: its value, or null when absent. */
function lookup(account: string): string | null {
  const r = spawnSync(SECRET_TOOL, ["lookup", "service", "pup", "account", account], {
    encoding: "utf8",
  });
  if (r.status === 0) return r.stdout;
  if (r.status === 1 && r.stderr.trim() === "") return null;
  throw new Error(`secret-tool lookup ${account} failed: exit ${r.status}: ${r.stderr}`);
}

function clear(account: string): void {
  spawnSync(SECRET_TOOL, ["clear", "service", "pup", "account", account]);
}

interface Stored {
  /** The parsed value `{"tokens": {…}, "client": {…}}`, or null when nothing is stored. */
  state: {
    tokens: Record<string, Record<string, unknown> & { access_token: string }>;
    client: Record<string, unknown> | null;
  } | null;
  /** The value's text, as stored. */
  text: string | null;
  /** Chunk count, 0 when stored whole or absent. */
  chunks: number;
  /** The byte size of every item that makes up the value. */
  itemBytes: number[];
}

/** What the keychain holds for a site, reassembled per CONTRACT §7 without pup's code. */
function stored(site: string): Stored {
  const account = `state_${site.replace(/[^A-Za-z0-9.-]/g, "_")}`;
  const whole = lookup(account);
  const count = lookup(`${account}_c`);
  if (whole !== null) {
    assert.equal(count, null, "a whole value and a count record at once");
    assert.equal(lookup(`${account}_0`), null, "a whole value and chunks at once");
    return {
      state: JSON.parse(whole),
      text: whole,
      chunks: 0,
      itemBytes: [Buffer.byteLength(whole)],
    };
  }
  if (count === null) {
    assert.equal(lookup(`${account}_0`), null, "chunks without a count record");
    return { state: null, text: null, chunks: 0, itemBytes: [] };
  }
  const m = /^(\d+):([0-9a-f]{64})$/.exec(count);
  assert.ok(m, `the count record is "<n>:<sha256>", found ${count.length} characters`);
  const n = Number(m[1]);
  const parts = Array.from({ length: n }, (_, i) => lookup(`${account}_${i}`));
  parts.forEach((p, i) => assert.notEqual(p, null, `chunk ${i} of ${n} is missing`));
  assert.equal(lookup(`${account}_${n}`), null, `a stale chunk ${n} is left behind`);
  const text = parts.join("");
  assert.equal(createHash("sha256").update(text).digest("hex"), m[2], "checksum");
  return {
    state: JSON.parse(text),
    text,
    chunks: n,
    itemBytes: parts.map((p) => Buffer.byteLength(p!)),
  };
}

/** Removes whatever a test left in the shared keyring. */
function clearSite(site: string): void {
  const account = `state_${site.replace(/[^A-Za-z0-9.-]/g, "_")}`;
  clear(account);
  clear(`${account}_c`);
  for (let i = 0; i < 100; i++) clear(`${account}_${i}`);
}

/** Every token and secret the keychain holds for the state, and the fake's codes. */
function secretsOf(state: Stored["state"], codes: Iterable<string>): string[] {
  const out = [...codes];
  for (const t of Object.values(state?.tokens ?? {})) {
    out.push(t.access_token, String(t.refresh_token));
  }
  if (typeof state?.client?.client_secret === "string") out.push(state.client.client_secret);
  return out.filter((s) => s.length >= 8);
}

function assertNothingSecret(runs: Run[], secrets: string[]): void {
  for (const run of runs) {
    const argv = run.calls.map((c) => c.join(" ")).join("\n");
    for (const secret of secrets) {
      assert.ok(!argv.includes(secret), "a secret was passed to secret-tool in argv");
      assert.ok(
        !run.stdout.includes(secret) && !run.stderr.includes(secret),
        "a secret was printed",
      );
    }
    for (const c of run.calls) {
      if (c[0] === "search") {
        assert.deepEqual(c.slice(1), ["--all", "service", "pup"]);
        continue;
      }
      assert.ok(["lookup", "store", "clear"].includes(c[0]), `unexpected call ${c[0]}`);
      // The only arguments: the verb, the label, and the attributes service/account.
      const rest = c.slice(1).filter((a) => !a.startsWith("--label=pup: "));
      assert.deepEqual(rest.slice(0, 3), ["service", "pup", "account"]);
      assert.equal(rest.length, 4);
    }
  }
}

test(
  "login with no storage setting keeps the tokens in the Secret Service and no token file",
  { skip, timeout: 120_000 },
  async () => {
    const fake = await startFakeDatadog();
    const w = await world(fake.site);
    try {
      const login = await pup(w, ["auth", "login", "--timeout", "60"]);
      assert.equal(login.code, 0, login.stderr);
      assert.match(login.stdout, /Secret Service/);
      assert.doesNotMatch(login.stderr, /No OS keychain/);

      const files = await readdir(w.dir);
      assert.deepEqual(files.filter((f) => /^(tokens|client)_.*\.json$/.test(f)), []);
      assert.ok(files.includes("sessions.json"), "sessions.json is still a file");
      assert.equal((await stat(join(w.dir, "sessions.json"))).mode & 0o777, 0o600);
      const sessions = JSON.parse(await readFile(join(w.dir, "sessions.json"), "utf8"));
      assert.ok(!JSON.stringify(sessions).includes("token"), "sessions.json holds no token");

      const s = stored(fake.site);
      assert.equal(s.chunks, 0, "one session fits one item");
      assert.ok(s.state?.tokens.__default__?.access_token);
      assert.equal(typeof s.state?.client?.client_id, "string");
      assert.equal(typeof s.state?.client?.client_secret, "string");
      assert.ok(login.calls.some((c) => c[0] === "store"), "login stored through secret-tool");

      const status = await pup(w, ["auth", "status", "-o", "json"]);
      assert.equal(status.code, 0, status.stderr);
      const j = JSON.parse(status.stdout);
      assert.equal(j.authenticated, true);
      assert.equal(j.token_storage, "keychain");
      assert.match(j.storage_location, /^Secret Service/);
      // At most one keychain read of the site per command: one `secret-tool search` that is
      // both the probe and the read of the state, so the probe item is not read.
      assert.equal(readCalls(status).length, 1, JSON.stringify(status.calls));
      const reads = lookups(status);
      assert.equal(reads.filter((a) => a === "__pup_probe__").length, 0);
      assert.equal(
        status.calls.filter((c) => c[0] !== "lookup" && c[0] !== "search").length,
        0,
        "a read writes",
      );

      const human = await pup(w, ["auth", "status"]);
      assert.equal(human.code, 0);
      assert.match(human.stdout, /Storage: +Secret Service \(service "pup"\)/);

      const forced = await pup(w, ["auth", "status", "-o", "json"], {
        ...w.env,
        DD_TOKEN_STORAGE: "keychain",
      });
      assert.equal(forced.code, 0, forced.stderr);
      assert.equal(JSON.parse(forced.stdout).token_storage, "keychain");

      const list = await pup(w, ["auth", "list", "-o", "json"]);
      assert.equal(list.code, 0, list.stderr);
      const l = JSON.parse(list.stdout);
      assert.equal(l.token_storage, "keychain");
      assert.equal(l.sessions.length, 1);
      const listText = await pup(w, ["auth", "list"]);
      assert.match(listText.stdout, /Tokens are stored in Secret Service/);
      assert.doesNotMatch(listText.stderr, /No OS keychain/);

      assertNothingSecret(
        [login, status, human, forced, list, listText],
        secretsOf(s.state, fake.state.codes.keys()),
      );

      const logout = await pup(w, ["auth", "logout"]);
      assert.equal(logout.code, 0, logout.stderr);
      assert.equal(stored(fake.site).state, null, "logout removed every item of the site");
      assertNothingSecret([logout], secretsOf(s.state, []));
    } finally {
      clearSite(fake.site);
      await fake.close();
      await w.remove();
    }
  },
);

test(
  "a token near expiry is refreshed and the new one stored back in the Secret Service",
  { skip, timeout: 120_000 },
  async () => {
    const fake = await startFakeDatadog();
    const w = await world(fake.site, { DD_TOKEN_STORAGE: "keychain" });
    try {
      fake.knobs.accessTokenTtlSeconds = 60; // inside the 5-minute refresh window at once
      const login = await pup(w, ["auth", "login", "--timeout", "60"]);
      assert.equal(login.code, 0, login.stderr);
      const before = stored(fake.site).state!.tokens.__default__;

      fake.knobs.accessTokenTtlSeconds = 3600;
      const status = await pup(w, ["auth", "status", "-o", "json"]);
      assert.equal(status.code, 0, status.stderr);
      assert.equal(JSON.parse(status.stdout).status, "valid (refreshed)");
      assert.equal(fake.count("POST", "/oauth2/v1/token"), 2);

      const after = stored(fake.site).state!.tokens.__default__;
      assert.notEqual(after.access_token, before.access_token);
      assert.notEqual(after.refresh_token, before.refresh_token, "the rotated refresh token");
      assert.ok(Date.parse(String(after.expires_at)) - Date.now() > 3000_000);
      assert.ok(status.calls.some((c) => c[0] === "store"), "stored back through secret-tool");

      const again = await pup(w, ["auth", "status", "-o", "json"]);
      assert.equal(JSON.parse(again.stdout).status, "valid");
      assert.equal(fake.count("POST", "/oauth2/v1/token"), 2, "no second refresh");

      const token = await pup(w, ["auth", "token"]);
      assert.equal(token.code, 0, token.stderr);
      assert.equal(token.stdout, `${after.access_token}\n`);

      const secrets = [...secretsOf(stored(fake.site).state, fake.state.codes.keys())];
      secrets.push(before.access_token, String(before.refresh_token));
      assertNothingSecret([login, status, again], secrets);
      assertNothingSecret([{ ...token, stdout: "" }], secrets);
    } finally {
      clearSite(fake.site);
      await fake.close();
      await w.remove();
    }
  },
);

test(
  "40 org sessions on one site are sharded below secret-tool's limit and shrink on logout",
  { skip, timeout: 300_000 },
  async () => {
    const fake = await startFakeDatadog();
    const w = await world(fake.site);
    const orgs = Array.from({ length: 40 }, (_, i) => `org-${String(i).padStart(2, "0")}`);
    const account = `state_${fake.site.replace(":", "_")}`;
    try {
      // Four logins at a time (pup has four callback ports), each taking the site's lock to
      // rewrite the sharded value: every session must survive its neighbours' writes.
      const runs: Run[] = [];
      for (let i = 0; i < orgs.length; i += 4) {
        const batch = await Promise.all(
          orgs.slice(i, i + 4).map((org) =>
            pup(w, ["auth", "login", "--org", org, "--timeout", "60"])
          ),
        );
        batch.forEach((r, j) => assert.equal(r.code, 0, `${orgs[i + j]}: ${r.stderr}`));
        runs.push(...batch);
      }
      // What each login stored is what the server issued it, byte for byte.
      const issued = new Map<string, Record<string, unknown>>();
      const families = new Set<string>();
      for (const [org, t] of Object.entries(stored(fake.site).state!.tokens)) {
        const access = fake.state.accessTokens.get(t.access_token);
        const refresh = fake.state.refreshTokens.get(String(t.refresh_token));
        assert.ok(access && !access.revoked, `${org}: an access token the server did not issue`);
        assert.ok(refresh?.status === "active", `${org}: a refresh token the server did not issue`);
        assert.equal(refresh.familyId, access.familyId, `${org}: tokens of different logins`);
        assert.equal(t.scope, access.scope);
        families.add(access.familyId);
        issued.set(org, t);
      }
      assert.equal(families.size, 40, "forty logins, forty token families");

      const big = stored(fake.site);
      assert.ok(big.text!.length > 40_000, `only ${big.text!.length} bytes`);
      assert.ok(big.chunks >= 6, `${big.chunks} chunks`);
      for (const n of big.itemBytes) assert.ok(n < STORE_LIMIT, `a chunk of ${n} bytes`);
      assert.equal(lookup(account), null, "no whole-value item beside the chunks");
      assert.deepEqual(Object.keys(big.state!.tokens).sort(), orgs);
      for (const org of orgs) assert.deepEqual(big.state!.tokens[org], issued.get(org));

      // One read of the sharded value, every item in it: one `secret-tool search` (issue 14).
      const status = await pup(w, ["auth", "status", "--org", "org-07", "-o", "json"]);
      assert.equal(status.code, 0, status.stderr);
      assert.equal(JSON.parse(status.stdout).authenticated, true);
      assert.equal(readCalls(status).length, 1, JSON.stringify(status.calls));
      assert.equal(status.calls.length, 1, "a read wrote");

      const token = await pup(w, ["auth", "token", "--org", "org-07"]);
      assert.equal(token.stdout, `${issued.get("org-07")!.access_token}\n`);
      // `auth token` reads the site once too: the token manager reuses the command's read.
      assert.equal(readCalls(token).length, 1, `${readCalls(token).length} reads`);

      // Logging out one named org shrinks the value; the others stay byte for byte.
      const one = await pup(w, ["auth", "logout", "--org", "org-39"]);
      assert.equal(one.code, 0, one.stderr);
      const smaller = stored(fake.site);
      assert.ok(smaller.text!.length < big.text!.length);
      assert.ok(!("org-39" in smaller.state!.tokens));
      for (const org of orgs.slice(0, 39)) {
        assert.deepEqual(smaller.state!.tokens[org], issued.get(org));
      }
      runs.push(status, one);

      // Six more: the chunk count drops and no chunk is left past the count record.
      let last = smaller;
      for (const org of orgs.slice(33, 39).reverse()) {
        const out = await pup(w, ["auth", "logout", "--org", org]);
        assert.equal(out.code, 0, out.stderr);
        runs.push(out);
        const now = stored(fake.site); // asserts: no chunk past the count, checksum matches
        assert.ok(now.chunks <= last.chunks);
        last = now;
      }
      assert.ok(last.chunks < big.chunks, `${last.chunks} chunks after 7 logouts`);
      assert.deepEqual(Object.keys(last.state!.tokens).sort(), orgs.slice(0, 33));
      for (const org of orgs.slice(0, 33)) {
        assert.deepEqual(last.state!.tokens[org], issued.get(org));
      }
      for (let i = last.chunks; i < big.chunks; i++) {
        assert.equal(lookup(`${account}_${i}`), null, `stale chunk ${i}`);
      }

      const sessions = JSON.parse(await readFile(join(w.dir, "sessions.json"), "utf8"));
      assert.equal(sessions.length, 33);
      assertNothingSecret(runs, secretsOf(big.state, fake.state.codes.keys()));
    } finally {
      clearSite(fake.site);
      await fake.close();
      await w.remove();
    }
  },
);

test(
  "without a session bus tokens go to files with one warning, and forced keychain exits 2",
  { skip, timeout: 120_000 },
  async () => {
    const fake = await startFakeDatadog();
    const runtime = await tempDir("pup-e2e-nobus-");
    const w = await world(fake.site, {
      DBUS_SESSION_BUS_ADDRESS: undefined,
      XDG_RUNTIME_DIR: runtime.path,
    });
    try {
      const login = await pup(w, ["auth", "login", "--timeout", "60"]);
      assert.equal(login.code, 0, login.stderr);
      const warnings = login.stderr.match(/No OS keychain available/g) ?? [];
      assert.equal(warnings.length, 1, login.stderr);
      assert.ok(login.stderr.includes(w.dir), "the warning names the folder");
      assert.deepEqual(login.calls, [], "detection spawned no secret-tool");
      const key = fake.site.replace(":", "_");
      const files = await readdir(w.dir);
      assert.ok(files.includes(`tokens_${key}.json`));
      assert.ok(files.includes(`client_${key}.json`));
      assert.equal(stored(fake.site).state, null, "nothing went to the keychain");

      const status = await pup(w, ["auth", "status", "-o", "json"]);
      assert.equal(status.code, 0, status.stderr);
      assert.equal(JSON.parse(status.stdout).token_storage, "file");
      assert.equal((status.stderr.match(/No OS keychain available/g) ?? []).length, 1);

      const forcedEnv = { ...w.env, DD_TOKEN_STORAGE: "keychain" };
      const forced = await pup(w, ["auth", "status"], forcedEnv);
      assert.equal(forced.code, 2, forced.stderr);
      assert.match(forced.stderr, /keychain/);
      assert.match(forced.stderr, /D-Bus/);
      assert.match(forced.stderr, /DD_TOKEN_STORAGE=file/, "a hint names the way out");
      assert.doesNotMatch(forced.stderr, /No OS keychain available/, "an error, not a fallback");

      const forcedLogin = await pup(w, ["auth", "login", "--timeout", "5"], forcedEnv);
      assert.equal(forcedLogin.code, 2, forcedLogin.stderr);
      assert.equal(fake.count("GET", "/oauth2/v1/authorize"), 1, "no second browser visit");
      const quiet = await pup(w, ["auth", "status", "-o", "json"], {
        ...w.env,
        DD_TOKEN_STORAGE: "file",
      });
      assert.equal(quiet.code, 0);
      assert.equal(quiet.stderr, "", "DD_TOKEN_STORAGE=file silences the warning");
    } finally {
      await fake.close();
      await w.remove();
      await runtime.remove();
    }
  },
);

test(
  "a Secret Service that is on the bus but does not answer falls back to files",
  { skip, timeout: 120_000 },
  async () => {
    const fake = await startFakeDatadog();
    const w = await world(fake.site);
    const bin = join(w.dir, "..", "broken-bin");
    try {
      // A secret-tool that fails as it does when no keyring owns org.freedesktop.secrets.
      await mkdir(bin);
      await writeFile(
        join(bin, "secret-tool"),
        '#!/bin/sh\necho "secret-tool: The name org.freedesktop.secrets was not provided by any .service files" >&2\nexit 1\n',
        { mode: 0o755 },
      );
      const env = { ...w.env, PATH: `${bin}:${process.env.PATH ?? ""}` };
      const status = await pup(w, ["auth", "status", "-o", "json"], env);
      assert.equal(status.code, 4, status.stderr);
      assert.equal(JSON.parse(status.stdout).token_storage, "file");
      assert.equal((status.stderr.match(/No OS keychain available/g) ?? []).length, 1);
      assert.match(status.stderr, /org\.freedesktop\.secrets/);

      const forced = await pup(w, ["auth", "status"], { ...env, DD_TOKEN_STORAGE: "keychain" });
      assert.equal(forced.code, 2, forced.stderr);
      assert.match(forced.stderr, /DD_TOKEN_STORAGE=file/);
    } finally {
      await fake.close();
      await w.remove();
    }
  },
);
