/**
 * The write commands' `--file` (JSON sent byte for byte, YAML sent as the same JSON, `-` for
 * stdin, a bad file a usage error naming the file and line) and the delete guard: without a
 * terminal and without `--yes`, nothing at all is sent and pup exits 2.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeFile } from "node:fs/promises";
import { type InProcessFake, withInProcessFake } from "./helpers.ts";

type T = InProcessFake;

/** Runs `fn` logged in with every default scope. */
const withFake = (fn: (t: T) => Promise<void>) => withInProcessFake(fn, { login: true });

const apiCalls = (t: T) => t.fake.requests.filter((r) => r.path.startsWith("/api/"));

test("a YAML --file is sent as the JSON of the same value", () =>
  withFake(async (t) => {
    const file = join(t.dir, "monitor.yaml");
    await writeFile(
      file,
      "name: cpu\ntype: metric alert\nquery: avg(last_5m):avg:x{*} > 1\ntags:\n  - env:prod\n",
    );
    const r = await t.pup(["monitors", "create", "--file", file, "-o", "json"]);
    assert.equal(r.code, 0, r.stderr);
    const [req] = apiCalls(t);
    assert.deepEqual(JSON.parse(req.body), {
      name: "cpu",
      type: "metric alert",
      query: "avg(last_5m):avg:x{*} > 1",
      tags: ["env:prod"],
    });
    assert.match(req.headers["content-type"], /^application\/json/);
    assert.equal(JSON.parse(r.stdout).name, "cpu");
  }));

test("--file - reads the body from stdin and sends it unchanged", () =>
  withFake(async (t) => {
    const text = '{"name": "from stdin", "type": "metric alert", "query": "avg:x{*} > 1"}';
    const r = await t.pup(["monitors", "update", "1002", "--file", "-"], { stdinLines: [text] });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(apiCalls(t)[0].body, text);
    assert.match(r.stdout, /^ID\s+NAME/);
    assert.match(r.stdout, /1002\s+from stdin/);
  }));

test("a bad --file is a usage error naming the file and the line, and nothing is sent", () =>
  withFake(async (t) => {
    const file = join(t.dir, "broken.yaml");
    await writeFile(file, 'name: cpu\ntype: "metric alert\nquery: x\n');
    const r = await t.pup(["monitors", "create", "--file", file]);
    assert.equal(r.code, 2);
    assert.ok(
      r.stderr.includes(
        `invalid --file ${file} at line 4: expected JSON or YAML, found missing closing "quote`,
      ),
      r.stderr,
    );
    const scalar = join(t.dir, "scalar.json");
    await writeFile(scalar, '"just a string"');
    const s = await t.pup(["dashboards", "create", "--file", scalar]);
    assert.equal(s.code, 2);
    assert.match(s.stderr, /expected a JSON or YAML object, found string/);
    const missing = await t.pup(["slos", "create", "--file", join(t.dir, "nope.json")]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read --file .*nope\.json: ENOENT/);
    const none = await t.pup(["slos", "create"]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /'pup slos create' needs --file/);
    assert.equal(apiCalls(t).length, 0);
  }));

for (
  const argv of [
    ["monitors", "delete", "1001"],
    ["dashboards", "delete", "abc-def-001"],
    ["slos", "delete", "a".repeat(31) + "1"],
    ["downtime", "cancel", "00000000-0000-0000-0000-000000000001"],
  ]
) {
  test(`${argv.slice(0, 2).join(" ")} with no terminal and no --yes sends nothing and exits 2`, () =>
    withInProcessFake(async (t) => {
      t.fake.requests.length = 0;
      const r = await t.pup(argv);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /refusing to (delete|cancel) .*: no terminal to confirm on/);
      assert.match(r.stderr, /pass --yes/);
      assert.equal(t.fake.requests.length, 0, "nothing was sent, not even a token refresh");
    }, { login: true }));
}

test("on a terminal, delete asks; y sends it, anything else sends nothing", () =>
  withFake(async (t) => {
    const no = await t.pup(["monitors", "delete", "1001"], { stdinLines: ["n"] }, {
      stdin: true,
      stderr: true,
    });
    assert.equal(no.code, 1);
    assert.match(no.stderr, /^Delete monitor 1001\? \[y\/N\] Nothing was sent\.\n$/);
    assert.equal(apiCalls(t).length, 0);
    const yes = await t.pup(["monitors", "delete", "1001"], { stdinLines: ["y"] }, {
      stdin: true,
      stderr: true,
    });
    assert.equal(yes.code, 0, yes.stderr);
    assert.equal(yes.stdout, "Deleted monitor 1001.\n");
    assert.equal(apiCalls(t).filter((r) => r.method === "DELETE").length, 1);
    const gone = await t.pup(["monitors", "get", "1001"]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /404.*Monitor not found/);
  }));
