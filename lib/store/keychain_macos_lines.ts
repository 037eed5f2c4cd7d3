/**
 * @module
 * The command lines pup sends to macOS `security -i` (lib/store/keychain_macos.ts): how they are
 * quoted, measured and how a value is encoded in them.
 *
 * `security -i` reads a line with `readline(buffer, 4096)`: at most 4,095 bytes. A longer
 * line is cut, the cut part runs (storing a truncated value) and the rest runs as another
 * command (go-keyring#84). So {@link MAC_MAX_VALUE_BYTES} leaves room for base64 growth, the
 * command and the account, and every line is measured before it is sent.
 *
 * Values are stored base64-encoded behind `pup-base64:`: `find-generic-password -w` prints a
 * value with any unprintable byte as hex, which would not read back as written.
 */
import { Buffer } from "node:buffer";
import { PupError } from "../errors.ts";
import { checkAccount } from "./keychain_tool.ts";
import { SERVICE } from "./secret_store.ts";

/** The longest command line, newline included, that `security -i` reads in one piece. */
export const MAC_LINE_LIMIT = 4095;
/**
 * The largest value stored whole. Base64 makes 2,200 bytes 2,936 characters; with the command
 * (~60 bytes) and an account of up to ~270 bytes written three times (account, label and the
 * value's tag) a line stays below {@link MAC_LINE_LIMIT}. Larger values are sharded.
 */
export const MAC_MAX_VALUE_BYTES = 2200;
/** Marks a stored value as base64 (go-keyring uses `go-keyring-base64:` the same way). */
export const MAC_VALUE_PREFIX = "pup-base64:";
/**
 * Marks a value tagged with its account, `pup-item:<account>:<base64>`: what pup writes now, so
 * that one `security -i` session can look up many items and tell whose value each line is.
 */
export const MAC_TAGGED_PREFIX = "pup-item:";

/** The `add-generic-password` line that stores `value`, tagged with its account. */
export function macAddLine(account: string, value: string): string {
  const encoded = `${MAC_TAGGED_PREFIX}${account}:${Buffer.from(value, "utf8").toString("base64")}`;
  return macCommandLine(
    "add-generic-password",
    ["-U", "-s", SERVICE, "-a", checkAccount(account), "-l", `pup: ${account}`, "-w", encoded],
  );
}

/** The `find-generic-password` line that prints `account`'s value. */
export function macFindLine(account: string): string {
  return macCommandLine("find-generic-password", [
    "-s",
    SERVICE,
    "-a",
    checkAccount(account),
    "-w",
  ]);
}

/**
 * One `security -i` command line, newline included. Arguments are quoted the way
 * `split_line()` in `security_tool.c` reads them: a `"` at the start of an argument runs to
 * the next unescaped `"`, and a backslash escapes the character after it (even inside quotes,
 * so the POSIX `'"'"'` trick does not work here).
 *
 * @example
 * macCommandLine("delete-generic-password", ["-s", "pup", "-a", "a b"]);
 * // 'delete-generic-password -s pup -a "a b"\n'
 */
export function macCommandLine(command: string, args: string[]): string {
  return [command, ...args].map(quoteMacArg).join(" ") + "\n";
}

function quoteMacArg(arg: string): string {
  if (/[\n\0]/.test(arg)) {
    // readline() ends the command at a newline; a NUL ends the C string.
    throw new PupError("keychain", "cannot pass a newline or NUL to security -i");
  }
  if (/^[A-Za-z0-9@%+=:,./_-]+$/.test(arg)) return arg;
  return `"${arg.replace(/[\\"]/g, "\\$&")}"`;
}

/**
 * Decodes what `find-generic-password -w` printed: one trailing newline dropped, then the
 * base64 behind {@link MAC_VALUE_PREFIX}; a value without the prefix is returned as printed.
 */
export function decodeMacValue(printed: string, account: string): string {
  const line = printed.endsWith("\n") ? printed.slice(0, -1) : printed;
  const tagged = /^pup-item:[^:\s]+:/.exec(line);
  const text = tagged ? MAC_VALUE_PREFIX + line.slice(tagged[0].length) : line;
  if (!text.startsWith(MAC_VALUE_PREFIX)) return text;
  const b64 = text.slice(MAC_VALUE_PREFIX.length);
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b64)) {
    throw new PupError(
      "corrupt_file",
      `keychain item "${account}" (service "${SERVICE}") should hold base64 after "${MAC_VALUE_PREFIX}", found ${b64.length} characters that are not base64`,
      { hint: "run 'pup auth logout' to remove it, then 'pup auth login' again" },
    );
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(b64, "base64"));
  } catch (err) {
    throw new PupError(
      "corrupt_file",
      `keychain item "${account}" (service "${SERVICE}") should hold UTF-8 text, found other bytes`,
      { cause: err, hint: "run 'pup auth logout' to remove it, then 'pup auth login' again" },
    );
  }
}

/** Refuses a line `security -i` would cut (go-keyring#84), before anything runs. */
export function checkMacLine(line: string, program: string): void {
  const bytes = Buffer.byteLength(line, "utf8");
  if (bytes > MAC_LINE_LIMIT) {
    throw new PupError(
      "keychain",
      `cannot send ${
        line.split(" ")[0]
      } to ${program} -i: expected a command line of at most ${MAC_LINE_LIMIT} bytes, found ${bytes}`,
      {
        hint: "use a shorter site name, or set DD_TOKEN_STORAGE=file to store tokens in files",
      },
    );
  }
}
