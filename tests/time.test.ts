import { test } from "node:test";
import assert from "node:assert/strict";
import { parseLimit, parseTime, timeRange } from "../lib/cli/flags.ts";
import { readTime, resolveTime } from "../lib/api/time.ts";
import { assertUsage } from "./assert_usage.ts";

const NOW = Date.parse("2024-05-01T12:00:00Z");

const usage = assertUsage;

test("now is the current time", () => {
  assert.equal(parseTime("now", "--to", NOW), NOW);
  assert.equal(parseTime(" NOW ", "--to", NOW), NOW);
});

test("durations mean that long ago in seconds, minutes, hours, days and weeks", () => {
  assert.equal(parseTime("30s", "--from", NOW), NOW - 30_000);
  assert.equal(parseTime("15m", "--from", NOW), NOW - 15 * 60_000);
  assert.equal(parseTime("2h", "--from", NOW), NOW - 2 * 3_600_000);
  assert.equal(parseTime("7d", "--from", NOW), NOW - 7 * 86_400_000);
  assert.equal(parseTime("1w", "--from", NOW), NOW - 7 * 86_400_000);
});

test("Datadog's now-15m form means the same as 15m", () => {
  assert.equal(parseTime("now-15m", "--from", NOW), NOW - 15 * 60_000);
  assert.equal(parseTime("now - 2h", "--from", NOW), NOW - 2 * 3_600_000);
});

test("digits are epoch seconds, and thirteen digits are epoch milliseconds", () => {
  assert.equal(parseTime("1714557600", "--from", NOW), 1714557600_000);
  assert.equal(parseTime("1714557600123", "--from", NOW), 1714557600123);
});

test("ISO 8601 dates and times are accepted, with UTC when no offset is given", () => {
  assert.equal(parseTime("2024-05-01", "--from", NOW), Date.parse("2024-05-01T00:00:00Z"));
  assert.equal(
    parseTime("2024-05-01T10:30:00Z", "--from", NOW),
    Date.parse("2024-05-01T10:30:00Z"),
  );
  assert.equal(parseTime("2024-05-01T10:30", "--from", NOW), Date.parse("2024-05-01T10:30:00Z"));
  assert.equal(
    parseTime("2024-05-01T12:30:00+02:00", "--from", NOW),
    Date.parse("2024-05-01T10:30:00Z"),
  );
  assert.equal(
    parseTime("2024-05-01T12:30:00.250+0200", "--from", NOW),
    Date.parse("2024-05-01T10:30:00.250Z"),
  );
});

test("a bad time is a usage error naming the flag, the value and the accepted forms", () => {
  for (const bad of ["yesterday", "15x", "-15m", "2024-13-01", "2024-02-31", "", "1.5h"]) {
    usage(
      () => parseTime(bad, "--from", NOW),
      new RegExp(
        `invalid --from "${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}".*expected now, a duration`,
      ),
    );
  }
  usage(() => parseTime("soon", "--to", NOW), /invalid --to "soon".*ISO 8601/);
});

test("a time range needs from before to", () => {
  assert.deepEqual(timeRange(undefined, undefined, "1h", NOW), { from: NOW - 3_600_000, to: NOW });
  assert.deepEqual(timeRange("2h", "1h", "1h", NOW), {
    from: NOW - 7_200_000,
    to: NOW - 3_600_000,
  });
  usage(() => timeRange("1h", "2h", "1h", NOW), /--from must be before --to/);
  usage(() => timeRange("now", undefined, "1h", NOW), /--from must be before --to/);
});

test("--limit must be a positive integer within the maximum", () => {
  assert.equal(parseLimit(undefined, 100, 1000), 100);
  assert.equal(parseLimit("20", 100, 1000), 20);
  for (const bad of ["0", "-1", "1.5", "ten", "", "1e3"]) {
    usage(() => parseLimit(bad, 100, 1000), /invalid --limit .*expected a positive integer/);
  }
  usage(() => parseLimit("1001", 100, 1000), /expected at most 1000/);
});

test("reading a time needs no clock: a duration stays relative until it is resolved", () => {
  assert.deepEqual(readTime("15m"), { agoMs: 15 * 60_000 });
  assert.deepEqual(readTime("now"), { agoMs: 0 });
  assert.deepEqual(readTime("1714557600"), { atMs: 1714557600_000 });
  assert.equal(resolveTime({ agoMs: 60_000 }, NOW), NOW - 60_000);
  assert.equal(resolveTime({ atMs: 5 }, NOW), 5);
});

test("a text that is no time says why, without naming any flag", () => {
  assert.equal(readTime("yesterday"), "unknown form");
  assert.equal(readTime("2024-02-31"), "no such date");
});

test("a bad time shows terminal escapes in the value inert", () => {
  usage(() => parseTime("\u001b[31mred", "--from", NOW), /invalid --from "\\u001b\[31mred"/);
});
