/**
 * Issue 9, the suite that proves it: (1) hostile text from the server, the files and the user
 * reaches no terminal raw — every command, every format, errors included; (2) known secrets
 * reach no output, no `-v` line, no child's argv or environment and no file but the store.
 * Part (2) runs the compiled binary (dist/pup) against the fake Datadog (CONTRACT §10).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type FakeDatadog, startFakeDatadog } from "./fakes/datadog.ts";
import { localEnv, runPup, storedClient, storedToken, tempDir, testDeps } from "./helpers.ts";
import { guardOutput } from "../lib/cli/output.ts";
import { siteKey } from "../lib/store/state_store.ts";
import { tally } from "./fuzz/tally.ts";

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
    const res = await fetch(input, init);
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
  const fake = await startFakeDatadog();
  const dir = await tempDir();
  try {
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
  } finally {
    await fake.close();
    await dir.remove();
  }
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
    if (guard) tally({ suite: "leak/hostile-text", inputs, leaks: leaks.length });
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
  {
    todo:
      "auth status's text lines, normalizeSite's message and run.ts's unknown command/flag messages print raw until lib/cli/run.ts installs guardOutput (notes/session.md, Lead)",
  },
  () => hostileRun(false),
);
