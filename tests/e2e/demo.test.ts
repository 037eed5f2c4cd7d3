/**
 * @module
 * `npm run demo` (scripts/demo.ts) runs the compiled binary through a whole first session
 * against the fake Datadog and leaves nothing behind.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { NO_BINARY } from "../helpers.ts";
import { ROOT } from "../../scripts/build.ts";

const skip = NO_BINARY;

test("npm run demo logs in, lists, uses the token, logs out and removes its folder", {
  skip,
  timeout: 300_000,
}, async () => {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
  };
  const child = spawn(join(ROOT, "node_modules/.bin/bun"), ["scripts/demo.ts", "--no-build"], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c) => (out += c));
  child.stderr.on("data", (c) => (out += c));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(code, 0, out);
  const commands = [...out.matchAll(/^\$ pup (.+?)(?:\s+#.*)?$/gm)].map((m) => m[1]);
  assert.deepEqual(commands, [
    "--version",
    "auth login",
    "auth status",
    "auth list",
    "monitors list --limit 5",
    "auth token | head -c 8; echo",
    "auth logout",
    "auth status",
  ]);
  assert.match(out, /^pup \d+\.\d+\.\d+ \(([0-9a-f]{40}|unknown)\)$/m);
  assert.match(out, /✓ Logged in: the default session on 127\.0\.0\.1:\d+/);
  assert.match(out, /^ID\s+NAME\s+TYPE\s+STATE\s+TAGS$/m);
  assert.match(out, /\{"valid":true\}/);
  assert.match(out, /✓ Logged out/);
  assert.match(out, /✗ Not authenticated/);
  assert.match(out, /dist\/pup auth login --site datadoghq\.com/);
  // The token shows as its first 8 characters only.
  assert.doesNotMatch(out, /fake_at_\w/);
  const folder = /pup keeps its files in (\S+) \(removed at the end\)/.exec(out)?.[1];
  assert.ok(folder, out);
  assert.ok(!existsSync(folder), `${folder} is removed`);
  assert.ok(!existsSync(join(folder, "..")), "the whole temporary folder is removed");
});
