/**
 * `--limit` and `--all` over each paging kind the API families use — page numbers (with and
 * without a page count), offsets and cursors — in-process against the fake Datadog: which
 * pages are asked for, that `-o json` joins the pages into one body of the API's own shape,
 * and the progress line on a terminal.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type InProcessFake, lastHourOfLogs, withInProcessFake } from "./helpers.ts";

type T = InProcessFake;

/** Runs `fn` logged in with every default scope. */
const withFake = (fn: (t: T) => Promise<void>) => withInProcessFake(fn, { login: true });

function sent(t: T, path: string) {
  return t.fake.requests.filter((r) => r.path === path);
}

test("page numbers: --all reads pages until a short one and joins their data", () =>
  withFake(async (t) => {
    const r = await t.pup(["users", "list", "--page-size", "2", "--all", "-o", "json"]);
    assert.equal(r.code, 0, r.stderr);
    const pages = sent(t, "/api/v2/users").map((q) => new URL(q.url).searchParams);
    assert.deepEqual(pages.map((p) => p.get("page[number]")), ["0", "1", "2", "3", "4"]);
    assert.ok(pages.every((p) => p.get("page[size]") === "2"));
    const body = JSON.parse(r.stdout);
    assert.equal(body.data.length, 9);
    assert.deepEqual(Object.keys(body).sort(), ["data", "included", "meta"]);
    assert.equal(new Set(body.data.map((u: { id: string }) => u.id)).size, 9);
  }));

test("page numbers: --limit stops mid-page, keeping one page size", () =>
  withFake(async (t) => {
    const r = await t.pup(["users", "list", "--page-size", "2", "--limit", "5", "-o", "json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sent(t, "/api/v2/users").length, 3);
    assert.equal(JSON.parse(r.stdout).data.length, 5);
  }));

test("page numbers: a top-level array joins into one array; --page picks the first page", () =>
  withFake(async (t) => {
    const one = await t.pup(["monitors", "list", "--limit", "1", "--page", "2", "-o", "json"]);
    assert.equal(one.code, 0, one.stderr);
    assert.deepEqual(JSON.parse(one.stdout).map((m: { id: number }) => m.id), [1003]);
    const q = new URL(sent(t, "/api/v1/monitor")[0].url).searchParams;
    assert.equal(q.get("page"), "2");
    assert.equal(q.get("page_size"), "1");
    const all = await t.pup(["monitors", "list", "--all", "-o", "json"]);
    assert.equal(JSON.parse(all.stdout).length, 6);
    assert.equal(new URL(sent(t, "/api/v1/monitor")[1].url).searchParams.get("page_size"), "1000");
  }));

test("page numbers: the API's page count ends --all without asking for an empty page", () =>
  withFake(async (t) => {
    const r = await t.pup([
      "monitors",
      "search",
      "--query",
      "type:metric",
      "--per-page",
      "2",
      "--all",
      "-o",
      "json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sent(t, "/api/v1/monitor/search").length, 2);
    const body = JSON.parse(r.stdout);
    assert.deepEqual(body.monitors.map((m: { id: number }) => m.id), [1001, 1004, 1006]);
    assert.equal(body.metadata.page_count, 2);
  }));

test("offsets: --all moves the offset by what each page held", () =>
  withFake(async (t) => {
    const r = await t.pup([
      "infrastructure",
      "hosts",
      "list",
      "--count",
      "3",
      "--all",
      "-o",
      "json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const starts = sent(t, "/api/v1/hosts").map((q) => new URL(q.url).searchParams.get("start"));
    assert.deepEqual(starts, ["0", "3", "6", "9"]);
    const body = JSON.parse(r.stdout);
    assert.equal(body.host_list.length, 11);
    assert.equal(body.total_matching, 11);
  }));

test("offsets: --limit over a v2 list asks for one page of that size", () =>
  withFake(async (t) => {
    const r = await t.pup(["incidents", "list", "--limit", "4", "-o", "json"]);
    assert.equal(r.code, 0, r.stderr);
    const q = new URL(sent(t, "/api/v2/incidents")[0].url).searchParams;
    assert.equal(q.get("page[size]"), "4");
    assert.equal(JSON.parse(r.stdout).data.length, 4);
  }));

test("cursors: --all follows meta.page.after until the API gives none", () =>
  withFake(async (t) => {
    t.fake.knobs.pageCap["/api/v2/logs/events/search"] = 10;
    const r = await t.pup(lastHourOfLogs("--all", "-o", "json"));
    assert.equal(r.code, 0, r.stderr);
    const bodies = sent(t, "/api/v2/logs/events/search").map((q) => JSON.parse(q.body));
    assert.equal(bodies.length, 4);
    assert.equal(bodies[0].page.cursor, undefined);
    assert.ok(bodies.slice(1).every((b) => typeof b.page.cursor === "string"));
    const body = JSON.parse(r.stdout);
    assert.equal(body.data.length, 40);
    assert.equal(body.meta.page.after, undefined, "the last page's meta: nothing more");
  }));

test("cursors: --limit asks each page for only what is left", () =>
  withFake(async (t) => {
    t.fake.knobs.pageCap["/api/v2/logs/events/search"] = 10;
    const r = await t.pup(lastHourOfLogs("--limit", "25"));
    assert.equal(r.code, 0, r.stderr);
    const limits = sent(t, "/api/v2/logs/events/search").map((q) => JSON.parse(q.body).page.limit);
    assert.deepEqual(limits, [25, 15, 5]);
    assert.equal(r.stdout.trimEnd().split("\n").length, 26);
  }));

test("cursors: --cursor continues where an earlier answer stopped", () =>
  withFake(async (t) => {
    const five = (...extra: string[]) =>
      t.pup([
        "logs",
        "query",
        "--query",
        "*",
        "--from",
        "1h",
        "--limit",
        "5",
        ...extra,
        "-o",
        "json",
      ]);
    const first = await five();
    const after = JSON.parse(first.stdout).meta.page.after;
    assert.equal(typeof after, "string");
    const next = await five("--cursor", after);
    assert.equal(next.code, 0, next.stderr);
    const ids = (s: string) => JSON.parse(s).data.map((l: { id: string }) => l.id);
    assert.equal(new Set([...ids(first.stdout), ...ids(next.stdout)]).size, 10);
  }));

test("--all shows a progress line on a terminal after the first page, and none in a pipe", () =>
  withFake(async (t) => {
    const tty = await t.pup(["users", "list", "--page-size", "3", "--all"], {}, { stderr: true });
    assert.equal(tty.code, 0, tty.stderr);
    assert.equal(
      tty.stderr,
      "\rread 1 page, 3 items…\rread 2 pages, 6 items…\rread 3 pages, 9 items…\n",
    );
    assert.equal(tty.stdout.trimEnd().split("\n").length, 10);
    const one = await t.pup(["users", "list", "--page-size", "3"], {}, { stderr: true });
    assert.equal(one.stderr, "", "no progress without --all");
    const pipe = await t.pup(["users", "list", "--page-size", "3", "--all", "-o", "json"]);
    assert.equal(pipe.code, 0);
    assert.equal(pipe.stderr, "");
  }));

test("a table on a terminal fits its width (COLUMNS), cutting the widest column", () =>
  withInProcessFake(async (t) => {
    const r = await t.pup(["monitors", "list"], {}, { stdout: true });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.ok(lines.every((l) => l.length <= 60), lines.join("\n"));
    assert.match(r.stdout, /…/);
    const wide = await t.pup(["monitors", "list"]);
    assert.ok(wide.stdout.split("\n").some((l) => l.length > 60), "a pipe is not cut");
  }, { login: true, env: { COLUMNS: "60" } }));

test("--all is bounded: it stops after 1000 pages and says so", () =>
  withFake(async (t) => {
    t.fake.knobs.failNext.push({
      method: "GET",
      path: "/api/v2/users",
      status: 200,
      body: '{"data": [{"id": "same", "type": "users", "attributes": {}}]}',
      times: 1001,
    });
    const r = await t.pup(["users", "list", "--page-size", "1", "--all", "-o", "json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sent(t, "/api/v2/users").length, 1000);
    assert.equal(r.stderr, "stopped after 1000 pages (1000 items); narrow the query\n");
    assert.equal(JSON.parse(r.stdout).data.length, 1000);
  }));

test("a cursor that does not move ends --all instead of looping", () =>
  withFake(async (t) => {
    t.fake.knobs.failNext.push({
      method: "POST",
      path: "/api/v2/events/search",
      status: 200,
      body: '{"data": [{"id": "e"}], "meta": {"page": {"after": "stuck"}}}',
      times: 5,
    });
    const r = await t.pup(["events", "search", "--query", "*", "--all", "-o", "json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sent(t, "/api/v2/events/search").length, 2);
  }));
