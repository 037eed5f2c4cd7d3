/**
 * @module
 * How much time pup adds to one API call. Starts the fake Datadog in this process, then times
 * N runs (after a warm-up) of each of:
 *
 * - `dist/pup api /api/v1/validate` with `DD_ACCESS_TOKEN` (a new process per call),
 * - `dist/pup --version` (start-up alone, for reference),
 * - `curl` of the same URL with the same `Authorization` header (a new process per call; when
 *   curl is installed),
 * - bare `fetch` of the same URL inside this process (no process start at all),
 *
 * and prints the median and p90 of each and the ratios. A benchmark, not a test: it never fails
 * because something is slow (it exits non-zero only when a command fails outright).
 *
 *   bun scripts/bench_api.ts [--runs 50] [--warmup 5]
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { startFakeDatadog } from "../tests/fakes/datadog.ts";

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const n = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(n) || n < 1) {
    console.error(`bench_api: ${name} must be a positive integer`);
    process.exit(2);
  }
  return n;
}

const RUNS = flag("--runs", 50);
const WARMUP = flag("--warmup", 5);
const PUP = new URL("../dist/pup", import.meta.url).pathname;

if (!existsSync(PUP)) {
  console.error("bench_api: dist/pup is missing: run `bun scripts/build.ts` first");
  process.exit(2);
}
const hasCurl = spawnSync("sh", ["-c", "command -v curl"]).status === 0;

/** Runs a program to completion; resolves with its exit code and stdout. */
function exec(cmd: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function timeMany(label: string, once: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await once();
    times.push(performance.now() - t0);
  }
  process.stderr.write(`  ${label}: done\n`);
  return times;
}

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

function stats(times: number[]) {
  const s = [...times].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), p90: quantile(s, 0.9), min: s[0] };
}

const fake = await startFakeDatadog();
const dir = await mkdtemp(join(tmpdir(), "pup-bench-"));
try {
  const token = fake.issueTokens().access_token;
  const url = `${fake.url}/api/v1/validate`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: dir,
    DD_SITE: fake.site,
    PUP_TRUST_SITE: "1",
    PUP_CONFIG_DIR: dir,
    DD_TOKEN_STORAGE: "file",
    DD_ACCESS_TOKEN: token,
  };
  const expect = (what: string, r: { code: number | null; stdout: string; stderr: string }) => {
    if (r.code !== 0 || !r.stdout.includes("true")) {
      throw new Error(`${what} failed (exit ${r.code}): ${r.stderr.trim()}`);
    }
  };

  console.error(`bench_api: ${RUNS} runs each after ${WARMUP} warm-up runs, against ${url}`);
  const results: [string, number[]][] = [];
  results.push([
    "pup api /api/v1/validate",
    await timeMany("pup api", async () => {
      expect("pup api", await exec(PUP, ["api", "/api/v1/validate"], env));
    }),
  ]);
  results.push([
    "pup --version (start-up only)",
    await timeMany("pup --version", async () => {
      const r = await exec(PUP, ["--version"], env);
      if (r.code !== 0) throw new Error(`pup --version failed (exit ${r.code})`);
    }),
  ]);
  if (hasCurl) {
    results.push([
      "curl (same URL and header)",
      await timeMany("curl", async () => {
        expect(
          "curl",
          await exec("curl", ["-sS", "-H", `Authorization: Bearer ${token}`, url], env),
        );
      }),
    ]);
  }
  results.push([
    "fetch in-process",
    await timeMany("fetch", async () => {
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      const text = await res.text();
      if (res.status !== 200 || !text.includes("true")) throw new Error(`fetch got ${res.status}`);
    }),
  ]);

  const table = results.map(([label, times]) => ({ label, ...stats(times) }));
  const pad = Math.max(...table.map((r) => r.label.length));
  const ms = (n: number) => `${n.toFixed(2).padStart(8)} ms`;
  console.log(
    `${"".padEnd(pad)}  ${"median".padStart(11)}  ${"p90".padStart(11)}  ${"min".padStart(11)}`,
  );
  for (const r of table) {
    console.log(`${r.label.padEnd(pad)}  ${ms(r.median)}  ${ms(r.p90)}  ${ms(r.min)}`);
  }
  const pup = table[0];
  const ratio = (other: { median: number; p90: number } | undefined, name: string) => {
    if (!other) return;
    console.log(
      `pup / ${name}: ${(pup.median / other.median).toFixed(1)}x median, ${
        (pup.p90 / other.p90).toFixed(1)
      }x p90 (pup adds ${(pup.median - other.median).toFixed(2)} ms at the median)`,
    );
  };
  ratio(table.find((r) => r.label.startsWith("curl")), "curl");
  ratio(table.find((r) => r.label.startsWith("fetch")), "in-process fetch");
  ratio(table.find((r) => r.label.startsWith("pup --version")), "pup --version");
} catch (err) {
  console.error(`bench_api: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
}
