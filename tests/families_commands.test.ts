/**
 * Every API family command of issue 11, in-process against the fake Datadog (deps.fetch goes
 * to the fake app's `request()`, no socket): the request on the wire, `-o json` as the API sent
 * it, the table, and a session lacking the command's scope (a warning before the call, then
 * the 403 with the login that adds the scope, exit 1). One row of CASES per command.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeFile } from "node:fs/promises";
import { type InProcessFake, withInProcessFake } from "./helpers.ts";
import { API_COMMANDS } from "../lib/commands/families/index.ts";

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

interface Case {
  argv: string[];
  method: string;
  path: string;
  /** Query parameters the request must carry. */
  query?: Record<string, string | RegExp>;
  /** Checks of the JSON body sent. */
  body?: (b: Record<string, unknown>) => void;
  /** The table's header line. */
  header: RegExp;
  scope: string;
  /** A --file body, written to a file and passed as `--file F`. */
  file?: string;
}

const MONITOR =
  '{"name":"cpu","type":"metric alert","query":"avg(last_5m):avg:system.cpu.user{*} > 90"}';

const CASES: Case[] = [
  {
    argv: ["monitors", "list", "--tags", "env:prod"],
    method: "GET",
    path: "/api/v1/monitor",
    query: { monitor_tags: "env:prod", page: "0", page_size: "100" },
    header: /^ID\s+NAME\s+TYPE\s+STATE\s+TAGS$/,
    scope: "monitors_read",
  },
  {
    argv: ["monitors", "get", "1002"],
    method: "GET",
    path: "/api/v1/monitor/1002",
    header: /^ID\s+NAME\s+TYPE\s+STATE\s+TAGS\s+QUERY$/,
    scope: "monitors_read",
  },
  {
    argv: ["monitors", "search", "--query", "status:alert", "--sort", "name,asc"],
    method: "GET",
    path: "/api/v1/monitor/search",
    query: { query: "status:alert", sort: "name,asc", page: "0", per_page: "100" },
    header: /^ID\s+NAME\s+TYPE\s+STATUS\s+TAGS$/,
    scope: "monitors_read",
  },
  {
    argv: ["monitors", "create"],
    file: MONITOR,
    method: "POST",
    path: "/api/v1/monitor",
    body: (b) => assert.equal(b.name, "cpu"),
    header: /^ID\s+NAME\s+TYPE\s+STATE\s+TAGS$/,
    scope: "monitors_write",
  },
  {
    argv: ["monitors", "update", "1001"],
    file: MONITOR,
    method: "PUT",
    path: "/api/v1/monitor/1001",
    header: /^ID\s+NAME/,
    scope: "monitors_write",
  },
  {
    argv: ["monitors", "delete", "1003", "--yes"],
    method: "DELETE",
    path: "/api/v1/monitor/1003",
    header: /^Deleted monitor 1003\.$/,
    scope: "monitors_write",
  },
  {
    argv: ["dashboards", "list"],
    method: "GET",
    path: "/api/v1/dashboard",
    query: { start: "0", count: "100" },
    header: /^ID\s+TITLE\s+LAYOUT\s+AUTHOR\s+MODIFIED$/,
    scope: "dashboards_read",
  },
  {
    argv: ["dashboards", "get", "abc-def-002"],
    method: "GET",
    path: "/api/v1/dashboard/abc-def-002",
    header: /^ID\s+TITLE\s+LAYOUT\s+AUTHOR\s+MODIFIED\s+URL$/,
    scope: "dashboards_read",
  },
  {
    argv: ["dashboards", "create"],
    file: '{"title":"New","layout_type":"ordered","widgets":[]}',
    method: "POST",
    path: "/api/v1/dashboard",
    header: /^ID\s+TITLE/,
    scope: "dashboards_write",
  },
  {
    argv: ["dashboards", "update", "abc-def-001"],
    file: '{"title":"Renamed","layout_type":"ordered","widgets":[]}',
    method: "PUT",
    path: "/api/v1/dashboard/abc-def-001",
    header: /^ID\s+TITLE/,
    scope: "dashboards_write",
  },
  {
    argv: ["dashboards", "delete", "abc-def-003", "--yes"],
    method: "DELETE",
    path: "/api/v1/dashboard/abc-def-003",
    header: /^Deleted dashboard abc-def-003\.$/,
    scope: "dashboards_write",
  },
  {
    argv: ["downtime", "list", "--current-only"],
    method: "GET",
    path: "/api/v2/downtime",
    query: { current_only: "true", "page[offset]": "0", "page[limit]": "100" },
    header: /^ID\s+STATUS\s+SCOPE\s+MONITOR\s+START\s+END\s+MESSAGE$/,
    scope: "monitors_downtime",
  },
  {
    argv: ["downtime", "get", "00000000-0000-0000-0000-000000000002"],
    method: "GET",
    path: "/api/v2/downtime/00000000-0000-0000-0000-000000000002",
    header: /^ID\s+STATUS\s+SCOPE/,
    scope: "monitors_downtime",
  },
  {
    argv: ["downtime", "create"],
    file: '{"data":{"type":"downtime","attributes":{"scope":"env:qa","schedule":{"start":null}}}}',
    method: "POST",
    path: "/api/v2/downtime",
    header: /^ID\s+STATUS\s+SCOPE/,
    scope: "monitors_downtime",
  },
  {
    argv: ["downtime", "cancel", "00000000-0000-0000-0000-000000000003", "--yes"],
    method: "DELETE",
    path: "/api/v2/downtime/00000000-0000-0000-0000-000000000003",
    header: /^Cancelled downtime 00000000-0000-0000-0000-000000000003\.$/,
    scope: "monitors_downtime",
  },
  {
    argv: ["slos", "list", "--query", "checkout", "--tags-query", "env:prod", "--limit", "2"],
    method: "GET",
    path: "/api/v1/slo",
    query: { query: "checkout", tags_query: "env:prod", offset: "0", limit: "2" },
    header: /^ID\s+NAME\s+TYPE\s+TARGET\s+TIMEFRAME\s+TAGS$/,
    scope: "slos_read",
  },
  {
    argv: ["slos", "get", "a".repeat(31) + "1"],
    method: "GET",
    path: `/api/v1/slo/${"a".repeat(31)}1`,
    header: /^ID\s+NAME\s+TYPE\s+TARGET/,
    scope: "slos_read",
  },
  {
    argv: ["slos", "create"],
    file: '{"name":"New SLO","type":"metric","thresholds":[{"target":99,"timeframe":"7d"}]}',
    method: "POST",
    path: "/api/v1/slo",
    header: /^ID\s+NAME/,
    scope: "slos_write",
  },
  {
    argv: ["slos", "update", "a".repeat(31) + "2"],
    file: '{"name":"Renamed SLO","type":"metric","thresholds":[{"target":99,"timeframe":"7d"}]}',
    method: "PUT",
    path: `/api/v1/slo/${"a".repeat(31)}2`,
    header: /^ID\s+NAME/,
    scope: "slos_write",
  },
  {
    argv: ["slos", "delete", "a".repeat(31) + "3", "--yes"],
    method: "DELETE",
    path: `/api/v1/slo/${"a".repeat(31)}3`,
    header: /^Deleted SLO a{31}3\.$/,
    scope: "slos_write",
  },
  {
    argv: ["incidents", "list", "--query", "checkout"],
    method: "GET",
    path: "/api/v2/incidents",
    query: { query: "checkout", "page[offset]": "0", "page[size]": "100" },
    header: /^ID\s+NUMBER\s+TITLE\s+SEVERITY\s+STATE\s+CREATED$/,
    scope: "incident_read",
  },
  {
    argv: ["incidents", "get", "aaaaaaaa-0000-0000-0000-000000000001"],
    method: "GET",
    path: "/api/v2/incidents/aaaaaaaa-0000-0000-0000-000000000001",
    header: /^ID\s+NUMBER\s+TITLE/,
    scope: "incident_read",
  },
  {
    argv: ["synthetics", "tests", "list", "--page-size", "3", "--page-number", "1"],
    method: "GET",
    path: "/api/v1/synthetics/tests",
    query: { page_number: "1", page_size: "3" },
    header: /^ID\s+NAME\s+TYPE\s+STATUS\s+LOCATIONS\s+TAGS$/,
    scope: "synthetics_read",
  },
  {
    argv: ["synthetics", "tests", "get", "syn-tst-002"],
    method: "GET",
    path: "/api/v1/synthetics/tests/syn-tst-002",
    header: /^ID\s+NAME\s+TYPE\s+STATUS/,
    scope: "synthetics_read",
  },
  {
    argv: ["security", "rules", "list", "--filter", "aws", "--sort=-name"],
    method: "GET",
    path: "/api/v2/security_monitoring/rules",
    query: { query: "aws", sort: "-name", "page[number]": "0", "page[size]": "100" },
    header: /^ID\s+NAME\s+TYPE\s+ENABLED\s+CREATED$/,
    scope: "security_monitoring_rules_read",
  },
  {
    argv: ["security", "rules", "get", "rul-002"],
    method: "GET",
    path: "/api/v2/security_monitoring/rules/rul-002",
    header: /^ID\s+NAME\s+TYPE\s+ENABLED/,
    scope: "security_monitoring_rules_read",
  },
  {
    argv: ["security", "signals", "list", "--query", "status:high", "--from", "1h", "--limit", "3"],
    method: "POST",
    path: "/api/v2/security_monitoring/signals/search",
    body: (b) => {
      const filter = b.filter as Record<string, string>;
      assert.equal(filter.query, "status:high");
      assert.equal(Date.parse(filter.to) - Date.parse(filter.from), 3_600_000);
      assert.deepEqual(b.page, { limit: 3 });
      assert.equal(b.sort, "-timestamp");
    },
    header: /^ID\s+TIMESTAMP\s+MESSAGE\s+TAGS$/,
    scope: "security_monitoring_signals_read",
  },
  {
    argv: ["rum", "apps", "list"],
    method: "GET",
    path: "/api/v2/rum/applications",
    header: /^ID\s+NAME\s+TYPE\s+CREATED$/,
    scope: "rum_apps_read",
  },
  {
    argv: ["rum", "apps", "get", "rumapp00-0000-0000-0000-000000000001"],
    method: "GET",
    path: "/api/v2/rum/applications/rumapp00-0000-0000-0000-000000000001",
    header: /^ID\s+NAME\s+TYPE\s+CREATED\s+CLIENT TOKEN$/,
    scope: "rum_apps_read",
  },
  {
    argv: ["infrastructure", "hosts", "list", "--filter", "web", "--sort", "apps", "--count", "5"],
    method: "GET",
    path: "/api/v1/hosts",
    query: { filter: "web", sort_field: "apps", start: "0", count: "5" },
    header: /^NAME\s+ID\s+UP\s+APPS\s+LAST REPORTED$/,
    scope: "hosts_read",
  },
  {
    argv: ["users", "list", "--page-size", "4"],
    method: "GET",
    path: "/api/v2/users",
    query: { "page[number]": "0", "page[size]": "4" },
    header: /^ID\s+NAME\s+EMAIL\s+STATUS\s+CREATED$/,
    scope: "user_access_read",
  },
  {
    argv: ["users", "get", "00000000-0000-0000-0000-000000000101"],
    method: "GET",
    path: "/api/v2/users/00000000-0000-0000-0000-000000000101",
    header: /^ID\s+NAME\s+EMAIL/,
    scope: "user_access_read",
  },
  {
    argv: ["users", "me"],
    method: "GET",
    path: "/api/v2/current_user",
    header: /^ID\s+NAME\s+EMAIL/,
    scope: "user_access_read",
  },
  {
    argv: ["cases", "search", "--query", "checkout", "--page-size", "2"],
    method: "GET",
    path: "/api/v2/cases",
    query: { filter: "checkout", "page[number]": "0", "page[size]": "2" },
    header: /^ID\s+KEY\s+TITLE\s+STATUS\s+PRIORITY\s+CREATED$/,
    scope: "cases_read",
  },
  {
    argv: ["cases", "get", "cccccccc-0000-0000-0000-000000000002"],
    method: "GET",
    path: "/api/v2/cases/cccccccc-0000-0000-0000-000000000002",
    header: /^ID\s+KEY\s+TITLE/,
    scope: "cases_read",
  },
  {
    argv: ["events", "list", "--from", "2h", "--tags", "env:prod", "--filter", "github"],
    method: "GET",
    path: "/api/v1/events",
    query: { start: /^\d{10}$/, end: /^\d{10}$/, tags: "env:prod", sources: "github", page: "0" },
    header: /^ID\s+DATE\s+SOURCE\s+PRIORITY\s+TITLE$/,
    scope: "events_read",
  },
  {
    argv: ["events", "search", "--query", "source:github", "--from", "1d", "--limit", "4"],
    method: "POST",
    path: "/api/v2/events/search",
    body: (b) => {
      assert.equal((b.filter as Record<string, string>).query, "source:github");
      assert.deepEqual(b.page, { limit: 4 });
    },
    header: /^ID\s+TIMESTAMP\s+TITLE\s+TAGS$/,
    scope: "events_read",
  },
  {
    argv: ["logs", "query", "--query", "service:payments", "--from", "1h", "--limit", "3"],
    method: "POST",
    path: "/api/v2/logs/events/search",
    body: (b) => {
      assert.equal((b.filter as Record<string, string>).query, "service:payments");
      assert.deepEqual(b.page, { limit: 3 });
      assert.equal(b.sort, "-timestamp");
    },
    header: /^TIMESTAMP\s+STATUS\s+SERVICE\s+HOST\s+MESSAGE$/,
    scope: "logs_read_data",
  },
  {
    argv: [
      "logs",
      "search",
      "--query",
      "status:error",
      "--index",
      "main,web",
      "--sort",
      "timestamp",
    ],
    method: "POST",
    path: "/api/v2/logs/events/search",
    body: (b) => {
      assert.deepEqual((b.filter as Record<string, unknown>).indexes, ["main", "web"]);
      assert.equal(b.sort, "timestamp");
    },
    header: /^TIMESTAMP\s+STATUS\s+SERVICE\s+HOST\s+MESSAGE$/,
    scope: "logs_read_data",
  },
  {
    argv: ["logs", "aggregate", "--query", "status:error", "--group-by", "service", "--from", "1h"],
    method: "POST",
    path: "/api/v2/logs/analytics/aggregate",
    body: (b) => {
      assert.deepEqual(b.compute, [{ aggregation: "count", type: "total" }]);
      assert.deepEqual(b.group_by, [{ facet: "service", limit: 10 }]);
    },
    header: /^SERVICE\s+C0$/,
    scope: "logs_read_data",
  },
  {
    argv: ["metrics", "query", "--query", "avg:system.cpu.user{*}", "--from", "4h"],
    method: "GET",
    path: "/api/v1/query",
    query: { query: "avg:system.cpu.user{*}", from: /^\d{10}$/, to: /^\d{10}$/ },
    header: /^SERIES\s+POINTS\s+LAST\s+MIN\s+MAX\s+AVG$/,
    scope: "timeseries_query",
  },
  {
    argv: ["metrics", "list", "--from", "1d", "--filter", "web-1", "--tag-filter", "env:prod"],
    method: "GET",
    path: "/api/v1/metrics",
    query: { from: /^\d{10}$/, host: "web-1", tag_filter: "env:prod" },
    header: /^METRIC$/,
    scope: "metrics_read",
  },
  {
    argv: ["usage", "summary", "--from", "2024-01", "--to", "2024-03"],
    method: "GET",
    path: "/api/v1/usage/summary",
    query: { start_month: "2024-01", end_month: "2024-03" },
    header: /^MONTH\s+INFRA HOSTS\s+APM HOSTS\s+INDEXED LOGS\s+CUSTOM METRICS$/,
    scope: "usage_read",
  },
  {
    argv: ["apm", "services", "list", "--env", "prod", "--from", "2h"],
    method: "GET",
    path: "/api/v2/apm/services",
    query: { "filter[env]": "prod", start: /^\d{10}$/, end: /^\d{10}$/ },
    header: /^SERVICE$/,
    scope: "apm_read",
  },
];

/** Runs a case's command (writing its --file first), with `extra` arguments. */
async function runCase(t: InProcessFake, c: Case, extra: string[]) {
  const argv = [...c.argv];
  if (c.file !== undefined) {
    const file = join(t.dir, "body.json");
    await writeFile(file, c.file);
    argv.push("--file", file);
  }
  return await t.pup([...argv, ...extra]);
}

/** The declared command a case runs. */
function commandOf(c: Case): string {
  const def = API_COMMANDS.find((d) => d.path.every((w, i) => c.argv[i] === w));
  assert.ok(def, `no command for ${c.argv.join(" ")}`);
  return def.path.join(" ");
}

test("every command of the family table has a case here", () => {
  const covered = new Set(CASES.map(commandOf));
  for (const def of API_COMMANDS) {
    assert.ok(covered.has(def.path.join(" ")), `no case for ${def.path.join(" ")}`);
  }
});

for (const c of CASES) {
  const name = commandOf(c);
  describe(`pup ${name}`, () => {
    test(`${name}: the request on the wire`, () =>
      withInProcessFake(async (t) => {
        const r = await runCase(t, c, ["-o", "json"]);
        assert.equal(r.code, 0, r.stderr);
        const apiCalls = t.fake.requests.filter((q) => q.path.startsWith("/api/"));
        assert.equal(apiCalls.length, 1, apiCalls.map((q) => q.url).join("\n"));
        const [req] = apiCalls;
        assert.equal(req.method, c.method);
        assert.equal(req.path, c.path);
        assert.match(req.headers.authorization, /^Bearer fake_at_/);
        const params = new URL(req.url).searchParams;
        for (const [k, v] of Object.entries(c.query ?? {})) {
          if (typeof v === "string") assert.equal(params.get(k), v, k);
          else assert.match(params.get(k) ?? "", v, k);
        }
        if (c.file !== undefined) assert.equal(req.body, c.file, "the file is sent unchanged");
        if (c.body) c.body(JSON.parse(req.body));
      }, { login: true }));

    test(`${name}: -o json prints the body as the API sent it`, () =>
      withInProcessFake(async (t) => {
        const r = await runCase(t, c, ["-o", "json"]);
        assert.equal(r.code, 0, r.stderr);
        const sent = t.bodies.at(-1)!;
        if (sent.trim() === "") assert.equal(r.stdout, "");
        else {
          assert.deepEqual(JSON.parse(r.stdout), JSON.parse(sent));
          assert.equal(r.stdout, JSON.stringify(JSON.parse(sent), null, 2) + "\n");
        }
      }, { login: true }));

    test(`${name}: the table shows its columns, server text inert`, () =>
      withInProcessFake(async (t) => {
        const r = await runCase(t, c, []);
        assert.equal(r.code, 0, r.stderr);
        const lines = r.stdout.trimEnd().split("\n");
        assert.match(lines[0], c.header);
        assert.ok(!CONTROL.test(r.stdout), "a control character reached the terminal");
      }, { login: true }));

    test(`${name}: a session without ${c.scope} is warned before the call and told after the 403`, () =>
      withInProcessFake(async (t) => {
        const r = await runCase(t, c, []);
        assert.equal(r.code, 1, r.stderr);
        assert.equal(r.stdout, "");
        assert.match(
          r.stderr,
          new RegExp(`^warning: your session lacks the scope ${c.scope} that 'pup ${name}' needs`),
        );
        assert.match(r.stderr, /failed: 403/);
        assert.ok(r.stderr.includes(`pup auth login --extra-scopes ${c.scope}`), r.stderr);
        assert.equal(t.fake.requests.at(-1)!.path, c.path);
      }, { login: "apps_run" }));
  });
}
