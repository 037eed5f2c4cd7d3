import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_SCOPES,
  parseScopeList,
  READ_ONLY_SCOPES,
  resolveScopes,
} from "../lib/auth/scopes.ts";

test("the default set is Datadog's canonical list of CONTRACT §11", () => {
  assert.equal(DEFAULT_SCOPES.length, new Set(DEFAULT_SCOPES).size);
  assert.ok(DEFAULT_SCOPES.includes("monitors_read"));
  assert.ok(DEFAULT_SCOPES.includes("workflows_write"));
  assert.equal(DEFAULT_SCOPES[0], "apm_generate_metrics");
  assert.equal(DEFAULT_SCOPES.length, 110);
});

test("the read-only set keeps _read and logs_read_ scopes and the three extras, not debugger_read", () => {
  assert.ok(READ_ONLY_SCOPES.includes("logs_read_data"));
  assert.ok(READ_ONLY_SCOPES.includes("logs_read_index_data"));
  assert.ok(READ_ONLY_SCOPES.includes("apps_run"));
  assert.ok(READ_ONLY_SCOPES.includes("built_in_features"));
  assert.ok(READ_ONLY_SCOPES.includes("timeseries_query"));
  assert.ok(!READ_ONLY_SCOPES.includes("debugger_read"));
  assert.ok(!READ_ONLY_SCOPES.includes("monitors_write"));
  assert.ok(!READ_ONLY_SCOPES.includes("workflows_run"));
});

test("--scopes replaces the defaults and --extra-scopes adds to them", () => {
  assert.deepEqual(resolveScopes({ scopes: ["a_read", "b"] }), ["a_read", "b"]);
  const extra = resolveScopes({ extraScopes: ["custom_scope"] });
  assert.equal(extra.length, DEFAULT_SCOPES.length + 1);
  assert.equal(extra.at(-1), "custom_scope");
});

test("--read-only filters whatever was asked for", () => {
  assert.deepEqual(
    resolveScopes({ scopes: ["a_read", "b_write", "timeseries_query"], readOnly: true }),
    [
      "a_read",
      "timeseries_query",
    ],
  );
  assert.deepEqual(resolveScopes({ readOnly: true }), [...READ_ONLY_SCOPES]);
});

test("config scopes are the default, and --scopes wins over them", () => {
  assert.deepEqual(resolveScopes({ configScopes: ["x_read"] }), ["x_read"]);
  assert.deepEqual(resolveScopes({ configScopes: ["x_read"], scopes: ["y"] }), ["y"]);
});

test("a scope list rejects characters a scope token cannot have", () => {
  assert.deepEqual(parseScopeList("a, b c", "--scopes"), ["a", "b", "c"]);
  assert.throws(() => parseScopeList('a"b', "--scopes"), /invalid scope/);
  assert.throws(() => parseScopeList(" , ", "--scopes"), /at least one/);
});
