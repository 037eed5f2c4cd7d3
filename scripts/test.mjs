#!/usr/bin/env node
// Runs pup's tests under both runtimes (`bun test ./tests`, `deno test`) after building the
// binary the end-to-end tests run, and ends with the suite's table (inputs tried, faults
// injected, processes killed, leaks found, state lost) and then one line: `N passed, N failed`.
//
// The table sums what tests report: each appends JSON lines to the file named by
// PUP_SUITE_TALLY, e.g. {"suite":"fuzz/files","inputs":450,"faults":0,"killed":0,"leaks":0,
// "lost":0} (every count optional; see tests/fuzz/tally.ts). A leak or lost state counts as a
// failure even if the test that found it did not fail. Reporting: the fuzz tests (inputs), the
// leak tests (leaks: their scan of every output and file), the fault tests tests/faults.test.ts
// (faults, state lost: a before/after comparison of the config folder in every case), and the
// signal tests tests/e2e/{signals,concurrency,faults_signals,store_faults}.test.ts (processes
// killed, state lost).
// Where gnome-keyring and D-Bus are installed it re-runs itself inside scripts/with-keyring.sh,
// so the Secret Service tests run against a real keyring.
//
//   node scripts/test.mjs [--no-build] [--only bun|deno] [filter…]
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const bin = `${root}node_modules/.bin`;
const args = process.argv.slice(2);
const has = (name) => spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;

if (
  !process.env.PUP_TEST_SECRET_SERVICE && !process.env.PUP_TEST_NO_KEYRING &&
  has("gnome-keyring-daemon") && has("dbus-run-session") && has("secret-tool")
) {
  const r = spawnSync("bash", [
    `${root}scripts/with-keyring.sh`,
    process.execPath,
    ...process.argv.slice(1),
  ], {
    stdio: "inherit",
  });
  process.exit(r.status ?? 1);
}

const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
const filters = args.filter((a, i) => !a.startsWith("--") && args[i - 1] !== "--only");

if (!args.includes("--no-build")) {
  const r = spawnSync(`${bin}/bun`, ["scripts/build.ts"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) {
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
}

const tallyDir = mkdtempSync(join(tmpdir(), "pup-tally-"));
const tallyFile = join(tallyDir, "tally.jsonl");

function run(cmd, cmdArgs) {
  return new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PUP_SUITE_TALLY: tallyFile },
    });
    let out = "";
    const tee = (stream, sink) =>
      stream.on("data", (c) => {
        out += c;
        sink.write(c);
      });
    tee(child.stdout, process.stdout);
    tee(child.stderr, process.stderr);
    child.on("close", (code) => resolve({ code, out }));
  });
}

// deno-lint-ignore no-control-regex
const plain = (s) => s.replace(/\x1b\[[0-9;]*m/g, "");
let passed = 0;
let failed = 0;
const summary = [];

if (only !== "deno") {
  const targets = filters.length ? filters.map((f) => `./tests/${f}`) : ["./tests"];
  const { code, out } = await run(`${bin}/bun`, ["test", "--timeout", "120000", ...targets]);
  const text = plain(out);
  const p = Number(/^\s*(\d+) pass$/m.exec(text)?.[1] ?? 0);
  const f = Number(/^\s*(\d+) fail$/m.exec(text)?.[1] ?? 0);
  const broken = code !== 0 && f === 0 ? 1 : 0;
  passed += p;
  failed += f + broken;
  summary.push(`bun:  ${p} passed, ${f + broken} failed (exit ${code})`);
}
if (only !== "bun") {
  const targets = filters.length ? filters.map((f) => `tests/${f}`) : [];
  const { code, out } = await run(`${bin}/deno`, ["test", "-A", "--no-check", ...targets]);
  const text = plain(out);
  // node:test's describe() becomes a Deno test with steps: count the steps as tests too.
  const m =
    /(?:ok|FAILED) \| (\d+) passed(?: \((\d+) steps?\))? \| (\d+) failed(?: \((\d+) steps?\))?/
      .exec(text);
  const p = Number(m?.[1] ?? 0) + Number(m?.[2] ?? 0);
  const f = Number(m?.[3] ?? 0) + Number(m?.[4] ?? 0);
  const broken = code !== 0 && f === 0 ? 1 : 0;
  passed += p;
  failed += f + broken;
  summary.push(`deno: ${p} passed, ${f + broken} failed (exit ${code})`);
}
/** Sums the tally lines; a line that is not a JSON object is counted as broken. */
function readTally() {
  const sums = { inputs: 0, faults: 0, killed: 0, leaks: 0, lost: 0 };
  const suites = new Set();
  let broken = 0;
  let text = "";
  try {
    text = readFileSync(tallyFile, "utf8");
  } catch { /* no test reported */ }
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const t = JSON.parse(line);
      if (typeof t !== "object" || t === null) throw new Error("not an object");
      if (typeof t.suite === "string") suites.add(t.suite);
      for (const k of Object.keys(sums)) if (Number.isFinite(t[k])) sums[k] += t[k];
    } catch {
      broken++;
    }
  }
  return { sums, suites: suites.size, broken };
}

const tally = readTally();
rmSync(tallyDir, { recursive: true, force: true });
const rows = [
  ["inputs tried", tally.sums.inputs],
  ["faults injected", tally.sums.faults],
  ["processes killed", tally.sums.killed],
  ["leaks found", tally.sums.leaks],
  ["state lost", tally.sums.lost],
];
const width = Math.max(...rows.map(([, n]) => String(n).length));
console.log("\n" + summary.join("\n"));
console.log(`\nsuite tally (${tally.suites} suites reporting, both runtimes)`);
for (const [name, n] of rows) console.log(`  ${name.padEnd(18)}${String(n).padStart(width)}`);
if (tally.broken) console.log(`  (${tally.broken} unreadable tally lines)`);
// A leak or lost state fails the run even if the test that found it passed; so does a tally
// line the runner cannot read (a count it cannot check is no proof).
if (tally.sums.leaks > 0 || tally.sums.lost > 0 || tally.broken > 0) failed += 1;
if (!existsSync(`${root}dist/pup`)) {
  console.log("note: dist/pup is missing; end-to-end tests could not run");
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
