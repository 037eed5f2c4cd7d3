/**
 * @module
 * What the benchmark sets up in a temporary folder: the hello-world baseline binary, config
 * folders holding a session (written directly in the file-storage layout of CONTRACT §7) and
 * the logging `secret-tool` shim.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ClientCredentials, Token } from "../../lib/auth/types.ts";
import { siteKey } from "../../lib/store/state_store.ts";
import { BUILD_FLAGS } from "../build.ts";

/**
 * Compiles a hello-world program with pup's build flags (`BUILD_FLAGS` of scripts/build.ts)
 * into `dir`; returns the binary's path. It prints one line and exits, like `pup --version`.
 */
export function buildHello(bun: string, dir: string): string {
  const src = join(dir, "hello.ts");
  const out = join(dir, "hello");
  writeFileSync(src, 'console.log("hello, world");\n');
  const r = spawnSync(bun, ["build", src, ...BUILD_FLAGS, "--outfile", out], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`building the hello-world binary failed: ${r.stderr}`);
  return out;
}

/** A token payload as pup stores it, expiring `ttlSeconds` from now (negative: expired). */
export function tokenFor(
  issued: { access_token: string; refresh_token?: string; scope: string },
  ttlSeconds: number,
): Token {
  return {
    access_token: issued.access_token,
    refresh_token: issued.refresh_token,
    token_type: "Bearer",
    expires_in: Math.max(ttlSeconds, 0),
    expires_at: new Date(Date.now() + ttlSeconds * 1000).toISOString(),
    scope: issued.scope,
  };
}

/** Writes the default session of `site` into `dir` (0700; files 0600), as pup's file store. */
export function writeSession(
  dir: string,
  site: string,
  client: ClientCredentials,
  token: Token,
): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const put = (name: string, value: unknown) =>
    writeFileSync(join(dir, name), JSON.stringify(value, null, 2) + "\n", { mode: 0o600 });
  put(`client_${siteKey(site)}.json`, client);
  put(`tokens_${siteKey(site)}.json`, { __default__: token });
  put("sessions.json", [{ site, org: null }]);
}

/** Writes a `secret-tool` that logs its verb to `$PUP_BENCH_SECRET_LOG` and runs the real one. */
export function writeSecretToolShim(dir: string, real: string): string {
  const bin = join(dir, "shim-bin");
  mkdirSync(bin, { recursive: true });
  const path = join(bin, "secret-tool");
  writeFileSync(path, `#!/bin/sh\necho "$1" >> "$PUP_BENCH_SECRET_LOG"\nexec ${real} "$@"\n`);
  chmodSync(path, 0o755);
  return bin;
}

/** Where a program is on PATH, or null. */
export function which(name: string): string | null {
  const r = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Facts about this machine for the report. */
export function machine(): { nproc: number; cpu: string; ramGiB: number; os: string } {
  const text = (cmd: string) => spawnSync("sh", ["-c", cmd], { encoding: "utf8" }).stdout.trim();
  const cpu = text("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-") || text("uname -m");
  const memKb = Number(text("grep -m1 MemTotal /proc/meminfo | tr -dc 0-9")) || 0;
  return {
    nproc: Number(text("nproc")) || 0,
    cpu: cpu.trim(),
    ramGiB: Math.round(memKb / 1024 / 1024 * 10) / 10,
    os: text("uname -sr"),
  };
}
