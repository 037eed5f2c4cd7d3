/**
 * Issue 9, the suite that proves it: (1) hostile text from the server, the files and the user
 * reaches no terminal raw — every command, every format, errors included; (2) known secrets
 * reach no output, no `-v` line, no child's argv or environment and no file but the store.
 * Part (2), which runs the compiled binary (dist/pup) against the fake Datadog over a socket
 * (CONTRACT §10), is tests/e2e/leak_binary.test.ts; here everything runs in process.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { FakeDatadog } from "./fakes/datadog.ts";
import {
  localEnv,
  runPup,
  storedClient,
  storedToken,
  tempDir,
  testDeps,
  withFakeDatadog,
} from "./helpers.ts";
import { guardOutput } from "../lib/cli/output.ts";
import { siteKey } from "../lib/store/state_store.ts";
import { tally } from "./fuzz/tally.ts";
import { filesOutsideStore } from "./leak_scan.ts";
import { networkFetch } from "./fakes/network.ts";

// OSC title + clipboard write, CSI clear, C1 CSI, bidi override and isolates, CR+LF forging.
const HOSTILE = "\x1b]0;pwned\x07\x1b]52;c;cHduZWQ=\x07\x1b[2J\x9b31m\u202e\u2066x\u2069\r\nFORGED";
// deno-lint-ignore no-control-regex
const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/u;

/** Every string in a JSON value, made hostile (ids and timestamps too: a server can lie). */
function poison(v: unknown, key = ""): unknown {
  if (typeof v === "string") {
    // Keep what the command must parse to get as far as printing (times, numbers as text).
    if (/^(timestamp|time|start|end|from_date|to_date|created|modified|expires_at)$/.test(key)) {
      return v;
    }
    return `${v}${HOSTILE}`;
  }
  if (Array.isArray(v)) return v.map((x) => poison(x, key));
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [`${k}`, poison(x, k)]),
    );
  }
  return v;
}

/** A fetch in front of the fake: every JSON answer under /api/ comes back poisoned. */
function hostileFetch(): typeof fetch {
  return async (input, init) => {
    const res = await networkFetch(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    const type = res.headers.get("content-type") ?? "";
    if (!url.pathname.startsWith("/api/") || !type.includes("json")) return res;
    const body = poison(await res.json());
    const headers = new Headers(res.headers);
    headers.delete("content-length");
    return new Response(JSON.stringify(body), { status: res.status, headers });
  };
}

interface Seen {
  argv: string[];
  stdout: string;
  stderr: string;
}

async function hostileWorld(
  guard: boolean,
  fn: (
    run: (argv: string[], extra?: Record<string, string>) => Promise<Seen>,
    fake: FakeDatadog,
    dir: string,
  ) => Promise<void>,
) {
  return await withFakeDatadog(async (fake, dir) => {
    const issued = fake.issueTokens({ scope: "monitors_read logs_read_data timeseries_query" });
    // The files hold hostile text too: a scope, an org_uuid, a refresh error.
    const tokensPath = join(dir.path, `tokens_${siteKey(fake.site)}.json`);
    const tokens = {
      __default__: { ...storedToken(issued), scope: `${issued.scope} ${HOSTILE}` },
      prod: {
        ...storedToken(issued),
        refresh_error: HOSTILE,
        refresh_failed_at: new Date().toISOString(),
      },
    };
    await writeFile(
      join(dir.path, `client_${siteKey(fake.site)}.json`),
      JSON.stringify(storedClient(issued)),
    );
    await writeFile(tokensPath, JSON.stringify(tokens));
    await writeFile(
      join(dir.path, "sessions.json"),
      JSON.stringify([{ site: fake.site, org: null, org_uuid: HOSTILE }, {
        site: fake.site,
        org: "prod",
      }]),
    );
    const env = localEnv(fake.site, dir.path);
    const run = async (argv: string[], extra: Record<string, string> = {}) => {
      const deps = testDeps({ ...env, ...extra }, { fetch: hostileFetch() });
      // As lib/cli/run.ts installs it: every write of every command passes the neutraliser.
      const guarded = guard ? { ...deps, io: guardOutput(deps.io) } : deps;
      const r = await runPup(argv, guarded as typeof deps);
      return { argv, stdout: r.stdout, stderr: r.stderr };
    };
    await fn(run, fake, dir.path);
  });
}

const COMMANDS: string[][] = [
  ["auth", "status"],
  ["auth", "status", "--org", "prod"],
  ["auth", "list"],
  ["monitors", "list"],
  ["logs", "query", "--query", "*", "--from", "1h"],
  ["metrics", "query", "--query", "avg:system.cpu.user{*}", "--from", "1h"],
  ["api", "/api/v1/monitor"],
  ["api", "/api/v1/validate", "-v"],
];

async function hostileRun(guard: boolean) {
  let inputs = 0;
  await hostileWorld(guard, async (run, fake) => {
    const seen: Seen[] = [];
    for (const argv of COMMANDS) {
      for (const format of ["table", "json", "yaml"]) {
        seen.push(await run([...argv, "-o", format]));
        inputs++;
      }
    }
    // Error text: API error bodies, and the user's own arguments echoed in usage errors.
    for (const status of [400, 403, 404, 500]) {
      fake.knobs.failNext.push({
        path: "/api/v1/monitor",
        status,
        body: JSON.stringify({ errors: [HOSTILE, `second ${HOSTILE}`] }),
      });
      seen.push(await run(["monitors", "list"]));
      fake.knobs.failNext.push({ path: "/api/v1/monitor", status, body: `not json ${HOSTILE}` });
      seen.push(await run(["api", "/api/v1/monitor"]));
      inputs += 2;
    }
    for (
      const argv of [
        ["api", `/api/v1/${HOSTILE}`],
        ["api", "/api/v1/monitor", "-H", `X-A${HOSTILE}: b`],
        ["api", "/api/v1/monitor", "-X", HOSTILE],
        ["monitors", "list", "--org", HOSTILE],
        ["auth", "status", "--site", HOSTILE],
        ["monitors", HOSTILE],
        ["auth", "list", `--${HOSTILE}`],
        ["logs", "query", "--query", HOSTILE, "--from", "1h"],
      ]
    ) {
      seen.push(await run(argv));
      inputs++;
    }
    seen.push(await run(["monitors", "list"], { DD_SITE: HOSTILE }));
    seen.push(await run(["monitors", "list"], { DD_ORG: HOSTILE }));
    inputs += 2;
    const leaks = seen.filter((s) => RAW.test(s.stdout) || RAW.test(s.stderr));
    // 8 injected server faults (4 statuses × JSON and non-JSON error bodies).
    if (guard) tally({ suite: "leak/hostile-text", inputs, faults: 8, leaks: leaks.length });
    assert.deepEqual(
      leaks.map((s) => s.argv.map((a) => JSON.stringify(a)).join(" ")),
      [],
      "raw control or bidi characters reached the output",
    );
    // The hostile text did reach the output (escaped): the test exercised the printed fields.
    const all = seen.map((s) => s.stdout + s.stderr).join("");
    assert.ok(all.includes("\\u001b]52;c;cHduZWQ=\\u0007"), "hostile text was printed, escaped");
    assert.ok(all.includes("\\u202e"));
  });
}

test(
  "hostile text from server, files and user reaches no output raw: every command, every format",
  () => hostileRun(true),
);

test(
  "hostile text reaches no output raw even where a command prints without the output guard",
  () => hostileRun(false),
);

// ---------------------------------------------------------------------------------------------
// (3) The API families' commands, in-process (deps.fetch → the fake's request(), no socket):
// per family file a list, a get, a write with --file and a delete with --yes, with a session,
// with DD_ACCESS_TOKEN and with the API keys, each plain and with -v.

import { MONITORS } from "../lib/commands/families/monitors.ts";
import { DASHBOARDS } from "../lib/commands/families/dashboards.ts";
import { DOWNTIME } from "../lib/commands/families/downtime.ts";
import { SLOS } from "../lib/commands/families/slos.ts";
import { INCIDENTS } from "../lib/commands/families/incidents.ts";
import { SYNTHETICS } from "../lib/commands/families/synthetics.ts";
import { SECURITY } from "../lib/commands/families/security.ts";
import { RUM } from "../lib/commands/families/rum.ts";
import { INFRASTRUCTURE } from "../lib/commands/families/infrastructure.ts";
import { USERS } from "../lib/commands/families/users.ts";
import { CASES } from "../lib/commands/families/cases.ts";
import { EVENTS } from "../lib/commands/families/events.ts";
import { LOGS } from "../lib/commands/families/logs.ts";
import { METRICS } from "../lib/commands/families/metrics.ts";
import { USAGE } from "../lib/commands/families/usage.ts";
import { APM } from "../lib/commands/families/apm.ts";
import type { ApiCommandDef } from "../lib/commands/families/types.ts";
import { withInProcessFake } from "./helpers.ts";
import { fetchVia } from "./fakes/serve.ts";

const FAMILY_FILES: Record<string, ApiCommandDef[]> = {
  monitors: MONITORS,
  dashboards: DASHBOARDS,
  downtime: DOWNTIME,
  slos: SLOS,
  incidents: INCIDENTS,
  synthetics: SYNTHETICS,
  security: SECURITY,
  rum: RUM,
  infrastructure: INFRASTRUCTURE,
  users: USERS,
  cases: CASES,
  events: EVENTS,
  logs: LOGS,
  metrics: METRICS,
  usage: USAGE,
  apm: APM,
};

/** The argv of `def` with its positionals and required flags filled in. */
function argvOf(def: ApiCommandDef, file: string): string[] {
  const argv = [...def.path, ...(def.positionals ?? []).map(() => "1001")];
  for (const [name, f] of Object.entries(def.flags ?? {})) {
    if (f.required) argv.push(`--${name}`, f.required.replace(/^"(.*)"$/, "$1"));
  }
  if (def.file) argv.push("--file", file);
  if (def.confirm) argv.push("--yes");
  return argv;
}

/** Per family file: the first list, get, write with a file and delete (when it has them). */
export function familySamples(file: string): { family: string; argv: string[] }[] {
  const out: { family: string; argv: string[] }[] = [];
  for (const [family, defs] of Object.entries(FAMILY_FILES)) {
    const picks = [
      // A list (or a query, where the family's reads are POSTs: logs, metrics).
      defs.find((d) => d.method === "GET" && !d.positionals?.length) ??
        defs.find((d) => !d.positionals?.length && !d.file && !d.confirm),
      defs.find((d) => d.method === "GET" && d.positionals?.length),
      defs.find((d) => d.file),
      defs.find((d) => d.confirm),
    ];
    for (const d of picks) if (d) out.push({ family, argv: argvOf(d, file) });
  }
  return out;
}

const FAMILY_KEYS = {
  DD_API_KEY: "leak-test-families-api-key-91c3",
  DD_APP_KEY: "leak-test-families-app-key-0e4d",
};
const FAMILY_ACCESS_TOKEN = "leak-test-families-access-token-6a7f";

test("no known secret reaches stdout, stderr or -v output of any API family's commands, or a file outside the store", () =>
  withInProcessFake(async (w) => {
    w.fake.knobs.apiKey = FAMILY_KEYS.DD_API_KEY;
    w.fake.knobs.appKey = FAMILY_KEYS.DD_APP_KEY;
    await w.login();
    const bodyFile = join(w.dir, "..", `pup-leak-body-${Date.now()}.json`);
    await writeFile(bodyFile, JSON.stringify({ name: "leak test", type: "metric alert" }));
    const samples = familySamples(bodyFile);
    // Every family file gave at least a list; writes and deletes where the family has them.
    assert.equal(new Set(samples.map((s) => s.family)).size, Object.keys(FAMILY_FILES).length);
    assert.ok(samples.some((s) => s.argv.includes("--file")));
    assert.ok(samples.some((s) => s.argv.includes("--yes")));
    const runs: { argv: string[]; out: string }[] = [];
    const empty = await tempDir("pup-leak-nosession-");
    try {
      const modes: { name: string; env: Record<string, string> }[] = [
        { name: "session", env: {} },
        { name: "DD_ACCESS_TOKEN", env: { DD_ACCESS_TOKEN: FAMILY_ACCESS_TOKEN } },
        // No session in this folder: the API keys are used.
        { name: "API keys", env: { ...FAMILY_KEYS, PUP_CONFIG_DIR: empty.path } },
      ];
      for (const mode of modes) {
        for (const s of samples) {
          for (const v of [[], ["-v"]]) {
            const argv = [...s.argv, ...v];
            const deps = testDeps(
              { ...localEnv(w.site, w.dir), ...FAMILY_KEYS, ...mode.env },
              { fetch: fetchVia(w.app) },
            );
            const r = await runPup(argv, deps);
            runs.push({ argv: [mode.name, ...argv], out: r.stdout + "\n" + r.stderr });
            assert.doesNotMatch(r.stderr, /unexpected failure|a bug in pup/, argv.join(" "));
          }
        }
      }
      const secrets = [
        FAMILY_KEYS.DD_API_KEY,
        FAMILY_KEYS.DD_APP_KEY,
        FAMILY_ACCESS_TOKEN,
        ...w.fake.secrets(),
      ].filter((s) => s.length >= 8);
      const leaks: string[] = [];
      for (const r of runs) {
        for (const s of secrets) if (r.out.includes(s)) leaks.push(r.argv.join(" "));
      }
      for (const d of [w.dir, empty.path]) {
        for (const path of await filesOutsideStore(d)) {
          const text = await readFile(path, "utf8");
          for (const s of secrets) if (text.includes(s)) leaks.push(`file ${path}`);
        }
      }
      // The -v runs did print request lines: the check looked at verbose output.
      assert.ok(runs.some((r) => r.argv.includes("-v") && /GET|POST|DELETE/.test(r.out)));
      tally({ suite: "leak/families", inputs: runs.length, leaks: leaks.length });
      assert.deepEqual(leaks, []);
    } finally {
      await empty.remove();
      await rm(bodyFile, { force: true });
    }
  }));
