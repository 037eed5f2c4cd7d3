import { test } from "node:test";
import assert from "node:assert/strict";
import { siteRows } from "../lib/commands/auth_list.ts";

const NOW = Date.parse("2026-01-01T00:00:00Z");

test("auth list shows an org named after an Object prototype key as not logged in", () => {
  const sessions = ["constructor", "__proto__", "toString", "valueOf", "hasOwnProperty"].map(
    (org) => ({ site: "datadoghq.com", org }),
  );
  const rows = siteRows("datadoghq.com", { tokens: {}, client: null }, sessions, NOW);
  assert.equal(rows.length, 5);
  for (const row of rows) {
    assert.equal(row.status, "not logged in", row.org ?? "");
    assert.deepEqual(row.scopes, []);
    assert.equal(row.expires_at, null);
  }
});

test("auth list lists a token that sessions.json does not record, as the default session", () => {
  const token = {
    access_token: "a",
    refresh_token: "r",
    token_type: "Bearer",
    expires_in: 3600,
    expires_at: new Date(NOW + 3_600_000).toISOString(),
    scope: "monitors_read timeseries_query",
  };
  const rows = siteRows("datadoghq.eu", { tokens: { __default__: token }, client: null }, [], NOW);
  assert.deepEqual(rows.map((r) => [r.org, r.status, r.scopes.length]), [[null, "valid", 2]]);
});
