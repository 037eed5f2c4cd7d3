/**
 * @module
 * The benchmark's sections: start-up, an authenticated call, login, concurrent refresh, memory
 * and size. Each measures pup and its baseline interleaved in the same run and returns rows.
 */
import { spawn, spawnSync } from "node:child_process";
import { createReadStream, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { FakeDatadog } from "../../tests/fakes/datadog.ts";
import { tokenFor, writeSession } from "./fixtures.ts";
import { bareLogin, type BrowserHook, pupLogin, storedClient } from "./login.ts";
import { type Cmd, interleave, MeasureError, run, summarize, timed } from "./measure.ts";
import { addedRow, ratioRow, type Row } from "./report.ts";

/** What every section needs. */
export interface Bench {
  root: string;
  bun: string;
  pup: string;
  hello: string;
  tmp: string;
  fake: FakeDatadog;
  hook: BrowserHook;
  reps: number;
  warmup: number;
  /** A clean environment (no DD_* from the caller) plus `extra`. */
  env(extra?: Record<string, string>): Record<string, string>;
  /** A config folder holding a valid default session in files. */
  fileDir: string;
  /** That session's access token. */
  token: string;
}

/** Prepares a config folder with a session on the fake; `ttlSeconds` < 0 writes it expired. */
export function prepareSession(b: Bench, dir: string, ttlSeconds = 3600) {
  const issued = b.fake.issueTokens();
  const client = {
    ...b.fake.state.clients.get(issued.client_id)!,
    registered_at: new Date().toISOString(),
  };
  writeSession(dir, b.fake.site, client, tokenFor(issued, ttlSeconds));
  return { issued, client };
}

/** The environment that points pup at the fake with files in `dir` (CONTRACT §10). */
export function pupEnv(b: Bench, dir: string, extra: Record<string, string> = {}) {
  return b.env({
    DD_SITE: b.fake.site,
    PUP_TRUST_SITE: "1",
    PUP_CONFIG_DIR: dir,
    DD_TOKEN_STORAGE: "file",
    ...extra,
  });
}

const task = (c: Cmd) => () => timed(c);

/** 1. Start-up: `--version` and `auth status` against the hello-world binary. */
export async function startup(b: Bench): Promise<Row[]> {
  const env = pupEnv(b, b.fileDir);
  const s = await interleave(
    {
      hello: task({ cmd: b.hello, args: [], env }),
      version: task({ cmd: b.pup, args: ["--version"], env }),
      status: task({ cmd: b.pup, args: ["auth", "status"], env }),
    },
    b.reps,
    b.warmup,
  );
  const hello = { name: "hello", value: summarize(s.hello) };
  return [
    ratioRow({
      section: "start-up",
      name: "pup --version",
      unit: "ms",
      pup: summarize(s.version),
      baseline: hello,
    }, 1.3),
    ratioRow({
      section: "start-up",
      name: "pup auth status (file storage)",
      unit: "ms",
      pup: summarize(s.status),
      baseline: hello,
    }, 2),
  ];
}

/** 2. `pup api /api/v1/validate` (DD_ACCESS_TOKEN, and an OAuth session) against curl. */
export async function apiCall(b: Bench): Promise<Row[]> {
  const url = `${b.fake.url}/api/v1/validate`;
  const curl = {
    cmd: "curl",
    args: ["-s", "-H", `Authorization: Bearer ${b.token}`, url],
    env: b.env(),
  };
  const envToken = pupEnv(b, join(b.tmp, "empty-config"), { DD_ACCESS_TOKEN: b.token });
  const pupToken = { cmd: b.pup, args: ["api", "/api/v1/validate"], env: envToken };
  const pupOauth = { cmd: b.pup, args: ["api", "/api/v1/validate"], env: pupEnv(b, b.fileDir) };
  const probe = await run(pupToken);
  const base = { section: "authenticated call", unit: "ms" };
  if (probe.code !== 0 || !probe.stdout.includes("valid")) {
    const s = await interleave({ curl: task(curl) }, b.reps, b.warmup);
    const why = `not measured: api command missing (pup api exited ${probe.code}: ${
      probe.stderr.trim().split("\n")[0].slice(0, 120)
    })`;
    const baseline = { name: "curl", value: summarize(s.curl) };
    return [
      ratioRow({ ...base, name: "pup api (DD_ACCESS_TOKEN)", baseline, note: why }, 2),
      ratioRow({ ...base, name: "pup api (OAuth session)", baseline, note: why }, 2),
    ];
  }
  const s = await interleave(
    {
      curl: task(curl),
      token: task(pupToken),
      oauth: task(pupOauth),
    },
    b.reps,
    b.warmup,
  );
  const baseline = { name: "curl", value: summarize(s.curl) };
  return [
    ratioRow({ ...base, name: "pup api (DD_ACCESS_TOKEN)", pup: summarize(s.token), baseline }, 2),
    ratioRow({ ...base, name: "pup api (OAuth session)", pup: summarize(s.oauth), baseline }, 2),
  ];
}

/** 3. `pup auth login` (DCR reused) against the same flow with a bare fetch. */
export async function login(b: Bench): Promise<Row[]> {
  const dir = join(b.tmp, "login-config");
  const c: Cmd = {
    cmd: b.pup,
    args: ["auth", "login"],
    env: pupEnv(b, dir, { BROWSER: b.hook.program, ...b.hook.env }),
  };
  await pupLogin(c, b.hook); // registers the client; every later login reuses it
  const client = storedClient(dir, b.fake.site);
  // When the authorize request reached the fake (its own clock, ms), after a flow's start.
  const toAuthorize = (startedAt: number) => {
    const req = b.fake.requests.findLast((r) => r.path === "/oauth2/v1/authorize");
    return req ? req.at - startedAt : NaN;
  };
  const pup = { total: [] as number[], tail: [] as number[], head: [] as number[] };
  const bare = { ...structuredClone(pup), exchange: [] as number[] };
  await interleave(
    {
      pup: async () => {
        const r = await pupLogin(c, b.hook);
        pup.total.push(r.total);
        pup.tail.push(r.redirectToEnd);
        pup.head.push(toAuthorize(r.startedAt));
        return r.total;
      },
      bare: async () => {
        const r = await bareLogin(b.fake.url, client, b.hook);
        bare.total.push(r.total);
        bare.tail.push(r.redirectToEnd);
        bare.head.push(toAuthorize(r.startedAt));
        bare.exchange.push(r.exchange!);
        return r.total;
      },
    },
    b.reps,
    b.warmup,
  );
  // Drop the warm-up samples, which were recorded here too.
  const keep = (a: number[]) => summarize(a.slice(-b.reps));
  const base = { section: "login", unit: "ms" };
  return [
    addedRow({
      ...base,
      name: "auth login: redirect → exit",
      pup: keep(pup.tail),
      baseline: { name: "bare token exchange", value: keep(bare.exchange) },
      note: `the same span with a bare fetch client: ${
        keep(bare.tail).median.toFixed(1)
      } ms (callback + exchange)`,
    }, 20),
    addedRow({
      ...base,
      name: "auth login: whole flow, DCR reused",
      pup: keep(pup.total),
      baseline: { name: "bare flow", value: keep(bare.total) },
      note: `start → authorize request at the fake: pup ${
        keep(pup.head).median.toFixed(1)
      } ms, bare flow ${
        keep(bare.head).median.toFixed(1)
      } ms (both launch the same curl browser); the rest is callback, exchange and storage`,
    }, 20),
  ];
}

/** N processes of `args` at once; returns the wall time and the refresh requests they made. */
async function wave(b: Bench, dir: string, args: string[], n: number) {
  const { issued } = prepareSession(b, dir, -60);
  const before = b.fake.count("POST", "/oauth2/v1/token");
  const c: Cmd = { cmd: b.pup, args, env: pupEnv(b, dir) };
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: n }, () => run(c)));
  const wall = performance.now() - t0;
  for (const r of results) {
    if (r.code !== 0) {
      throw new MeasureError(`'pup ${args.join(" ")}' exited ${r.code}: ${r.stderr.slice(0, 300)}`);
    }
  }
  const outs = new Set(results.map((r) => r.stdout.trim()));
  if (args[1] === "token" && (outs.size !== 1 || outs.has(issued.access_token))) {
    throw new MeasureError(`${n} processes printed ${outs.size} different tokens`);
  }
  return { wall, refreshes: b.fake.count("POST", "/oauth2/v1/token") - before };
}

/** 4. 32 processes with an expired token: one refresh, and the wall time against one alone. */
export async function concurrency(b: Bench): Promise<Row[]> {
  const dir = join(b.tmp, "concurrency-config");
  const hasToken = spawnSync(b.pup, ["auth", "token", "--help"], { env: b.env() }).status === 0;
  const args = hasToken ? ["auth", "token"] : ["auth", "status"];
  const rounds = Math.max(3, Math.round(b.reps / 3));
  const perRound: number[] = [];
  const s = await interleave(
    {
      one: async () => (await wave(b, dir, args, 1)).wall,
      many: async () => {
        const w = await wave(b, dir, args, 32);
        perRound.push(w.refreshes);
        return w.wall;
      },
    },
    rounds,
    1,
  );
  const name = `32 × pup ${args.join(" ")}, expired token`;
  const exact = perRound.every((r) => r === 1);
  return [
    {
      section: "concurrency",
      name: `${name}: refresh requests per round`,
      unit: "",
      pup: Math.max(...perRound),
      target: "exactly 1",
      pass: exact,
      note: `per round: ${perRound.join(", ")}${
        hasToken ? "" : " (auth token missing: used auth status)"
      }`,
    },
    ratioRow({
      section: "concurrency",
      name: `${name}: wall time`,
      unit: "ms",
      pup: summarize(s.many.slice(-rounds)),
      baseline: { name: "1 process", value: summarize(s.one.slice(-rounds)) },
    }),
  ];
}

/** Peak RSS of one run in MiB, from `/usr/bin/time -f %M`. */
async function peakRss(c: Cmd, out: string): Promise<number> {
  const r = await run({
    ...c,
    cmd: "/usr/bin/time",
    args: ["-f", "%M", "-o", out, c.cmd, ...c.args],
  });
  if (r.code !== 0) throw new MeasureError(`'${c.cmd} ${c.args.join(" ")}' exited ${r.code}`);
  return Number(readFileSync(out, "utf8").trim().split("\n").pop()) / 1024;
}

/** 6. Peak memory of `auth status` and the binary's size, against the hello-world binary. */
export async function memory(b: Bench): Promise<Row[]> {
  const rows: Row[] = [];
  const base = { section: "memory and size" };
  try {
    statSync("/usr/bin/time");
    const env = pupEnv(b, b.fileDir);
    const out = join(b.tmp, "rss");
    const n = Math.max(5, Math.round(b.reps / 3));
    const s = await interleave(
      {
        hello: () => peakRss({ cmd: b.hello, args: [], env }, out),
        status: () => peakRss({ cmd: b.pup, args: ["auth", "status"], env }, out),
      },
      n,
      1,
    );
    rows.push(ratioRow({
      ...base,
      name: "peak RSS, pup auth status",
      unit: "MiB",
      pup: summarize(s.status),
      baseline: { name: "hello", value: summarize(s.hello) },
    }));
  } catch {
    rows.push({ ...base, name: "peak RSS", unit: "MiB", note: "not measured: no /usr/bin/time" });
  }
  const mib = (p: string) => statSync(p).size / 2 ** 20;
  rows.push(ratioRow({
    ...base,
    name: "binary size, dist/pup",
    unit: "MiB",
    pup: mib(b.pup),
    baseline: { name: "hello", value: mib(b.hello) },
  }));
  return rows;
}

/** Bytes `cmd` writes when fed `file`. */
function compressedBytes(cmd: string, args: string[], file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "ignore"] });
    let n = 0;
    child.stdout.on("data", (c: Uint8Array) => (n += c.length));
    child.once("error", reject);
    child.once("close", (code) => (code === 0 ? resolve(n) : reject(new Error(`${cmd} failed`))));
    createReadStream(file).pipe(child.stdin);
  });
}

/** 6b. `--sizes`: every release target's binary, gzip and xz sizes. */
export async function sizes(b: Bench): Promise<Row[]> {
  const r = spawnSync(b.bun, ["scripts/build.ts", "--all"], { cwd: b.root, encoding: "utf8" });
  if (r.status !== 0) throw new MeasureError(`build --all failed: ${r.stderr.slice(-300)}`);
  const dist = join(b.root, "dist");
  const rows: Row[] = [];
  for (const f of readdirSync(dist).filter((f) => /^pup-/.test(f)).sort()) {
    const path = join(dist, f);
    const mib = (n: number) => n / 2 ** 20;
    const gz = await compressedBytes("gzip", ["-9", "-c"], path);
    const xz = await compressedBytes("xz", ["-6", "-T0", "-c"], path);
    rows.push({
      section: "release sizes",
      name: f,
      unit: "MiB",
      pup: mib(statSync(path).size),
      note: `gzip -9 ${mib(gz).toFixed(1)} MiB, xz -6 ${mib(xz).toFixed(1)} MiB`,
    });
  }
  return rows;
}

/** Removes a config folder's files so the next section starts clean. */
export function clearDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
