import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { type ErrorCode, PupError } from "../lib/errors.ts";

test("the documented error-code table matches the codes and their exit codes", async () => {
  const source = await readFile(new URL("../lib/errors.ts", import.meta.url), "utf8");
  const rows = [...source.matchAll(/^ \* \| `([a-z_]+)` \| (\d) \|/gm)];
  const union = source.slice(
    source.indexOf("export type ErrorCode"),
    source.indexOf(";", source.indexOf("export type ErrorCode")),
  );
  const codes = [...union.matchAll(/"([a-z_]+)"/g)].map((m) => m[1]);
  assert.deepEqual(rows.map((r) => r[1]).sort(), [...codes].sort());
  for (const [, code, exit] of rows) {
    assert.equal(new PupError(code as ErrorCode, "x").exitCode, Number(exit), code);
  }
});
