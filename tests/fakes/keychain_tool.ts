/**
 * @module
 * The scaffolding of the keychain back-end tests that drive a fake OS tool
 * (tests/fakes/security.mjs, tests/fakes/powershell.mjs): a temporary folder for the fake's
 * data and argv log, the back end's {@link Spawner} — the fake in process, the fake's program
 * in tests/fakes/bin as a real process, or the real tool — and names unique to this run, so
 * that a run against a real keychain touches only what it made.
 *
 *     await withFakeTool({ prefix: "pup-security-", dataDir: "keychain", programs: [FAKE],
 *       run: (_program, call) => runSecurity(call), real: REAL, mode }, async (tool) => {
 *         const store = new MacKeychain({ spawn: tool.spawn, program: FAKE });
 *         // …
 *       });
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Spawner, spawnProgram } from "../../lib/runtime/spawn.ts";

/** Names this run's items apart from anything else in a real keychain. */
export const RUN = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** One call of the fake tool, as its module takes it. */
export interface ToolCall {
  argv: string[];
  env: Record<string, string>;
  stdin?: string;
}

/** What the fake tool's module answers; `hang` stands for a tool that never exits. */
export interface ToolAnswer {
  code: number | null;
  stdout: string;
  stderr: string;
  hang?: boolean;
}

/** Runs the fake tool's module for `program` (one of the fake's programs). */
export type ToolRun = (program: string, call: ToolCall) => ToolAnswer;

/**
 * The fake tool in process: each of `programs` runs `run` over `env` (and the call's own
 * variables over it), any other program is missing (ENOENT, as from a real spawn), and a
 * hanging call never answers (the back end's timeout on `deps.clock` ends it).
 */
export function inProcessTool(
  programs: string[],
  env: Record<string, string>,
  run: ToolRun,
): Spawner {
  return (command, args, options) => {
    if (!programs.includes(command)) {
      const err = Object.assign(new Error(`spawn ${command} ENOENT`), { code: "ENOENT" });
      return Promise.reject(err);
    }
    const r = run(command, { argv: args, env: { ...env, ...options.env }, stdin: options.stdin });
    if (r.hang) return new Promise(() => {});
    return Promise.resolve({ code: r.code, stdout: r.stdout, stderr: r.stderr, timedOut: false });
  };
}

/** How a test runs the tool: the fake in process, or the fake's program as a real process. */
export type ToolMode = "in-process" | "spawned";

/** What {@link withFakeTool} sets up. */
export interface ToolOptions {
  /** The temporary folder's name prefix. */
  prefix: string;
  /** The folder (below the temporary one) where the fake keeps its items. */
  dataDir: string;
  /** The fake's programs, in tests/fakes/bin. */
  programs: string[];
  run: ToolRun;
  /** Against the real tool and keychain: every call spawns the real program. */
  real: boolean;
  mode: ToolMode;
  /** The fake's test controls (PUP_FAKE_HANG, …), over its folder and log. */
  env?: Record<string, string>;
}

/** A fresh fake tool for one test. */
export interface FakeTool {
  /** The temporary folder. */
  dir: string;
  /** The folder of the fake's items. */
  dataDir: string;
  /** The fake's argv log (one JSON line a call). */
  log: string;
  spawn: Spawner;
  /** The fake's argv log, parsed. */
  calls<T>(): T[];
  /** An account name of this test (unique per run against the real keychain). */
  account(name: string): string;
  /** A site name of this test (unique per run against the real keychain). */
  site(name: string): string;
  /** The accounts and sites named so far: what a run against the real keychain removes. */
  named(): { accounts: string[]; sites: string[] };
}

/**
 * Against a real keychain, after a test: removes every account `tool` named and every item of
 * each site it named (`itemsOf`), ignoring failures.
 */
export async function removeNamed(
  tool: FakeTool,
  itemsOf: (site: string) => Promise<string[]>,
  remove: (account: string) => Promise<unknown>,
): Promise<void> {
  const { accounts, sites } = tool.named();
  const doomed = [...accounts];
  for (const site of sites) doomed.push(...await itemsOf(site));
  await Promise.all(doomed.map((a) => remove(a).catch(() => false)));
}

/** Runs `fn` against a fresh fake tool, and removes its folder afterwards. */
export async function withFakeTool(
  options: ToolOptions,
  fn: (tool: FakeTool) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), options.prefix));
  const dataDir = join(dir, options.dataDir);
  const log = join(dir, "argv.jsonl");
  const fakeEnv = { PUP_FAKE_KEYCHAIN_DIR: dataDir, PUP_FAKE_ARGV_LOG: log, ...options.env };
  const spawn: Spawner = options.real
    ? spawnProgram
    : options.mode === "in-process"
    ? inProcessTool(options.programs, fakeEnv, options.run)
    : (command, args, spawnOptions) =>
      spawnProgram(command, args, { ...spawnOptions, env: { ...spawnOptions.env, ...fakeEnv } });
  const accounts = new Set<string>();
  const sites = new Set<string>();
  const tool: FakeTool = {
    dir,
    dataDir,
    log,
    spawn,
    calls: () =>
      existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l)) : [],
    account: (name) => {
      const account = options.real ? `${name}.${RUN}` : name;
      accounts.add(account);
      return account;
    },
    site: (name) => {
      const site = options.real ? `${RUN}.${name}` : name;
      sites.add(site);
      return site;
    },
    named: () => ({ accounts: [...accounts], sites: [...sites] }),
  };
  try {
    await fn(tool);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
