/**
 * The one output path (issue 9): the runner neutralises every write, and pup's own terminal
 * control passes only as a `Control` built by lib/text.ts — never as text.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { guardOutput } from "../lib/cli/output.ts";
import {
  CARRIAGE_RETURN,
  CLEAR_LINE,
  type Control,
  isControl,
  LINK_END,
  linkStart,
  writeErr,
} from "../lib/text.ts";
import { runPup, testDeps } from "./helpers.ts";

function captured() {
  const seen = { out: "", err: "" };
  const io = guardOutput({
    out: (t: string) => void (seen.out += t),
    err: (t: string) => void (seen.err += t),
  });
  return { io, seen };
}

test("the runner installs the output guard: a hostile version string reaches stdout escaped", async () => {
  const deps = testDeps({ HOME: "/nonexistent" });
  deps.version = "1.0\x1b]0;pwned\x07\u202e";
  const r = await runPup(["--version"], deps);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, "pup 1.0\\u001b]0;pwned\\u0007\\u202e\n");
});

test("text is neutralised even when it spells pup's own sequences; built controls pass raw", () => {
  const { io, seen } = captured();
  io.err("\r\x1b[2K");
  writeErr(io, [CLEAR_LINE, "a\x1b[31m", CARRIAGE_RETURN]);
  assert.equal(seen.err, "\\u000d\\u001b[2K\r\x1b[2Ka\\u001b[31m\r");
});

test("a look-alike object is not a control: the guard shows it as text", () => {
  const { io, seen } = captured();
  const fake = { sequence: "\x1b]52;c;ZXZpbA==\x07" } as Control;
  assert.equal(isControl(fake), false);
  assert.equal(isControl(CLEAR_LINE), true);
  io.errControl(fake);
  writeErr(io, [fake]);
  assert.ok(!seen.err.includes("\x1b"), JSON.stringify(seen.err));
  assert.ok(Object.isFrozen(CLEAR_LINE));
});

test("an OSC 8 link is made only for an http(s) URL of printable ASCII", () => {
  const url = "https://app.datadoghq.com/oauth2/v1/authorize?client_id=a&state=b";
  assert.equal(linkStart(url)?.sequence, `\x1b]8;;${url}\x1b\\`);
  for (
    const bad of [
      "https://x.test/\x1b\\\x1b]0;pwned\x07",
      "https://x.test/\x07",
      "https://x.test/a b",
      "https://x.test/\u202e",
      "javascript:alert(1)",
      "file:///etc/passwd",
      "",
    ]
  ) {
    assert.equal(linkStart(bad), null, JSON.stringify(bad));
  }
  const { io, seen } = captured();
  writeErr(io, [linkStart(url)!, url, LINK_END]);
  assert.equal(seen.err, `\x1b]8;;${url}\x1b\\${url}\x1b]8;;\x1b\\`);
});

test("without a guard, writeErr writes a control's sequence through err", () => {
  let err = "";
  writeErr({ err: (t) => void (err += t) }, [CLEAR_LINE, "x"]);
  assert.equal(err, "\r\x1b[2Kx");
});

test("the guard passes every other field through live: TTY getters are asked only when read", () => {
  let asked = 0;
  const io = {
    out: (_t: string) => {},
    err: (_t: string) => {},
    get stderrIsTTY() {
      asked++;
      return true;
    },
    stdoutIsTTY: false,
  };
  const guarded = guardOutput(io);
  assert.equal(asked, 0);
  assert.equal(guarded.stderrIsTTY, true);
  assert.equal(asked, 1);
  io.stdoutIsTTY = true;
  assert.equal(guarded.stdoutIsTTY, true);
  guarded.stdoutIsTTY = false;
  assert.equal(io.stdoutIsTTY, false);
});
