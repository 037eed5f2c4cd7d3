// @ts-nocheck -- plain JavaScript shared with the node script tests/fakes/bin/security.
// A fake macOS `/usr/bin/security` for tests: generic passwords only, kept as JSON files in
// $PUP_FAKE_KEYCHAIN_DIR. It reproduces what pup's backend must survive (KEYCHAINS.md §3.1,
// following Apple's SecurityTool sources `security_tool.c` and `readline.c`):
//
// - `security -i` reads commands from stdin with `readline(buffer, 4096)`: a line is cut after
//   4,095 bytes, the cut part runs as a command and the rest is read as the next command
//   (go-keyring#84); a final line without a newline is dropped; an empty line is a command that
//   succeeds; the process exits with the status of the LAST command (go-keyring#153); a failing
//   command prints "<name>: returned <n>" on stderr; the prompt is shown only on a TTY.
// - Lines are split like `split_line`: whitespace separates, an argument that starts with ' or
//   " runs to the matching quote, a backslash escapes the next character, at most 32 arguments.
// - Commands match by prefix; getopt-style options, clusters such as `-wa acct` included.
// - Exit 44 (errSecItemNotFound) for find/delete of a missing item, 45 for a duplicate add
//   without -U; `find-generic-password -w` prints a value with any byte outside 0x20-0x7e as
//   lowercase hex; add without -w stores an empty password.
//
// Test controls: PUP_FAKE_ARGV_LOG=<file> appends one JSON line per call
// ({"tool","argv","stdinLineBytes"}); PUP_FAKE_HANG=1 makes every call hang (for timeouts).
//
// This module is the whole fake: tests/fakes/bin/security runs it as a program (for the tests
// that need a real process: spawning, a missing program, a hang, a kill), and the unit tests
// call runSecurity() in process through their Spawner (the same code, without a node start-up
// per call).
import { Buffer } from "node:buffer";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * Runs one `security` call: argv without the program name, the environment (the test controls
 * above), stdin's bytes, and whether stdin is a terminal. Returns the exit code, stdout and
 * stderr; `hang: true` (with PUP_FAKE_HANG) means the real tool would never answer.
 *
 * @param {{ argv: string[], env: Record<string, string | undefined>, stdin?: string | Uint8Array, tty?: boolean }} call
 * @returns {{ code: number | null, stdout: string, stderr: string, hang?: boolean }}
 */
export function runSecurity({ argv, env, stdin = "", tty = false }) {
  const dir = env.PUP_FAKE_KEYCHAIN_DIR;
  const log = (entry) => {
    if (env.PUP_FAKE_ARGV_LOG) {
      fs.appendFileSync(
        env.PUP_FAKE_ARGV_LOG,
        JSON.stringify({ tool: "security", ...entry }) + "\n",
      );
    }
  };
  if (env.PUP_FAKE_HANG) {
    log({ argv });
    return { hang: true, code: null, stdout: "", stderr: "" };
  }
  if (!dir) {
    return { code: 1, stdout: "", stderr: "fake security: PUP_FAKE_KEYCHAIN_DIR is not set\n" };
  }
  fs.mkdirSync(dir, { recursive: true });

  const out = [];
  const err = [];
  const NOT_FOUND = 44;
  const DUPLICATE = 45;

  // ---- the keychain: one file per item ----
  const fileOf = (service, account) =>
    path.join(
      dir,
      crypto.createHash("sha256").update(`${service}\0${account}`).digest("hex") + ".json",
    );
  const read = (file) => {
    try {
      return JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
      if (e.code === "ENOENT") return null; // deleted by a concurrent call
      throw e;
    }
  };
  const items = () =>
    fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort()
      .map((f) => read(path.join(dir, f))).filter((it) => it !== null);
  const save = (item) => {
    const file = fileOf(item.service, item.account);
    fs.writeFileSync(file + ".tmp", JSON.stringify(item));
    fs.renameSync(file + ".tmp", file);
  };
  const matching = (opts) =>
    (opts.a !== undefined && opts.s !== undefined
      ? [read(fileOf(opts.s, opts.a))].filter((it) => it !== null)
      : items()).filter((it) =>
        (opts.a === undefined || it.account === opts.a) &&
        (opts.s === undefined || it.service === opts.s) &&
        (opts.l === undefined || it.label === opts.l)
      );
  const describe = (it) =>
    [
      'keychain: "/Users/fake/Library/Keychains/login.keychain-db"',
      "version: 512",
      'class: "genp"',
      "attributes:",
      `    0x00000007 <blob>="${it.label}"`,
      `    "acct"<blob>="${it.account}"`,
      `    "svce"<blob>="${it.service}"`,
      "",
    ].join("\n");
  const notFound = () => {
    err.push(
      "security: SecKeychainSearchCopyNext: The specified item could not be found in the keychain.\n",
    );
    return NOT_FOUND;
  };

  // ---- getopt(3), as the command procedures use it ----
  function getopt(args, optstring) {
    const opts = {};
    const flags = new Set();
    let i = 1;
    for (; i < args.length; i++) {
      const a = args[i];
      if (a === "--") {
        i++;
        break;
      }
      if (!a.startsWith("-") || a === "-") break;
      for (let j = 1; j < a.length; j++) {
        const c = a[j];
        const at = optstring.indexOf(c);
        if (at < 0) return { error: `illegal option -- ${c}` };
        if (optstring[at + 1] === ":") {
          let value = a.slice(j + 1);
          if (value === "") {
            if (i + 1 >= args.length) return { error: `option requires an argument -- ${c}` };
            value = args[++i];
          }
          opts[c] = value;
          break;
        }
        flags.add(c);
      }
    }
    return { opts, flags, rest: args.slice(i) };
  }

  // ---- commands ----
  function addGenericPassword(args) {
    // A bare trailing -w would prompt through readpassphrase(3); without a TTY the real tool
    // ends up storing an empty value, so the fake stores "" (KEYCHAINS.md §3.1).
    let bareW = false;
    if (args.length > 1 && args[args.length - 1] === "-w") {
      bareW = true;
      args = args.slice(0, -1);
    }
    const g = getopt(args, "a:c:C:D:G:j:l:r:s:w:UT:AX:");
    if (g.error) return usage("add-generic-password", g.error);
    const account = g.opts.a ?? "";
    const service = g.opts.s ?? "";
    let password = Buffer.alloc(0);
    if (g.opts.w !== undefined) password = Buffer.from(g.opts.w, "utf8");
    if (g.opts.X !== undefined) password = Buffer.from(g.opts.X, "hex");
    if (bareW) err.push("password data for new item: \n");
    const existing = fs.existsSync(fileOf(service, account));
    if (existing && !g.flags.has("U")) {
      err.push(
        "security: SecKeychainItemCreateFromContent (<default>): The specified item already exists in the keychain.\n",
      );
      return DUPLICATE;
    }
    const label = g.opts.l ??
      (existing ? JSON.parse(fs.readFileSync(fileOf(service, account), "utf8")).label : service);
    save({ service, account, label, password: password.toString("base64") });
    return 0;
  }

  function findGenericPassword(args) {
    const g = getopt(args, "a:c:C:D:G:j:l:r:s:gw");
    if (g.error) return usage("find-generic-password", g.error);
    const found = matching(g.opts)[0];
    if (!found) return notFound();
    const password = Buffer.from(found.password, "base64");
    if (g.flags.has("w")) {
      const printable = password.every((b) => b >= 0x20 && b <= 0x7e);
      out.push((printable ? password.toString("latin1") : password.toString("hex")) + "\n");
      return 0;
    }
    out.push(describe(found));
    if (g.flags.has("g")) err.push(`password: "${password.toString("utf8")}"\n`);
    return 0;
  }

  function deleteGenericPassword(args) {
    const g = getopt(args, "a:c:C:D:G:j:l:r:s:");
    if (g.error) return usage("delete-generic-password", g.error);
    const found = matching(g.opts)[0];
    if (!found) return notFound();
    try {
      fs.rmSync(fileOf(found.service, found.account));
    } catch (e) {
      if (e.code === "ENOENT") return notFound(); // a concurrent call deleted it first
      throw e;
    }
    out.push(describe(found) + "password has been deleted.\n");
    return 0;
  }

  function usage(name, problem) {
    err.push(`${name}: ${problem}\nUsage: ${name} [-a account] [-s service] ...\n`);
    return 2;
  }

  const commands = [
    ["help", () => 0],
    ["list-keychains", null],
    ["default-keychain", null],
    ["login-keychain", null],
    ["create-keychain", null],
    ["delete-keychain", null],
    ["lock-keychain", null],
    ["unlock-keychain", null],
    ["show-keychain-info", null],
    ["dump-keychain", null],
    ["add-generic-password", addGenericPassword],
    ["add-internet-password", null],
    ["find-generic-password", findGenericPassword],
    ["find-internet-password", null],
    ["delete-generic-password", deleteGenericPassword],
    ["delete-internet-password", null],
  ];

  function execute(args) {
    if (args.length === 0) return 0;
    const entry = commands.find(([name]) => name.startsWith(args[0]));
    if (!entry) {
      err.push(`security: unknown command "${args[0]}"\n`);
      return 1;
    }
    if (!entry[1]) {
      err.push(`fake security: ${entry[0]} is not emulated\n`);
      return 1;
    }
    return entry[1]([entry[0], ...args.slice(1)]);
  }

  // split_line() from security_tool.c, byte for byte.
  function splitLine(line) {
    const MAX_ARGS = 32;
    const isSpace = (c) => c === " " || (c >= "\t" && c <= "\r");
    const args = [];
    let state = "skip";
    let quote = "";
    let cur = "";
    for (const ch of line) {
      if (state === "skip") {
        if (isSpace(ch)) continue;
        if (ch === '"' || ch === "'") {
          quote = ch;
          state = "quoted";
          cur = "";
          continue;
        }
        state = "arg";
        cur = "";
      }
      if (state === "arg") {
        if (ch === "\\") {
          state = "arg-escaped";
          continue;
        } else if (isSpace(ch)) {
          args.push(cur);
          state = "skip";
          if (args.length >= MAX_ARGS) break;
        } else cur += ch;
      }
      if (state === "quoted") {
        if (ch === "\\") {
          state = "quoted-escaped";
          continue;
        }
        if (ch === quote) {
          args.push(cur);
          state = "skip";
          if (args.length >= MAX_ARGS) break;
        } else cur += ch;
        continue;
      }
      if (state === "arg-escaped") {
        cur += ch;
        state = "arg";
      } else if (state === "quoted-escaped") {
        cur += ch;
        state = "quoted";
      }
    }
    if (state !== "skip") args.push(cur);
    return args;
  }

  // ---- main ----
  let i = 0;
  let interactive = false;
  let quiet = false;
  for (; i < argv.length && argv[i].startsWith("-"); i++) {
    const a = argv[i];
    if (a === "-i") interactive = true;
    else if (a === "-q") quiet = true;
    else if (a === "-v" || a === "-l") continue;
    else if (a === "-p") {
      interactive = true;
      i++;
    } else {
      log({ argv });
      return { code: 2, stdout: "", stderr: `security: illegal option -- ${a.slice(1)}\n` };
    }
  }

  let result = 0;
  if (i < argv.length) {
    log({ argv });
    result = execute(argv.slice(i));
  } else if (interactive) {
    const input = Buffer.from(stdin);
    const lines = [];
    // readline(buffer, 4096): at most 4,095 bytes a call; the newline is consumed only when
    // it comes before the buffer is full; EOF before a newline drops what was read.
    let pos = 0;
    for (;;) {
      const start = pos;
      let end = -1;
      let n = 0;
      while (n < 4095 && pos < input.length) {
        if (input[pos] === 0x0a) {
          end = pos;
          pos++;
          break;
        }
        pos++;
        n++;
      }
      if (end < 0 && n < 4095) break; // EOF
      lines.push({ text: input.subarray(start, end < 0 ? pos : end), consumed: pos - start });
    }
    log({ argv, stdinLineBytes: lines.map((l) => l.consumed) });
    if (tty) err.push("security> ");
    for (const line of lines) {
      const args = splitLine(line.text.toString("latin1")).map((a) =>
        Buffer.from(a, "latin1").toString("utf8")
      );
      result = execute(args);
      if (result && !quiet) err.push(`${args[0]}: returned ${result}\n`);
    }
  } else {
    log({ argv });
    out.push("usage: security [-h] [-i] [-l] [-p prompt] [-q] [-v] [command] [opt ...]\n");
    result = 2;
  }
  return { code: result & 0xff, stdout: out.join(""), stderr: err.join("") };
}
