/**
 * @module
 * The API families' figures (issue 11), measured interleaved in one run:
 *
 * 1. a table command against `pup api` of the same path (`pup monitors list` against
 *    `pup api /api/v1/monitor?page=0&page_size=100`; target ≤ 1.1×);
 * 2. `--all` over 10 pages (`pup logs query --all`, the fake capping pages at 4 of 40 logs)
 *    against one start-up (`pup --version`) plus the same 10 requests from a bare in-process
 *    fetch loop (target ≤ 1.2×);
 * 3. with `--before PATH` (a binary built before the families), `pup --version` and
 *    `pup auth status` against it (target ≤ 1.05×: start-up must not grow with the table).
 *
 *   bun scripts/bench/families.ts [--pup dist/pup] [--before PATH] [--reps N] [--json out.json]
 *
 * `families(b)` is the section for scripts/bench.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { type FakeDatadog, startFakeDatadog } from "../../tests/fakes/datadog.ts";
import { tokenFor, writeSession } from "./fixtures.ts";
import { type Cmd, epochMs, interleave, run, summarize, timed } from "./measure.ts";
import { formatTable, ratioRow, type Row } from "./report.ts";

/** What the section needs (a subset of scripts/bench.ts's `Bench`). */
export interface FamiliesBench {
  pup: string;
  fake: FakeDatadog;
  reps: number;
  warmup: number;
  /** A config folder holding a valid default session in files. */
  fileDir: string;
  /** A clean environment plus `extra`. */
  env(extra?: Record<string, string>): Record<string, string>;
  /** A binary built before the families, for the start-up rows. */
  before?: string;
}

const LOGS = "/api/v2/logs/events/search";

function pupEnv(b: FamiliesBench) {
  return b.env({
    DD_SITE: b.fake.site,
    PUP_TRUST_SITE: "1",
    PUP_CONFIG_DIR: b.fileDir,
    DD_TOKEN_STORAGE: "file",
  });
}

const task = (c: Cmd) => () => timed(c);

/** The 10 requests one `--all` run made, replayed by a bare fetch loop in this process. */
async function recordPages(b: FamiliesBench, cmd: Cmd) {
  const from = b.fake.requests.length;
  const r = await run(cmd);
  if (r.code !== 0) throw new Error(`${cmd.args.join(" ")} exited ${r.code}: ${r.stderr}`);
  const reqs = b.fake.requests.slice(from).filter((q) => q.path === LOGS);
  return reqs.map((q) => ({
    url: q.url,
    init: {
      method: q.method,
      body: q.body,
      headers: { authorization: q.headers.authorization, "content-type": "application/json" },
    },
  }));
}

/** The section's rows. */
export async function families(b: FamiliesBench): Promise<Row[]> {
  const env = pupEnv(b);
  const table: Cmd = { cmd: b.pup, args: ["monitors", "list"], env };
  const api: Cmd = { cmd: b.pup, args: ["api", "/api/v1/monitor?page=0&page_size=100"], env };
  b.fake.knobs.pageCap[LOGS] = 4;
  const all: Cmd = {
    cmd: b.pup,
    args: ["logs", "query", "--query", "*", "--from", "1h", "--all", "-o", "json"],
    env,
  };
  const one: Cmd = {
    cmd: b.pup,
    args: ["logs", "query", "--query", "*", "--from", "1h", "--limit", "4", "-o", "json"],
    env,
  };
  const version: Cmd = { cmd: b.pup, args: ["--version"], env };
  const pages = await recordPages(b, all);
  const bare = async () => {
    const t0 = epochMs();
    for (const p of pages) await (await fetch(p.url, p.init)).text();
    return epochMs() - t0;
  };
  const tasks: Record<string, () => Promise<number>> = {
    table: task(table),
    api: task(api),
    all: task(all),
    one: task(one),
    version: task(version),
    bare,
    status: task({ cmd: b.pup, args: ["auth", "status"], env }),
  };
  if (b.before) {
    tasks.versionBefore = task({ cmd: b.before, args: ["--version"], env });
    tasks.statusBefore = task({ cmd: b.before, args: ["auth", "status"], env });
  }
  const s = await interleave(tasks, b.reps, b.warmup);
  const section = "API families";
  const startPlusBare = s.version.map((v, i) => v + s.bare[i]);
  const rows = [
    ratioRow({
      section,
      name: "pup monitors list (table)",
      unit: "ms",
      pup: summarize(s.table),
      baseline: { name: "pup api same path", value: summarize(s.api) },
    }, 1.1),
    ratioRow({
      section,
      name: `pup logs query --all (${pages.length} pages)`,
      unit: "ms",
      pup: summarize(s.all),
      baseline: { name: "start-up + bare fetch loop", value: summarize(startPlusBare) },
    }, 1.2),
  ];
  // What each page after the first costs pup, against what it costs a bare fetch loop: the
  // part of the figure above that paging (not start-up and authentication) is responsible for.
  const med = (x: number[]) => summarize(x).median;
  const n = pages.length;
  rows.push(ratioRow({
    section,
    name: "each further page of --all",
    unit: "ms",
    pup: (med(s.all) - med(s.one)) / (n - 1),
    baseline: { name: "one bare fetch", value: med(s.bare) / n },
    note: "(all − one page) ÷ (pages − 1), medians",
  }, 1.2));
  if (b.before) {
    rows.push(
      ratioRow({
        section,
        name: "pup --version (after the families)",
        unit: "ms",
        pup: summarize(s.version),
        baseline: { name: "before", value: summarize(s.versionBefore) },
      }, 1.05),
      ratioRow({
        section,
        name: "pup auth status (after the families)",
        unit: "ms",
        pup: summarize(s.status),
        baseline: { name: "before", value: summarize(s.statusBefore) },
      }, 1.05),
    );
  }
  return rows;
}

async function main() {
  const root = resolve(new URL("../..", import.meta.url).pathname);
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      pup: { type: "string" },
      before: { type: "string" },
      reps: { type: "string" },
      json: { type: "string" },
    },
  });
  const fake = await startFakeDatadog();
  const fileDir = mkdtempSync(join(tmpdir(), "pup-bench-families-"));
  try {
    const issued = fake.issueTokens();
    const client = {
      ...fake.state.clients.get(issued.client_id)!,
      registered_at: new Date().toISOString(),
    };
    writeSession(fileDir, fake.site, client, tokenFor(issued, 3600));
    const rows = await families({
      pup: resolve(values.pup ?? join(root, "dist/pup")),
      before: values.before ? resolve(values.before) : undefined,
      fake,
      reps: Number(values.reps ?? 30),
      warmup: 3,
      fileDir,
      env: (extra = {}) => ({ PATH: process.env.PATH ?? "", HOME: fileDir, ...extra }),
    });
    console.log(formatTable(rows));
    if (values.json) writeFileSync(values.json, JSON.stringify(rows, null, 2));
  } finally {
    await fake.close();
    rmSync(fileDir, { recursive: true, force: true });
  }
}

if (import.meta.main) await main();
