/**
 * Scopes as data: `pup auth scopes` lists the default and read-only sets and what each command
 * needs; every family command's --help shows its request, scope and an example; the runner's
 * parse is pure and checks flags before anything runs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { seedSession, withInProcessFake, withTempDir } from "./helpers.ts";
import { FileStateStore } from "../lib/store/file_state_store.ts";
import type { Token } from "../lib/auth/types.ts";
import { DEFAULT_SCOPES, READ_ONLY_SCOPES } from "../lib/auth/scopes.ts";
import { API_COMMANDS, requestText } from "../lib/commands/families/index.ts";
import { parseCommand } from "../lib/commands/families/runner.ts";

test("pup auth scopes -o json lists the default and read-only sets and every command's scopes", () =>
  withInProcessFake(async (t) => {
    const r = await t.pup(["auth", "scopes", "-o", "json"]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.deepEqual(report.default, [...DEFAULT_SCOPES]);
    assert.deepEqual(report.read_only, [...READ_ONLY_SCOPES]);
    for (const def of API_COMMANDS) {
      const row = report.commands.find((c: { command: string }) =>
        c.command === def.path.join(" ")
      );
      assert.ok(row, def.path.join(" "));
      assert.deepEqual(row.scopes, def.scopes);
      assert.equal(row.request, requestText(def));
      for (const s of def.scopes) assert.ok(DEFAULT_SCOPES.includes(s), `${s} is a default scope`);
    }
    const monitorsList = report.commands.find((c: { command: string }) =>
      c.command === "monitors list"
    );
    assert.equal(monitorsList.in_read_only, true);
    const del = report.commands.find((c: { command: string }) => c.command === "monitors delete");
    assert.equal(del.in_read_only, false);
    assert.equal(t.fake.requests.length, 0, "pup auth scopes asks no server");
    const table = await t.pup(["auth", "scopes"]);
    assert.match(table.stdout, /^Default scopes \(\d+\):/);
    assert.match(table.stdout, /^monitors list\s+monitors_read\s+yes$/m);
  }));

test("every family command's --help shows its request, scope and an example", () =>
  withInProcessFake(async (t) => {
    for (const def of API_COMMANDS) {
      const r = await t.pup([...def.path, "--help"]);
      assert.equal(r.code, 0, def.path.join(" "));
      assert.ok(r.stdout.includes(`Request: ${def.method} ${def.endpoint}`), r.stdout);
      assert.ok(r.stdout.includes(`Scopes:  ${def.scopes.join(", ")}`), r.stdout);
      assert.match(r.stdout, new RegExp(`Examples:\\n  pup ${def.path.join(" ")}`));
      for (const p of def.positionals ?? []) assert.ok(r.stdout.includes(`<${p}>`));
    }
  }));

test("a session lacking a write scope is warned and the 403 names the login; read-only works", () =>
  withInProcessFake(async (t) => {
    const read = await t.pup(["monitors", "get", "1001", "-o", "json"]);
    assert.equal(read.code, 0, read.stderr);
    assert.equal(read.stderr, "", "no warning when the scope is granted");
    const write = await t.pup(["monitors", "delete", "1001", "--yes"]);
    assert.equal(write.code, 1);
    assert.match(write.stderr, /^warning: your session lacks the scope monitors_write/);
    assert.match(write.stderr, /'pup monitors delete' needs the scope monitors_write/);
    assert.match(write.stderr, /pup auth login --extra-scopes monitors_write/);
  }, { login: READ_ONLY_SCOPES.join(" ") }));

test("with --org the hint names the org's login", () =>
  withInProcessFake(async (t) => {
    const issued = t.fake.issueTokens({ scope: "apps_run" });
    const { seedSession } = await import("./helpers.ts");
    await seedSession(t.dir, t.site, issued, { org: "prod-child" });
    const r = await t.pup(["users", "me", "--org", "prod-child"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /pup auth login --org prod-child --extra-scopes user_access_read/);
  }));

test("parse checks required flags, integers and ids before anything runs", () => {
  const def = (path: string) => API_COMMANDS.find((d) => d.path.join(" ") === path)!;
  const input = (values: Record<string, string | boolean>, positionals: string[] = []) => ({
    values,
    positionals,
  });
  assert.throws(() => parseCommand(def("monitors search"), input({})), /needs --query/);
  assert.throws(
    () => parseCommand(def("users list"), input({ "page-size": "two" })),
    /invalid --page-size "two": expected an integer/,
  );
  assert.throws(
    () => parseCommand(def("monitors get"), input({}, [" "])),
    /non-empty <monitor_id>/,
  );
  assert.throws(() => parseCommand(def("users list"), input({ limit: "0" })), /invalid --limit/);
  const opts = parseCommand(def("users list"), input({ "page-size": "7" }));
  assert.equal(opts.limit, 7, "a page size alone reads one page");
  assert.equal(parseCommand(def("users list"), input({ all: true })).limit, Infinity);
  assert.deepEqual(parseCommand(def("monitors get"), input({}, ["1001"])).args, {
    monitor_id: "1001",
  });
});

test("bad times are usage errors naming the flag, before anything is sent", () =>
  withInProcessFake(async (t) => {
    const r = await t.pup(["events", "list", "--from", "yesterday"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /invalid --from "yesterday": expected now, a duration/);
    const order = await t.pup([
      "security",
      "signals",
      "list",
      "--query",
      "*",
      "--from",
      "1h",
      "--to",
      "2h",
    ]);
    assert.equal(order.code, 2);
    assert.match(order.stderr, /--from must be before --to/);
    assert.equal(t.fake.requests.filter((q) => q.path.startsWith("/api/")).length, 0);
  }, { login: true }));

test("an error inside a 200 answer (metrics query status: error) fails with Datadog's words", () =>
  withInProcessFake(async (t) => {
    t.fake.knobs.failNext.push({
      path: "/api/v1/query",
      status: 200,
      body: '{"status": "error", "error": "Rate of \\u001b[31m queries"}',
    });
    const r = await t.pup(["metrics", "query", "--query", "avg:system.cpu.user{*}"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: the metric query failed: Rate of \\u001b\[31m queries\n$/);
  }, { login: true }));

test("with -o json the scope warning never mixes with the JSON error, and follows a success", () =>
  withInProcessFake(async (t) => {
    // The fake grants every scope, while the stored session says it lacks monitors_read: the
    // call succeeds and the warning still comes, after the answer.
    const issued = t.fake.issueTokens();
    await seedSession(t.dir, t.site, { ...issued, scope: "dashboards_read" });
    const ok = await t.pup(["monitors", "list", "-o", "json"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(Array.isArray(JSON.parse(ok.stdout)));
    assert.match(ok.stderr, /^warning: your session lacks the scope monitors_read/);
    assert.equal(ok.stderr.trimEnd().split("\n").length, 1);

    // A session that really lacks it: stderr is one JSON object whose hint names the login.
    await t.login("dashboards_read");
    const denied = await t.pup(["monitors", "list", "-o", "json"]);
    assert.equal(denied.code, 1);
    const { error } = JSON.parse(denied.stderr);
    assert.equal(error.code, "api");
    assert.equal(error.status, 403);
    assert.match(error.hint, /'pup monitors list' needs the scope monitors_read/);
    assert.match(error.hint, /pup auth login --extra-scopes monitors_read/);

    // Without -o json the warning comes first, as before.
    const table = await t.pup(["monitors", "list"]);
    assert.equal(table.code, 1);
    assert.match(table.stderr, /^warning: your session lacks the scope monitors_read/);
  }));

test("a required flag given blank is as missing as an absent one", () => {
  const def = API_COMMANDS.find((d) => d.path.join(" ") === "logs query")!;
  for (const query of [undefined, "", "   "]) {
    assert.throws(
      () => parseCommand(def, { values: query === undefined ? {} : { query }, positionals: [] }),
      (err: unknown) => {
        const e = err as { code?: string; message?: string; hint?: string };
        assert.equal(e.code, "usage");
        assert.match(e.message ?? "", /^'pup logs query' needs --query, e\.g\. --query /);
        assert.equal(e.hint, 'use --query "*" for every log');
        return true;
      },
      JSON.stringify(query),
    );
  }
});

test("the scope check and the credentials share one read of the state files (reuse)", () =>
  withTempDir(async (dir) => {
    const site = "datadoghq.com";
    const token = (access_token: string): Token => ({
      access_token,
      refresh_token: "r",
      token_type: "Bearer",
      expires_in: 3600,
      expires_at: new Date(Date.now() + 3_600_000).toISOString(),
      scope: "monitors_read",
    });
    const client = { client_id: "c", client_secret: "s", registered_at: "2026-01-01T00:00:00Z" };
    const isEmpty = (s: { tokens: Record<string, Token>; client: unknown }) =>
      Object.keys(s.tokens).length === 0 && s.client === null;
    const mine = new FileStateStore(dir.path);
    assert.ok(isEmpty(await mine.read(site, { reuse: true })));
    await mine.write(site, { tokens: { __default__: token("a") }, client });
    // Another process writes a new token: a read with reuse answers from this store's own last
    // read or write (outside the lock, as StateStore allows); a plain read sees the new one.
    await new FileStateStore(dir.path).write(site, { tokens: { __default__: token("b") }, client });
    const reused = await mine.read(site, { reuse: true });
    assert.equal(reused.tokens.__default__.access_token, "a");
    assert.deepEqual(reused.client, client);
    reused.tokens.__default__.access_token = "changed by the caller";
    assert.equal((await mine.read(site, { reuse: true })).tokens.__default__.access_token, "a");
    assert.equal((await mine.read(site)).tokens.__default__.access_token, "b");
    assert.equal((await mine.read(site, { reuse: true })).tokens.__default__.access_token, "b");
    // A fresh store has read nothing yet: reuse reads the files.
    const fresh = new FileStateStore(dir.path);
    assert.equal((await fresh.read(site, { reuse: true })).tokens.__default__.access_token, "b");
    await mine.write(site, { tokens: {}, client: null });
    assert.ok(isEmpty(await mine.read(site, { reuse: true })));
    assert.equal(Object.getPrototypeOf((await mine.read(site, { reuse: true })).tokens), null);
  }));

test("a family command resolves its site once: an ambiguous sessions.json warns once, as pup api does", () =>
  withInProcessFake(async (t) => {
    const { writeFile } = await import("node:fs/promises");
    const { join } = await import("node:path");
    const sessions = [{ site: "datadoghq.eu", org: null }, {
      site: "us3.datadoghq.com",
      org: null,
    }];
    await writeFile(join(t.dir, "sessions.json"), JSON.stringify(sessions), { mode: 0o600 });
    const warning = /Default sessions exist on several sites/g;
    for (const argv of [["monitors", "list"], ["api", "/api/v1/monitor"]]) {
      const r = await t.pup(argv);
      assert.equal(r.stderr.match(warning)?.length, 1, `${argv.join(" ")}: ${r.stderr}`);
    }
  }, { env: { DD_SITE: "" } }));
