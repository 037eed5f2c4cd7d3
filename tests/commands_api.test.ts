/**
 * `pup api`, `monitors list`, `logs query` and `metrics query` in-process against the fake
 * Datadog's app: `deps.fetch` goes to its `request()` (no socket) and time is a FakeClock.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import type { FakeDatadogCore } from "./fakes/datadog.ts";
import { FakeClock } from "./fakes/clock.ts";
import { inProcessFake, withFixture } from "./helpers.ts";

const KEYS = { DD_API_KEY: "test-api-key", DD_APP_KEY: "test-app-key" };
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/** The fake in process with API keys (by default) and a clock that starts now and stands still. */
async function setup(env: Record<string, string> = KEYS) {
  // The fake dates its logs from the real clock; pup's clock starts there and then stands still.
  const clock = new FakeClock(Date.now());
  return { ...(await inProcessFake(env, { clock })), clock };
}

function lastRequest(fake: FakeDatadogCore, path: string) {
  const all = fake.requests.filter((r) => r.path === path);
  return all[all.length - 1];
}

// ---- pup api

test("pup api prints the answer as pretty JSON", () =>
  withFixture(setup(), async (t) => {
    const r = await t.pup(["api", "/api/v1/validate"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '{\n  "valid": true\n}\n');
    assert.equal(r.stderr, "");
  }));

test("pup api --raw prints the body as received, and -o yaml prints YAML", () =>
  withFixture(setup(), async (t) => {
    const raw = await t.pup(["api", "/api/v1/validate", "--raw"]);
    assert.equal(raw.code, 0);
    assert.equal(raw.stdout, '{"valid":true}');
    const yaml = await t.pup(["api", "/api/v1/validate", "-o", "yaml"]);
    assert.equal(yaml.code, 0);
    assert.equal(yaml.stdout, "valid: true\n");
  }));

test("pup api allows a query string in the path", () =>
  withFixture(setup(), async (t) => {
    const r = await t.pup(["api", "/api/v1/monitor?name=cpu"]);
    assert.equal(r.code, 0, r.stderr);
    const monitors = JSON.parse(r.stdout);
    assert.deepEqual(monitors.map((m: { id: number }) => m.id), [1001]);
  }));

test("pup api --data sends JSON text as a POST, byte for byte", () =>
  withFixture(setup(), async (t) => {
    const body =
      '{"filter": {"query": "service:payments", "from": "now-1h"}, "page": {"limit": 2}}';
    const r = await t.pup(["api", "/api/v2/logs/events/search", "-d", body]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).data.length, 2);
    const req = lastRequest(t.fake, "/api/v2/logs/events/search");
    assert.equal(req.method, "POST");
    assert.equal(req.body, body);
    assert.match(req.headers["content-type"], /^application\/json/);
  }));

test("pup api reads --data from @file and from stdin", () =>
  withFixture(setup(), async (t) => {
    const file = join(t.dir, "search.json");
    await writeFile(file, '{"page": {"limit": 3}, "filter": {"from": "now-1h"}}');
    const fromFile = await t.pup(["api", "/api/v2/logs/events/search", "-d", `@${file}`]);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.equal(JSON.parse(fromFile.stdout).data.length, 3);
    const fromStdin = await t.pup(
      ["api", "/api/v2/logs/events/search", "-X", "post", "--data", "-"],
      { stdinLines: ['{"page": {"limit": 1},', '"filter": {"from": "now-1h"}}'] },
    );
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    assert.equal(JSON.parse(fromStdin.stdout).data.length, 1);
  }));

test("pup api refuses invalid JSON with exit 2, naming where it came from, and sends nothing", () =>
  withFixture(setup(), async (t) => {
    const inline = await t.pup(["api", "/api/v1/monitor", "-d", "{nope"]);
    assert.equal(inline.code, 2);
    assert.match(inline.stderr, /invalid JSON in --data:/);
    const file = join(t.dir, "bad.json");
    await writeFile(file, "[1,");
    const fromFile = await t.pup(["api", "/api/v1/monitor", "-d", `@${file}`]);
    assert.equal(fromFile.code, 2);
    assert.match(fromFile.stderr, new RegExp(`invalid JSON in --data file ${file}`));
    const missing = await t.pup(["api", "/api/v1/monitor", "-d", `@${file}.missing`]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read --data file .*ENOENT/);
    const stdin = await t.pup(["api", "/api/v1/monitor", "-d", "-"], { stdinLines: [] });
    assert.equal(stdin.code, 2);
    assert.match(stdin.stderr, /invalid JSON in --data from stdin: expected JSON, found nothing/);
    assert.equal(t.fake.requests.length, 0);
  }));

test("pup api sends -H headers and lets them replace Accept", () =>
  withFixture(setup(), async (t) => {
    const r = await t.pup([
      "api",
      "/api/v1/validate",
      "-H",
      "Accept: application/json; charset=utf-8",
      "-H",
      "X-Pup-Test:  yes ",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const req = lastRequest(t.fake, "/api/v1/validate");
    assert.equal(req.headers.accept, "application/json; charset=utf-8");
    assert.equal(req.headers["x-pup-test"], "yes");
  }));

test("pup api refuses headers that would replace pup's credentials, and malformed ones", () =>
  withFixture(setup(), async (t) => {
    for (
      const h of ["Authorization: Bearer x", "dd-api-key: x", "DD-APPLICATION-KEY: x", "Host: x"]
    ) {
      const r = await t.pup(["api", "/api/v1/validate", "-H", h]);
      assert.equal(r.code, 2, h);
      assert.match(r.stderr, /refusing --header/);
    }
    const bad = await t.pup(["api", "/api/v1/validate", "-H", "no colon here"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /expected 'Name: value'/);
    assert.equal(t.fake.requests.length, 0);
  }));

test("pup api needs one path that starts with /", () =>
  withFixture(setup(), async (t) => {
    const none = await t.pup(["api"]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /needs an API path/);
    const relative = await t.pup(["api", "api/v1/validate"]);
    assert.equal(relative.code, 2);
    assert.match(relative.stderr, /expected one starting with \//);
    const method = await t.pup(["api", "/api/v1/validate", "-X", "GE T"]);
    assert.equal(method.code, 2);
    assert.match(method.stderr, /invalid --method/);
  }));

test("pup api exits 1 on a non-2xx answer and shows Datadog's errors on stderr", () =>
  withFixture(setup(), async (t) => {
    const r = await t.pup(["api", "/api/v1/monitor/424242"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /GET \/api\/v1\/monitor\/424242 failed: 404.*Monitor not found/);
  }));

test("every API command exits 4 with guidance when not authenticated", () =>
  withFixture(setup({}), async (t) => {
    for (
      const argv of [
        ["api", "/api/v1/validate"],
        ["monitors", "list"],
        ["logs", "query", "--query", "*"],
        ["metrics", "query", "--query", "avg:system.cpu.user{*}"],
      ]
    ) {
      const r = await t.pup(argv);
      assert.equal(r.code, 4, argv.join(" "));
      assert.match(r.stderr, /not logged in/);
      assert.match(r.stderr, /pup auth login/);
      assert.match(r.stderr, /DD_API_KEY and DD_APP_KEY/);
    }
    assert.equal(t.fake.requests.length, 0);
  }));

// ---- pup monitors list

test("monitors list prints a table of ID, NAME, TYPE, STATE and TAGS with escapes shown inert", () =>
  withFixture(setup(), async (t) => {
    const r = await t.pup(["monitors", "list"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^ID\s+NAME\s+TYPE\s+STATE\s+TAGS$/);
    assert.equal(lines.length, 7);
    assert.match(
      lines[1],
      /^1001\s+High CPU on web hosts\s+metric alert\s+Alert\s+team:platform,env:prod/,
    );
    assert.ok(!CONTROL.test(r.stdout), "a control character reached the terminal");
    assert.match(r.stdout, /Terminal \\u001b\[31mred/);
    const req = lastRequest(t.fake, "/api/v1/monitor");
    const q = new URL(req.url).searchParams;
    assert.equal(q.get("page_size"), "100");
    assert.equal(q.get("page"), "0");
  }));

test("monitors list -o json and -o yaml print the monitors as Datadog sent them", () =>
  withFixture(setup(), async (t) => {
    const json = await t.pup(["monitors", "list", "-o", "json"]);
    assert.equal(json.code, 0, json.stderr);
    const monitors = JSON.parse(json.stdout);
    assert.equal(monitors.length, 6);
    assert.equal(monitors[0].query, "avg(last_5m):avg:system.cpu.user{role:web} by {host} > 90");
    assert.ok(!CONTROL.test(json.stdout));
    const yaml = await t.pup(["monitors", "list", "--output", "yaml"]);
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.deepEqual(parseYaml(yaml.stdout), monitors);
    assert.ok(!CONTROL.test(yaml.stdout));
  }));

test("monitors list passes --name, --tags and --limit to Datadog", () =>
  withFixture(setup(), async (t) => {
    const r = await t.pup([
      "monitors",
      "list",
      "--tags",
      "env:prod, team:payments",
      "--limit",
      "1",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trimEnd().split("\n").length, 2);
    const q = new URL(lastRequest(t.fake, "/api/v1/monitor").url).searchParams;
    assert.equal(q.get("monitor_tags"), "env:prod,team:payments");
    assert.equal(q.get("page_size"), "1");
    const named = await t.pup(["monitors", "list", "--name", "disk", "-o", "json"]);
    assert.deepEqual(JSON.parse(named.stdout).map((m: { id: number }) => m.id), [1004]);
    assert.equal(
      new URL(lastRequest(t.fake, "/api/v1/monitor").url).searchParams.get("name"),
      "disk",
    );
  }));

test("monitors list rejects a --limit that is not a positive integer", () =>
  withFixture(setup(), async (t) => {
    for (const bad of ["0", "-3", "ten", "2.5"]) {
      const r = await t.pup(["monitors", "list", `--limit=${bad}`]);
      assert.equal(r.code, 2, bad);
      assert.match(r.stderr, /invalid --limit .*expected a positive integer/);
    }
    assert.equal(t.fake.requests.length, 0);
  }));

test("monitors list with a session lacking monitors_read says which scope to log in with", () =>
  withFixture(setup({}), async (t) => {
    await t.login("timeseries_query");
    const r = await t.pup(["monitors", "list"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /missing scope monitors_read/);
    assert.match(r.stderr, /pup auth login --extra-scopes monitors_read/);
  }));

// ---- pup logs query

test("logs query needs --query", () =>
  withFixture(setup(), async (t) => {
    const r = await t.pup(["logs", "query"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /needs --query/);
  }));

test("logs query searches newest first with the time range and limit it was given", () =>
  withFixture(setup(), async (t) => {
    const r = await t.pup([
      "logs",
      "query",
      "--query",
      "service:web-store",
      "--from",
      "1h",
      "--limit",
      "3",
      "-o",
      "json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const events = JSON.parse(r.stdout).data;
    assert.equal(events.length, 3);
    assert.ok(
      events.every((e: { attributes: { service: string } }) =>
        e.attributes.service === "web-store"
      ),
    );
    const body = JSON.parse(lastRequest(t.fake, "/api/v2/logs/events/search").body);
    assert.equal(body.filter.query, "service:web-store");
    assert.equal(body.sort, "-timestamp");
    assert.equal(body.page.limit, 3);
    assert.equal(body.filter.to, new Date(t.clock.now()).toISOString());
    assert.equal(body.filter.from, new Date(t.clock.now() - 3_600_000).toISOString());
  }));

test("logs query prints TIMESTAMP, STATUS, SERVICE, HOST and MESSAGE with escapes shown inert", () =>
  withFixture(setup(), async (t) => {
    const r = await t.pup(["logs", "query", "--query", "status:error", "--from", "1h"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^TIMESTAMP\s+STATUS\s+SERVICE\s+HOST\s+MESSAGE$/);
    assert.match(lines[1], /^\d{4}-\d\d-\d\dT[\d:.]+Z\s+error\s+\S+\s+web-\d\s+\S/);
    assert.ok(!CONTROL.test(r.stdout));
    assert.match(r.stdout, /template render failed: \\u001b\[31mnil/);
  }));

test("logs query rejects bad times and limits with exit 2, naming the flag", () =>
  withFixture(setup(), async (t) => {
    const from = await t.pup(["logs", "query", "--query", "*", "--from", "yesterday"]);
    assert.equal(from.code, 2);
    assert.match(from.stderr, /invalid --from "yesterday": expected now, a duration/);
    const to = await t.pup(["logs", "query", "--query", "*", "--from", "1h", "--to", "2h"]);
    assert.equal(to.code, 2);
    assert.match(to.stderr, /--from must be before --to/);
    const limit = await t.pup(["logs", "query", "--query", "*", "--limit", "0"]);
    assert.equal(limit.code, 2);
    assert.equal(t.fake.requests.length, 0);
  }));

test("logs query against a server that never answers times out with exit 1 (PUP_HTTP_TIMEOUT)", () =>
  withFixture(setup({ ...KEYS, PUP_HTTP_TIMEOUT: "0.2" }), async (t) => {
    const silent: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(init.signal!.reason), { once: true });
      });
    let finished = false;
    const running = t.pup(["logs", "query", "--query", "*"], { fetch: silent })
      .finally(() => (finished = true));
    // Fire the client's timers (no timer left: let the event loop turn) until the run ends.
    while (!finished) await t.clock.runNext();
    const r = await running;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /timed out after 200 ms/);
  }));

// ---- pup metrics query

test("metrics query asks for epoch seconds and prints one row per series", () =>
  withFixture(setup(), async (t) => {
    const r = await t.pup(["metrics", "query", "--query", "avg:system.cpu.user{*}"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^SERIES\s+POINTS\s+LAST\s+MIN\s+MAX\s+AVG$/);
    assert.equal(lines.length, 2);
    assert.match(
      lines[1],
      /^avg:system\.cpu\.user\{\*\}\s+\d+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+$/,
    );
    const q = new URL(lastRequest(t.fake, "/api/v1/query").url).searchParams;
    assert.equal(q.get("query"), "avg:system.cpu.user{*}");
    assert.match(q.get("from")!, /^\d{10}$/);
    assert.equal(Number(q.get("to")) - Number(q.get("from")), 3600);
  }));

test("metrics query with a group-by prints a row per group, and -o json the whole answer", () =>
  withFixture(setup(), async (t) => {
    const q = "max:system.load.1{env:prod} by {host}";
    const table = await t.pup(["metrics", "query", "--query", q, "--from", "4h"]);
    assert.equal(table.code, 0, table.stderr);
    assert.equal(table.stdout.trimEnd().split("\n").length, 3);
    assert.match(table.stdout, /host:web-1/);
    const json = await t.pup(["metrics", "query", "--query", q, "-o", "json"]);
    const answer = JSON.parse(json.stdout);
    assert.equal(answer.series.length, 2);
    assert.equal(answer.status, "ok");
  }));

test("metrics query reports Datadog's error for a bad query with exit 1", () =>
  withFixture(setup(), async (t) => {
    const r = await t.pup(["metrics", "query", "--query", "not a query"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /400.*Error parsing query: not a query/);
    const missing = await t.pup(["metrics", "query"]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /needs --query/);
  }));

// ---- the command line's shape: positionals and typed flags are data, failures as JSON

test("pup api takes exactly one path: the table's positionals, checked by the runner", () =>
  withFixture(setup(), async (t) => {
    const two = await t.pup(["api", "/api/v1/validate", "/api/v1/monitor"]);
    assert.equal(two.code, 2);
    assert.match(
      two.stderr,
      /unexpected argument "\/api\/v1\/monitor" for 'pup api': expected only <path>/,
    );
    const logs = await t.pup(["logs", "query", "service:web"]);
    assert.equal(logs.code, 2);
    assert.match(logs.stderr, /unexpected argument "service:web" for 'pup logs query'/);
    assert.match(logs.stderr, /pass the search with --query/);
    const list = await t.pup(["auth", "list", "extra"]);
    assert.equal(list.code, 2);
    assert.match(list.stderr, /unexpected argument "extra" for 'pup auth list'/);
    assert.equal(t.fake.requests.length, 0);
  }));

test("with -o json a failure is one JSON object on stderr with code, message, hint and status", () =>
  withFixture(setup(), async (t) => {
    const api = await t.pup(["api", "/api/v1/monitor/424242", "-o", "json"]);
    assert.equal(api.code, 1);
    assert.equal(api.stdout, "");
    assert.equal(api.stderr.trimEnd().split("\n").length, 1);
    const { error } = JSON.parse(api.stderr);
    assert.deepEqual(Object.keys(error), ["code", "message", "hint", "status"]);
    assert.equal(error.code, "api");
    assert.equal(error.status, 404);
    assert.match(error.message, /GET \/api\/v1\/monitor\/424242 failed: 404.*Monitor not found/);

    const usage = JSON.parse((await t.pup(["logs", "query", "--output=json"])).stderr).error;
    assert.equal(usage.code, "usage");
    assert.equal(usage.status, null);
    assert.match(usage.message, /needs --query/);
    assert.match(usage.hint, /--query "\*"/);

    const unknown = await t.pup(["-o", "json", "nope"]);
    assert.equal(unknown.code, 2);
    assert.equal(JSON.parse(unknown.stderr).error.code, "usage");
  }));

test("without -o json failures stay text", () =>
  withFixture(setup(), async (t) => {
    const r = await t.pup(["api", "/api/v1/monitor/424242", "-o", "yaml"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: request GET/);
  }));

test("with -o json a 403 reports its status and the scope hint", () =>
  withFixture(setup({}), async (t) => {
    await t.login("timeseries_query");
    const r = await t.pup(["monitors", "list", "-o", "json"]);
    assert.equal(r.code, 1);
    const { error } = JSON.parse(r.stderr);
    assert.equal(error.status, 403);
    assert.match(error.hint, /pup auth login --extra-scopes monitors_read/);
  }));

test("a non-ASCII -H value is a usage error, not a network failure, and sends nothing", () =>
  withFixture(setup(), async (t) => {
    const r = await t.pup(["api", "/api/v1/validate", "-H", "X-Team: café"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /invalid --header "X-Team": expected printable ASCII in the value/);
    assert.match(r.stderr, /found U\+00E9/);
    assert.doesNotMatch(r.stderr, /cannot reach/);
    assert.equal(t.fake.requests.length, 0);
  }));

test("terminal escapes in values the user gave reach error messages inert", async () => {
  const t = await setup();
  const esc = "\u001b]0;owned\u0007\u001b[2J";
  try {
    for (
      const argv of [
        [esc],
        ["auth", "list", "-o", esc],
        ["api", "/api/v1/validate", `--${esc}`],
        ["api", "/api/v1/validate", "extra" + esc],
        ["api", "/api/v1/validate", "-d", `@${t.dir}/${esc}`],
        ["api", `/x${esc}`, "-X", `G${esc}`],
        ["logs", "query", "--query", "*", "--from", esc],
        ["monitors", "list", "--limit", esc],
        ["api", "/api/v1/validate", "-o", "json", "-H", `${esc}: x`],
      ]
    ) {
      const r = await t.pup(argv);
      assert.equal(r.code, 2, JSON.stringify(argv));
      assert.ok(!CONTROL.test(r.stderr), `a control character reached stderr: ${r.stderr}`);
      assert.match(r.stderr, /\\u001b/, JSON.stringify(argv));
    }
  } finally {
    await t.done();
  }
});
