// @ts-nocheck -- plain JavaScript shared with the node script tests/fakes/bin/powershell.
// A fake `powershell` / `pwsh` for tests: runs nothing but pup's Credential Manager script
// (lib/store/keychain_windows_script.ts), emulating CredReadW/CredWriteW/CredDeleteW with one JSON
// file per credential in $PUP_FAKE_KEYCHAIN_DIR.
//
// - Only `-NoProfile -NonInteractive -EncodedCommand <base64 UTF-16LE>` is accepted, and the
//   decoded script must be pup's ("pup-wincred protocol 1"); anything else fails like a
//   PowerShell error (exit 1).
// - Requests on stdin, one a line: `get <account>`, `set <account> <base64 blob>`,
//   `del <account>`. One answer line per request on stdout (CRLF, as on Windows): the Win32
//   error code, `0 <base64 blob>` for a successful get. Exit 0 once every request is answered,
//   3 for a malformed request, 4 when Add-Type is blocked.
// - Target names are `pup:<account>` and case-insensitive, like TargetName. A blob over
//   CRED_MAX_CREDENTIAL_BLOB_SIZE (2,560 bytes) is refused with 87 (ERROR_INVALID_PARAMETER);
//   a missing credential is 1168 (ERROR_NOT_FOUND).
//
// Test controls: PUP_FAKE_ARGV_LOG=<file> appends one JSON line per call ({"tool","argv"});
// PUP_FAKE_HANG=1 hangs; PUP_FAKE_WINCRED_NO_LOGON=1 answers every request with 1312
// (ERROR_NO_SUCH_LOGON_SESSION, as over SSH/WinRM); PUP_FAKE_WINCRED_CLM=1 fails Add-Type as
// Constrained Language Mode does.
//
// This module is the whole fake: tests/fakes/bin/powershell (and pwsh) runs it as a program (for
// the tests that need a real process), and the unit tests call runPowerShell() in process
// through their Spawner (the same code, without a node start-up per call).
import { Buffer } from "node:buffer";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** Answers so far, one CRLF line each (what the script had written before it stopped). */
function crlf(answers) {
  return answers.map((a) => a + "\r\n").join("");
}

/** A run that stopped with `code` and `message` on stderr, after writing `answers`. */
function failed(code, message, answers = []) {
  return { code, stdout: crlf(answers), stderr: message + "\n" };
}

/**
 * Runs one PowerShell call: the program's name (`powershell` or `pwsh`, for the log), argv
 * without it, the environment (the test controls above) and stdin. Returns the exit code,
 * stdout and stderr; `hang: true` (with PUP_FAKE_HANG) means the real one would never answer.
 *
 * @param {{ tool: string, argv: string[], env: Record<string, string | undefined>, stdin?: string | Uint8Array }} call
 * @returns {{ code: number | null, stdout: string, stderr: string, hang?: boolean }}
 */
export function runPowerShell({ tool, argv, env, stdin = "" }) {
  if (env.PUP_FAKE_ARGV_LOG) {
    fs.appendFileSync(env.PUP_FAKE_ARGV_LOG, JSON.stringify({ tool, argv }) + "\n");
  }
  if (env.PUP_FAKE_HANG) return { hang: true, code: null, stdout: "", stderr: "" };
  const dir = env.PUP_FAKE_KEYCHAIN_DIR;
  if (!dir) return failed(1, "fake powershell: PUP_FAKE_KEYCHAIN_DIR is not set");

  let encoded;
  const seen = new Set();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i].toLowerCase();
    if (a === "-noprofile" || a === "-noninteractive") seen.add(a);
    else if (a === "-encodedcommand" || a === "-enc" || a === "-ec" || a === "-e") {
      encoded = argv[++i];
    } else {
      return failed(
        1,
        `fake powershell: unsupported argument ${argv[i]} (pup must use -EncodedCommand)`,
      );
    }
  }
  if (!seen.has("-noprofile") || !seen.has("-noninteractive")) {
    return failed(1, "fake powershell: pup must pass -NoProfile -NonInteractive");
  }
  if (encoded === undefined) return failed(1, "fake powershell: no -EncodedCommand");
  const script = Buffer.from(encoded, "base64").toString("utf16le");
  if (!script.includes("pup-wincred protocol 1") || !script.includes("CredWriteW")) {
    return failed(1, "fake powershell: the encoded command is not pup's Credential Manager script");
  }
  if (env.PUP_FAKE_WINCRED_CLM) {
    return failed(
      4,
      "pup-wincred: Add-Type failed: Cannot add type. Definition of new types is not supported in this language mode.",
    );
  }

  fs.mkdirSync(dir, { recursive: true });
  const fileOf = (target) =>
    path.join(
      dir,
      crypto.createHash("sha256").update(target.toLowerCase()).digest("hex") + ".json",
    );
  const ERROR_NOT_FOUND = 1168;
  const ERROR_NO_SUCH_LOGON_SESSION = 1312;
  const ERROR_INVALID_PARAMETER = 87;
  const noLogon = Boolean(env.PUP_FAKE_WINCRED_NO_LOGON);
  const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

  const input = typeof stdin === "string" ? stdin : Buffer.from(stdin).toString("utf8");
  const answers = [];
  for (const line of input.split(/\r?\n/)) {
    if (line === "") continue;
    const parts = line.split(" ");
    const [op, account] = parts;
    if (!account) return failed(3, "pup-wincred: malformed request", answers);
    const target = "pup:" + account;
    if (op === "get" && parts.length === 2) {
      if (noLogon) answers.push(String(ERROR_NO_SUCH_LOGON_SESSION));
      else if (!fs.existsSync(fileOf(target))) answers.push(String(ERROR_NOT_FOUND));
      else answers.push("0 " + JSON.parse(fs.readFileSync(fileOf(target), "utf8")).blob);
    } else if (op === "set" && parts.length === 3) {
      if (!base64.test(parts[2])) {
        return failed(1, 'Exception calling "FromBase64String": invalid', answers);
      }
      const blob = Buffer.from(parts[2], "base64");
      if (noLogon) answers.push(String(ERROR_NO_SUCH_LOGON_SESSION));
      else if (blob.length > 2560) answers.push(String(ERROR_INVALID_PARAMETER));
      else {
        const file = fileOf(target);
        fs.writeFileSync(
          file + ".tmp",
          JSON.stringify({ target, type: 1, persist: 2, userName: account, blob: parts[2] }),
        );
        fs.renameSync(file + ".tmp", file);
        answers.push("0");
      }
    } else if (op === "del" && parts.length === 2) {
      if (noLogon) answers.push(String(ERROR_NO_SUCH_LOGON_SESSION));
      else if (!fs.existsSync(fileOf(target))) answers.push(String(ERROR_NOT_FOUND));
      else {
        fs.rmSync(fileOf(target));
        answers.push("0");
      }
    } else return failed(3, "pup-wincred: malformed request", answers);
  }
  return { code: 0, stdout: crlf(answers), stderr: "" };
}
