/**
 * @module
 * Test helpers: a {@link Deps} with captured output and scripted input, temporary config
 * folders, and the environment that points pup at a local server (CONTRACT §10).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cryptoRandomBytes, type Deps } from "../lib/deps.ts";
import { spawnProgram } from "../lib/runtime/spawn.ts";
import { run } from "../lib/cli/run.ts";
import type { ClientCredentials, Token } from "../lib/auth/types.ts";
import { FileStateStore } from "../lib/store/file_state_store.ts";
import type { FakeDatadog, IssuedTokens, startFakeDatadog } from "./fakes/datadog.ts";
import { network, networkFetch } from "./fakes/network.ts";
import { FakeServe } from "./fakes/serve.ts";
import { FakeClock } from "./fakes/clock.ts";

/** A Deps whose output is captured and whose stdin is a list of lines. */
export interface TestDeps extends Deps {
  stdout: () => string;
  stderr: () => string;
  /** The callback servers and the browser of the default `serve` and `launch`. */
  net: FakeServe;
}

/**
 * Makes test dependencies; `overrides` replace any part. No socket and no real time by
 * default: `fetch` is the in-process network (`tests/fakes/network.ts`: the fakes made by
 * `createFakeDatadog`), `serve` a {@link FakeServe} and `launch` its browser, which visits the
 * authorize URL on that network and delivers the redirect to the callback server; `clock` is a
 * {@link FakeClock} at the real time of the call, which moves only when the test moves it.
 */
export function testDeps(
  env: Record<string, string | undefined>,
  overrides: Partial<Deps> & { stdinLines?: string[] } = {},
): TestDeps {
  let out = "";
  let err = "";
  const lines = [...(overrides.stdinLines ?? [])];
  const net = new FakeServe();
  const deps: TestDeps = {
    env,
    io: {
      out: (t) => void (out += t),
      err: (t) => void (err += t),
      readLine: () => Promise.resolve(lines.length ? lines.shift()! : null),
      readAll: () => Promise.resolve(lines.splice(0).join("\n")),
      stdinIsTTY: false,
      stdoutIsTTY: false,
      stderrIsTTY: false,
    },
    clock: new FakeClock(Date.now()),
    randomBytes: cryptoRandomBytes,
    fetch: networkFetch,
    serve: net.serve,
    spawn: spawnProgram,
    launch: net.browser(network),
    host: {
      runtime: "test",
      runtimeVersion: "0",
      os: "linux",
      arch: "x64",
      homeDir: env.HOME ?? tmpdir(),
      pid: 1_000_000 + Math.floor(Math.random() * 1000),
      processExists: () => true,
      onInterrupt: () => () => {},
      uid: typeof process.getuid === "function" ? process.getuid() : undefined,
    },
    version: "0.0.0-test",
    stdout: () => out,
    stderr: () => err,
    net,
    ...overrides,
  };
  return deps;
}

/** Runs pup in-process; returns its exit code and output. */
export async function runPup(argv: string[], deps: TestDeps) {
  const code = await run(argv, deps);
  return { code, stdout: deps.stdout(), stderr: deps.stderr() };
}

/** A fresh temporary folder, removed by the returned function. */
export async function tempDir(
  prefix = "pup-test-",
): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/**
 * Runs `fn` with a test's fixture (whatever a `setup()` made: a fake, a folder, deps), then
 * its `done()`, whether `fn` passed or threw.
 *
 * @example
 * test("…", () => withFixture(setup(), async (t) => { assert.equal((await t.pup(["api", "/x"])).code, 0); }));
 */
export async function withFixture<T extends { done(): unknown }>(
  fixture: T | Promise<T>,
  fn: (t: T) => Promise<void> | void,
): Promise<void> {
  const t = await fixture;
  try {
    await fn(t);
  } finally {
    await t.done();
  }
}

/**
 * Runs `fn` with a fresh temporary folder ({@link tempDir}, `prefix`), then removes it;
 * resolves with what `fn` does.
 *
 * @example
 * test("…", () => withTempDir(async (dir) => { await writeFile(join(dir.path, "x"), ""); }));
 */
export async function withTempDir<T>(
  fn: (dir: { path: string; remove: () => Promise<void> }) => Promise<T> | T,
  prefix?: string,
): Promise<T> {
  const dir = await tempDir(prefix);
  try {
    return await fn(dir);
  } finally {
    await dir.remove();
  }
}

/**
 * Runs `fn` with the fake Datadog in process ({@link createFakeDatadog}: on the unit tests'
 * network, no socket) and a fresh temporary folder ({@link tempDir}, `prefix`), then closes the
 * fake and removes the folder; resolves with what `fn` does.
 *
 * @example
 * test("…", () => withFakeDatadog(async (fake, dir) => { await seedSession(dir.path, fake.site, fake.issueTokens()); }));
 */
export async function withFakeDatadog<T>(
  fn: (fake: FakeDatadog, dir: { path: string; remove: () => Promise<void> }) => Promise<T>,
  options: { prefix?: string; fake?: Parameters<typeof startFakeDatadog>[0] } = {},
): Promise<T> {
  const { createFakeDatadog } = await import("./fakes/datadog.ts");
  return await withFake(createFakeDatadog(options.fake), fn, options.prefix);
}

/**
 * {@link withFakeDatadog} with the fake on a real socket (`startFakeDatadog`): for the
 * end-to-end tests, where the compiled binary or a real browser talks to it.
 */
export async function withFakeDatadogServer<T>(
  fn: (fake: FakeDatadog, dir: { path: string; remove: () => Promise<void> }) => Promise<T>,
  options: { prefix?: string; fake?: Parameters<typeof startFakeDatadog>[0] } = {},
): Promise<T> {
  const { startFakeDatadog } = await import("./fakes/datadog.ts");
  return await withFake(await startFakeDatadog(options.fake), fn, options.prefix);
}

async function withFake<T>(
  fake: FakeDatadog,
  fn: (fake: FakeDatadog, dir: { path: string; remove: () => Promise<void> }) => Promise<T>,
  prefix?: string,
): Promise<T> {
  const dir = await tempDir(prefix);
  try {
    return await fn(fake, dir);
  } finally {
    await fake.close();
    await dir.remove();
  }
}

/**
 * Fails when any of `secrets` appears in the stdout or stderr of any of `runs` (the message
 * never names the secret).
 *
 * @example
 * assertNoSecretPrinted([r], fake.secrets());
 */
export function assertNoSecretPrinted(
  runs: readonly { stdout: string; stderr: string }[],
  secrets: Iterable<string>,
): void {
  for (const secret of secrets) {
    for (const r of runs) {
      assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), "a secret was printed");
    }
  }
}

/**
 * `pup logs query` over the fake's last hour of logs, then `extra`. Its end is a minute ahead:
 * the fake seeds its logs back from its clock at each request, so a `--to now` fixed when pup
 * starts could miss the newest log once the fake's second ticks.
 *
 * @example
 * await t.pup(lastHourOfLogs("--all", "-o", "json"));
 */
export function lastHourOfLogs(...extra: string[]): string[] {
  const soon = new Date(Date.now() + 60_000).toISOString();
  return ["logs", "query", "--query", "*", "--from", "1h", "--to", soon, ...extra];
}

/** `tests/fakes/bin/visit`: GETs its last argument and follows redirects, like a browser. */
export const VISIT_BROWSER = new URL("./fakes/bin/visit", import.meta.url).pathname;

/** The environment of CONTRACT §10 for a local server. */
export function localEnv(site: string, configDir: string, extra: Record<string, string> = {}) {
  return {
    DD_SITE: site,
    PUP_TRUST_SITE: "1",
    PUP_CONFIG_DIR: configDir,
    DD_TOKEN_STORAGE: "file",
    HOME: configDir,
    // CONTRACT §10: a program that visits its last argument. Without it a login on a machine
    // with no display, over SSH or in a container runs no opener at all (CONTRACT §6).
    BROWSER: VISIT_BROWSER,
    ...extra,
  };
}

/** The compiled binary the end-to-end tests run. */
export const PUP_BIN = new URL("../dist/pup", import.meta.url).pathname;

/** The `skip` of a test that runs {@link PUP_BIN}: a reason when it has not been built, else false. */
export const NO_BINARY: string | false = existsSync(PUP_BIN)
  ? false
  : "dist/pup is missing: run `node_modules/.bin/bun scripts/build.ts` first";

/** What a run of a program (the compiled binary, a shell script) left. */
export interface BinaryRun {
  pid: number;
  code: number | null;
  /** The signal that ended it, if one did. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the compiled binary with `env` (plus PATH), stdin closed; `killAfterMs` sends SIGKILL
 * after that long if it is still running.
 */
export function runBinary(
  args: string[],
  env: Record<string, string>,
  options: { killAfterMs?: number } = {},
): Promise<BinaryRun> {
  return runProgram(PUP_BIN, args, { ...options, env: { PATH: process.env.PATH ?? "", ...env } });
}

/**
 * Runs `command` with exactly `env` (in `cwd`), stdin closed, and collects its output;
 * `killAfterMs` sends SIGKILL after that long if it is still running. Rejects when the program
 * cannot be started.
 */
export function runProgram(
  command: string,
  args: string[],
  options: { env: Record<string, string>; cwd?: string; killAfterMs?: number },
): Promise<BinaryRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env, cwd: options.cwd });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.stdin.end();
    const timer = options.killAfterMs === undefined
      ? undefined
      : setTimeout(() => child.kill("SIGKILL"), options.killAfterMs);
    child.once("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ pid: child.pid!, code, signal, stdout, stderr });
    });
  });
}

/**
 * {@link runBinary} with `env`, keeping every run, so a test can check them all at the end
 * (e.g. with {@link assertNoSecretPrinted}).
 *
 * @example
 * const { run, runs } = recordingBinary(env);
 * await run(["monitors", "list"]);
 */
export function recordingBinary(
  env: Record<string, string>,
): { run: (args: string[]) => Promise<BinaryRun>; runs: BinaryRun[] } {
  const runs: BinaryRun[] = [];
  const run = async (args: string[]) => {
    const r = await runBinary(args, env);
    runs.push(r);
    return r;
  };
  return { run, runs };
}

/** The token pup stores for tokens the fake issued, expiring `expiresInMs` from now. */
export function storedToken(issued: IssuedTokens, expiresInMs = issued.expires_in * 1000): Token {
  return {
    access_token: issued.access_token,
    refresh_token: issued.refresh_token,
    token_type: "Bearer",
    expires_in: issued.expires_in,
    expires_at: new Date(Date.now() + expiresInMs).toISOString(),
    scope: issued.scope,
  };
}

/** The client pup stores for the client the fake issued tokens to. */
export function storedClient(issued: IssuedTokens): ClientCredentials {
  return {
    client_id: issued.client_id,
    client_secret: issued.client_secret,
    registered_at: new Date().toISOString(),
  };
}

/** Stores issued tokens as one session in file storage, as `pup auth login` leaves it. */
export async function seedSession(
  dir: string,
  site: string,
  issued: IssuedTokens,
  options: { org?: string; expiresInMs?: number } = {},
): Promise<void> {
  await new FileStateStore(dir).write(site, {
    tokens: { [options.org ?? "__default__"]: storedToken(issued, options.expiresInMs) },
    client: storedClient(issued),
  });
}

/** Statuses whose response has no body (a `Response` refuses one). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * The fake Datadog with no socket: `deps.fetch` goes to the fake app's `request()` (and
 * rejects as a real fetch does when its signal aborts). `pup` runs pup in-process with the
 * CONTRACT §10 environment (`env` adds to it, e.g. API keys) and `options.clock` if given;
 * `bodies` holds each answer's raw text, to compare `-o json` with what the API sent.
 */
export async function inProcessFake(
  env: Record<string, string> = {},
  options: { clock?: Deps["clock"] } = {},
) {
  const { createFakeDatadogCore, fakeDatadogApp } = await import("./fakes/datadog.ts");
  const fake = createFakeDatadogCore();
  const app = fakeDatadogApp(fake);
  const site = "127.0.0.1:9";
  const dir = await tempDir("pup-in-process-");
  const bodies: string[] = [];
  const answer = async (input: RequestInfo | URL, init?: RequestInit) => {
    const res = await app.request(input instanceof Request ? input : String(input), init);
    const text = await res.text();
    bodies.push(text);
    return new Response(NULL_BODY.has(res.status) ? null : text, {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
  };
  const fetchFake: typeof fetch = (input, init) =>
    new Promise((resolve, reject) => {
      const signal = init?.signal;
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
      answer(input, init).then(resolve, reject);
    });
  const fullEnv = localEnv(site, dir.path, env);
  const clock = options.clock ? { clock: options.clock } : {};
  return {
    fake,
    app,
    site,
    dir: dir.path,
    bodies,
    /** Runs pup; `tty` marks the streams named as terminals. */
    pup: (
      argv: string[],
      overrides: Partial<Deps> & { stdinLines?: string[] } = {},
      tty: { stdin?: boolean; stdout?: boolean; stderr?: boolean } = {},
    ) => {
      const deps = testDeps(fullEnv, { fetch: fetchFake, ...clock, ...overrides });
      deps.io.stdinIsTTY = tty.stdin ?? false;
      deps.io.stdoutIsTTY = tty.stdout ?? false;
      deps.io.stderrIsTTY = tty.stderr ?? false;
      return runPup(argv, deps);
    },
    /** Stores a session granted `scope` (default: every default scope). */
    async login(scope?: string) {
      const t = fake.issueTokens({ scope });
      await seedSession(dir.path, site, t);
      return t;
    },
    /** Releases any request the fake holds (`delayMs`) and removes the folder. */
    async done() {
      fake.cancelDelays();
      await dir.remove();
    },
  };
}

/** What {@link inProcessFake} gives a test. */
export type InProcessFake = Awaited<ReturnType<typeof inProcessFake>>;

/**
 * Runs `fn` with a fresh {@link inProcessFake}, then removes its folder. `login` stores a
 * session first: `true` with every default scope, a string with those scopes; `env` adds to
 * the environment.
 *
 * @example
 * test("…", () => withInProcessFake(async (t) => { await t.pup(["monitors", "list"]); }, { login: true }));
 */
export async function withInProcessFake(
  fn: (t: InProcessFake) => Promise<void>,
  options: { login?: boolean | string; env?: Record<string, string> } = {},
): Promise<void> {
  await withFixture(inProcessFake(options.env), async (t) => {
    if (options.login) await t.login(options.login === true ? undefined : options.login);
    await fn(t);
  });
}
