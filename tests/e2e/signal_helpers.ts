/**
 * @module
 * What the end-to-end signal tests share (`signals`, `faults_signals`, `concurrency`): a fake
 * Datadog with a config folder, the compiled binary started
 * with one request held open at the fake (so a signal lands inside that step), and the
 * before/after views of the config folder (its state files; the lock and temp files left).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { type FakeDatadog, startFakeDatadog } from "../fakes/datadog.ts";
import { localEnv, PUP_BIN, tempDir } from "../helpers.ts";

/** A fake Datadog, a config folder (not yet created) and the environment to run pup in. */
export interface FakeSite {
  fake: FakeDatadog;
  dir: string;
  /** CONTRACT §10's environment for the fake and the folder, plus this PATH. */
  env: Record<string, string>;
}

/**
 * Runs `body` with a fresh fake Datadog and config folder (`<temp>/config`), then releases
 * any request the fake still holds, stops it and removes the folder.
 */
export async function withFakeSite(
  prefix: string,
  body: (t: FakeSite) => Promise<void>,
): Promise<void> {
  const fake = await startFakeDatadog();
  const tmp = await tempDir(prefix);
  const dir = join(tmp.path, "config");
  try {
    await body({ fake, dir, env: binaryEnv(fake.site, dir) });
  } finally {
    fake.cancelDelays();
    await fake.close();
    await tmp.remove();
  }
}

/** CONTRACT §10's environment (the browser is `tests/fakes/bin/visit`) plus this PATH. */
export function binaryEnv(site: string, dir: string): Record<string, string> {
  return { ...localEnv(site, dir), PATH: process.env.PATH ?? "" };
}

/** dist/pup started by {@link spawnHeld}, now waiting on the held request. */
export interface HeldRun {
  pid: number;
  /** Settles when pup has exited: its exit code, or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What pup has written to stderr so far. */
  stderr(): string;
}

/**
 * Starts dist/pup with `args` while the fake holds every `POST held` open (`delayMs`), and
 * returns once that request has arrived: pup is inside the step that sent it. Fails the test
 * if pup ends first.
 */
export async function spawnHeld(
  fake: FakeDatadog,
  held: string,
  args: string[],
  env: Record<string, string>,
): Promise<HeldRun> {
  fake.knobs.delayMs[held] = 50_000;
  const child = spawn(PUP_BIN, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on("close", (code, signal) => r({ code, signal }))
  );
  while (fake.count("POST", held) === 0) {
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(child.exitCode, null, `pup ended before ${held}: ${stderr}`);
  }
  return { pid: child.pid!, exited, stderr: () => stderr };
}

/** Whether a site's lock file is in the folder. */
export async function holdsLock(dir: string): Promise<boolean> {
  return (await readdir(dir)).some((f) => f.startsWith(".lock_"));
}

/** The state files of the folder and their content. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (/^(tokens_.*|client_.*|sessions)\.json$/.test(name)) {
      out[name] = await readFile(join(dir, name), "utf8");
    }
  }
  return out;
}

/** The lock and temp files in the folder (none once every writer has finished). */
export async function leftovers(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((f) =>
    f.startsWith(".lock") || /\.(tmp|new|old)$/.test(f)
  );
}
