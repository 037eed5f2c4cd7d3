/**
 * @module
 * pup's benchmark (issue #6): pup runs in shell loops, scripts and agents, so its auth must
 * cost next to nothing. One run measures pup against baselines run on the same machine at the
 * same time, interleaved, and prints a table of ratios:
 *
 * 1. start-up: `pup --version` and `pup auth status` against a hello-world binary built now
 *    with pup's own build flags (targets ≤ 1.3× and ≤ 2×);
 * 2. `pup api /api/v1/validate` (DD_ACCESS_TOKEN, and an OAuth session) against curl (≤ 2×);
 * 3. `pup auth login` (DCR reused) against the same flow with a bare fetch (adds ≤ 20 ms);
 * 4. 32 concurrent `pup auth token` with an expired token (exactly 1 refresh);
 * 5. `secret-tool` calls per command and the Secret Service's cost (under with-keyring.sh),
 *    and the keychain at scale: 41 sessions on one site against 1 on another (issue 14);
 * 6. the API families (issue 11): a table command against `pup api` of the same path, and
 *    `--all` over 10 pages against one start-up plus 10 bare fetches; with `--before PATH`,
 *    start-up against a binary built before the families;
 * 7. peak RSS and binary size; with `--sizes`, every release target's archive sizes.
 *
 *   bun scripts/bench.ts [--json out.json] [--quick] [--sizes] [--only a,b] [--reps N] [--pup PATH]
 *                        [--build] [--before PATH]
 *
 * Exits non-zero only when something could not be measured, never because pup is slow.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { startFakeDatadog } from "../tests/fakes/datadog.ts";
import { families } from "./bench/families.ts";
import { buildHello, machine } from "./bench/fixtures.ts";
import { keychain } from "./bench/keychain.ts";
import { startBrowserHook } from "./bench/login.ts";
import { MeasureError } from "./bench/measure.ts";
import { formatTable, type Row } from "./bench/report.ts";
import {
  apiCall,
  type Bench,
  concurrency,
  login,
  memory,
  prepareSession,
  sizes,
  startup,
} from "./bench/sections.ts";

const root = resolve(new URL("..", import.meta.url).pathname);
const { values: opts } = parseArgs({
  args: process.argv.slice(2),
  options: {
    json: { type: "string" },
    quick: { type: "boolean" },
    sizes: { type: "boolean" },
    only: { type: "string" },
    reps: { type: "string" },
    pup: { type: "string" },
    build: { type: "boolean" },
    before: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (opts.help) {
  console.log(
    "usage: bun scripts/bench.ts [--json FILE] [--quick] [--sizes] [--only a,b] [--reps N] [--pup PATH]\n" +
      "                            [--build] [--before PATH]\n" +
      "  --quick   10 repetitions instead of 30\n" +
      "  --sizes   also build every release target and report binary, gzip and xz sizes\n" +
      "  --only    run only these sections (start-up, authenticated call, login, concurrency,\n" +
      "            keychain, families, memory and size, release sizes), e.g. --only start-up,login\n" +
      "  --pup     benchmark this binary instead of dist/pup\n" +
      "  --build   rebuild dist/pup first (it is built anyway when missing)\n" +
      "  --before  a pup binary built before the API families: their start-up rows compare to it",
  );
  process.exit(0);
}

function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(1);
}

const bun = existsSync(join(root, "node_modules/.bin/bun"))
  ? join(root, "node_modules/.bin/bun")
  : process.execPath;
const reps = opts.reps ? Number(opts.reps) : opts.quick ? 10 : 30;
if (!Number.isInteger(reps) || reps < 1) fail("--reps must be a positive integer");
const warmup = opts.quick ? 2 : 3;

const sections: [string, (b: Bench) => Promise<Row[]>][] = [
  ["start-up", startup],
  ["authenticated call", apiCall],
  ["login", login],
  ["concurrency", concurrency],
  ["keychain", keychain],
  ["families", (b) => families({ ...b, before: opts.before && resolve(opts.before) })],
  ["memory and size", memory],
];
sections.push(["release sizes", sizes]);
const only = opts.only?.split(",").map((s) => s.trim());
const unknown = only?.filter((o) => !sections.some(([name]) => name === o));
if (unknown?.length) fail(`unknown section ${unknown.join(", ")}: ${sections.map(([n]) => n)}`);
const chosen = sections.filter(([name]) =>
  only ? only.includes(name) : name !== "release sizes" || opts.sizes
);

const pup = resolve(opts.pup ?? join(root, "dist/pup"));
if (!opts.pup && (opts.build || !existsSync(pup))) {
  console.error("bench: building dist/pup …");
  const r = spawnSync(bun, ["scripts/build.ts"], { cwd: root, stdio: ["ignore", 2, 2] });
  if (r.status !== 0 || !existsSync(pup)) fail("dist/pup is missing and the build failed");
}
if (!existsSync(pup)) fail(`${pup} does not exist`);
if (!existsSync("/usr/bin/curl") && spawnSync("curl", ["--version"]).status !== 0) {
  fail("curl is needed (the browser and the baseline of the API call)");
}

const tmp = mkdtempSync(join(tmpdir(), "pup-bench-"));
const cleanEnv: Record<string, string> = {};
for (
  const k of [
    "PATH",
    "HOME",
    "TMPDIR",
    "LANG",
    "LC_ALL",
    "DBUS_SESSION_BUS_ADDRESS",
    "XDG_RUNTIME_DIR",
    "XDG_DATA_HOME",
    "PUP_TEST_SECRET_SERVICE",
  ]
) if (process.env[k] !== undefined) cleanEnv[k] = process.env[k]!;

const started = new Date();
const loadBefore = loadavg()[0];
let hello: string;
try {
  hello = buildHello(bun, tmp);
} catch (err) {
  rmSync(tmp, { recursive: true, force: true });
  fail((err as Error).message);
}
const fake = await startFakeDatadog().catch((err) => {
  rmSync(tmp, { recursive: true, force: true });
  return fail(`the fake Datadog: ${err}`);
});
const hook = await startBrowserHook(tmp);

const bench: Bench = {
  root,
  bun,
  pup,
  hello,
  tmp,
  fake,
  hook,
  reps,
  warmup,
  env: (extra = {}) => ({ ...cleanEnv, ...extra }),
  fileDir: join(tmp, "file-config"),
  token: "",
};
mkdirSync(join(tmp, "empty-config"), { mode: 0o700 });
bench.token = prepareSession(bench, bench.fileDir).issued.access_token;

const rows: Row[] = [];
let broken = false;
for (const [name, section] of chosen) {
  console.error(`bench: ${name} …`);
  try {
    rows.push(...await section(bench));
  } catch (err) {
    broken = true;
    const why = err instanceof MeasureError ? err.message : String((err as Error)?.stack ?? err);
    rows.push({ section: name, name, unit: "", error: true, note: `could not measure: ${why}` });
  }
}
await hook.close();
await fake.close();
rmSync(tmp, { recursive: true, force: true });

const host = machine();
const loadAfter = loadavg()[0];
const version = spawnSync(pup, ["--version"], { encoding: "utf8" }).stdout.trim();
const bunVersion = spawnSync(bun, ["--version"], { encoding: "utf8" }).stdout.trim();
console.log(
  `pup benchmark — ${started.toISOString()} — ${version} (${pup}), bun ${bunVersion}\n` +
    `machine: ${host.nproc} CPUs, ${host.cpu}, ${host.ramGiB} GiB RAM, ${host.os}; ` +
    `load average ${loadBefore.toFixed(1)} at the start, ${loadAfter.toFixed(1)} at the end\n` +
    `${reps} repetitions after ${warmup} warm-up runs, interleaved; median (p10–p90)\n`,
);
console.log(formatTable(rows));
if (opts.json) {
  writeFileSync(
    opts.json,
    JSON.stringify(
      {
        date: started.toISOString(),
        pup: { path: pup, version },
        bun: bunVersion,
        machine: host,
        loadAverage: { start: loadBefore, end: loadAfter },
        reps,
        warmup,
        rows,
      },
      null,
      2,
    ) + "\n",
  );
}
process.exit(broken ? 1 : 0);
