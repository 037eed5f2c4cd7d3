/**
 * End to end: the compiled binary runs the API family commands against the fake Datadog on a
 * real socket with a stored session (CONTRACT §10 environment): tables, `-o json` as sent,
 * `--all` across cursor pages over one connection, `--file` from a file, the delete guard
 * with stdin closed, a missing scope, `pup auth scopes`, and no secret in any output.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  assertNoSecretPrinted,
  lastHourOfLogs,
  localEnv,
  NO_BINARY,
  recordingBinary,
  runBinary as pup,
  seedSession,
  withFakeDatadogServer,
} from "../helpers.ts";

const skip = NO_BINARY;
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

test(
  "the binary runs the family commands with a stored session",
  { skip },
  () =>
    withFakeDatadogServer(async (fake, dir) => {
      const issued = fake.issueTokens();
      await seedSession(dir.path, fake.site, issued);
      const { run, runs } = recordingBinary(localEnv(fake.site, dir.path));

      const list = await run(["dashboards", "list"]);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /^ID\s+TITLE\s+LAYOUT\s+AUTHOR\s+MODIFIED\n/);
      assert.ok(!CONTROL.test(list.stdout));
      assert.match(list.stdout, /Dashboard \\u001b\[31mred/);

      const get = await run(["monitors", "get", "1002", "-o", "json"]);
      assert.equal(get.code, 0, get.stderr);
      assert.equal(JSON.parse(get.stdout).name, "Checkout latency p99 above SLO");

      fake.knobs.pageCap["/api/v2/logs/events/search"] = 10;
      const before = fake.requests.length;
      const all = await run(lastHourOfLogs("--all", "-o", "json"));
      assert.equal(all.code, 0, all.stderr);
      assert.equal(JSON.parse(all.stdout).data.length, 40);
      assert.equal(fake.requests.length - before, 4);

      const file = join(dir.path, "monitor.yaml");
      await writeFile(file, "name: e2e\ntype: metric alert\nquery: avg(last_5m):avg:x{*} > 1\n");
      const created = await run(["monitors", "create", "--file", file, "-o", "json"]);
      assert.equal(created.code, 0, created.stderr);
      const id = JSON.parse(created.stdout).id;

      const sent = fake.requests.length;
      const guarded = await run(["monitors", "delete", String(id)]);
      assert.equal(guarded.code, 2);
      assert.match(guarded.stderr, /no terminal to confirm on/);
      assert.equal(fake.requests.length, sent, "nothing was sent");
      const deleted = await run(["monitors", "delete", String(id), "--yes"]);
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.equal(deleted.stdout, `Deleted monitor ${id}.\n`);

      const scopes = await run(["auth", "scopes", "-o", "json"]);
      assert.equal(scopes.code, 0, scopes.stderr);
      assert.ok(
        JSON.parse(scopes.stdout).commands.some((c: { command: string }) =>
          c.command === "apm services list"
        ),
      );

      const help = await run(["security", "signals", "list", "--help"]);
      assert.match(help.stdout, /Request: POST \/api\/v2\/security_monitoring\/signals\/search/);
      assert.match(help.stdout, /Scopes: {2}security_monitoring_signals_read/);

      assertNoSecretPrinted(runs, fake.secrets());
    }),
);

test(
  "the binary warns about and explains a missing scope (exit 1)",
  { skip },
  () =>
    withFakeDatadogServer(async (fake, dir) => {
      await seedSession(dir.path, fake.site, fake.issueTokens({ scope: "monitors_read" }));
      const r = await pup(["usage", "summary"], localEnv(fake.site, dir.path));
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^warning: your session lacks the scope usage_read/);
      assert.match(r.stderr, /403/);
      assert.match(r.stderr, /pup auth login --extra-scopes usage_read/);
    }),
);
