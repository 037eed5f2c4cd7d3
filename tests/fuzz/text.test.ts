import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { cleanServerText, safeCell, safeJson, safeText } from "../../lib/text.ts";
import { guardOutput, table, toJson, toYaml } from "../../lib/cli/output.ts";
import { tally } from "./tally.ts";

// Every character the neutraliser must never let through raw (newline and tab aside).
// deno-lint-ignore no-control-regex
const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\p{Cf}]|\p{Cs}/u;
// deno-lint-ignore no-control-regex
const RAW_OR_NEWLINE = /[\x00-\x1f\x7f-\x9f\u2028\u2029\p{Cf}]|\p{Cs}/u;

const HOSTILE_PIECES = [
  "\x1b]0;title\x07",
  "\x1b]52;c;cHduZWQ=\x07",
  "\x1b[2J\x1b[H",
  "\x9b31m",
  "\x1bP+q\x1b\\",
  "\u202e",
  "\u202a\u202b\u202c\u202d",
  "\u2066\u2067\u2068\u2069",
  "\u200b\u200c\u200d\u200e\u200f\u061c\ufeff\u00ad",
  "\u{e0001}\u{e0041}",
  "\u2028\u2029",
  "\r",
  "\n",
  "\t",
  "\ud800",
  "\udfff",
  "ok",
  "é漢字🙂",
];

/** Strings mixing hostile pieces with arbitrary Unicode. */
const hostile = fc.array(
  fc.oneof(
    fc.constantFrom(...HOSTILE_PIECES),
    fc.string({ unit: "grapheme", maxLength: 8 }),
    fc.string({ unit: "binary", maxLength: 8 }),
  ),
  { maxLength: 12 },
).map((parts) => parts.join(""));

const RUNS = 300;
let inputs = 0;
const prop = <T>(arb: fc.Arbitrary<T>, check: (v: T) => void) =>
  fc.assert(
    fc.property(arb, (v) => {
      inputs++;
      check(v);
    }),
    { numRuns: RUNS },
  );

test("safeText lets no control, bidi or format character through, only tab and newline", () => {
  prop(hostile, (s) => {
    const out = safeText(s);
    assert.doesNotMatch(out, RAW);
    assert.equal(out.split("\n").length, s.split("\n").length, "newlines are kept");
  });
  assert.equal(safeText("a\u202eb"), "a\\u202eb");
  assert.equal(safeText("\x1b]0;x\x07"), "\\u001b]0;x\\u0007");
});

test("safeCell keeps a value on one line: a newline cannot forge a row", () => {
  prop(hostile, (s) => assert.doesNotMatch(safeCell(s), RAW_OR_NEWLINE));
  assert.equal(safeCell("a\nb"), "a\\u000ab");
});

test("cleanServerText is one line, capped, with no raw control or format character", () => {
  prop(fc.tuple(hostile, fc.integer({ min: 1, max: 400 })), ([s, max]) => {
    const out = cleanServerText(s, max);
    assert.doesNotMatch(out, RAW_OR_NEWLINE);
    assert.ok(out.length <= max + 1);
  });
});

test("a table has exactly one line per row whatever its cells hold", () => {
  prop(fc.array(fc.array(hostile, { minLength: 3, maxLength: 3 }), { maxLength: 5 }), (rows) => {
    const out = table(["A", "B", "C"], rows);
    assert.equal(out.split("\n").length, rows.length + 2);
    assert.doesNotMatch(out.replaceAll("\n", ""), RAW_OR_NEWLINE);
  });
});

test("JSON output escapes every unsafe character and keeps the value", () => {
  const value = fc.dictionary(hostile, fc.oneof(hostile, fc.array(hostile, { maxLength: 3 })), {
    maxKeys: 4,
  });
  prop(value, (v) => {
    const out = toJson(v);
    assert.doesNotMatch(out, RAW);
    assert.deepEqual(JSON.parse(out), JSON.parse(JSON.stringify(v)));
  });
  assert.equal(safeJson(JSON.stringify("\u202e")), '"\\u202e"');
});

test("YAML output escapes every unsafe character and keeps the value", async () => {
  const { parse } = await import("yaml");
  const samples = fc.sample(
    fc.dictionary(
      fc.string({ minLength: 1, maxLength: 6 }),
      fc.oneof(hostile, fc.array(hostile, { maxLength: 3 })),
      {
        maxKeys: 4,
      },
    ),
    { numRuns: 150 },
  );
  for (const v of samples) {
    inputs++;
    const out = await toYaml(v);
    assert.doesNotMatch(out, RAW);
    // Lone surrogates are not representable in YAML text: compare the well-formed values.
    const wellFormed = JSON.parse(JSON.stringify(v));
    if (!/\p{Cs}/u.test(JSON.stringify(v).replace(/\\u[0-9a-f]{4}/g, ""))) {
      assert.deepEqual(parse(out), wellFormed, out);
    }
  }
});

test("guardOutput neutralises everything written to stdout and stderr", () => {
  let out = "";
  let err = "";
  const io = guardOutput({
    out: (t: string) => void (out += t),
    err: (t: string) => void (err += t),
  });
  prop(hostile, (s) => {
    io.out(s);
    io.err(s);
  });
  assert.doesNotMatch(out, RAW);
  assert.doesNotMatch(err, RAW);
  tally({ suite: "fuzz/text", inputs });
});
