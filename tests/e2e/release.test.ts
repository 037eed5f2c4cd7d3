/**
 * @module
 * End to end: what `npm run release` leaves in dist/ (issue 12). The release is built once and
 * shared (scripts/release.ts `ensureRelease`: built when dist/release.json is missing or from
 * another commit). Archives are unpacked with the system's `tar` and a zip reader written here,
 * not with the code that wrote them; binaries are judged by their headers (ELF machine and
 * interpreter, Mach-O CPU type, PE machine); the linux-x64 binary runs in a container-like
 * sandbox, the linux-arm64 one under qemu-user, and the npm packages are packed and installed
 * offline.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inflateRawSync } from "node:zlib";
import { startFakeDatadog } from "../fakes/datadog.ts";
import { seedSession, tempDir, withTempDir } from "../helpers.ts";
import { gitCommit, ROOT, type Target, TARGETS } from "../../scripts/build.ts";
import { archiveName, ensureRelease, type ReleaseManifest } from "../../scripts/release.ts";
import { platformPackageName } from "../../scripts/npm_packages.ts";

const DIST = join(ROOT, "dist");
const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
const version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version as string;
// Built while the module loads, not in a hook: a first build takes 45 s to a few minutes, and
// no test runner's per-test or per-hook timeout applies to module evaluation.
const manifest: ReleaseManifest = ensureRelease();

/** The files of a zip, read from its central directory (independently of scripts/archive.ts). */
function unzip(bytes: Uint8Array): Map<string, { data: Uint8Array; mode: number }> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = bytes.length - 22;
  while (end >= 0 && view.getUint32(end, true) !== 0x06054b50) end--;
  assert.ok(end >= 0, "the zip has an end of central directory record");
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const out = new Map<string, { data: Uint8Array; mode: number }>();
  for (let i = 0; i < count; i++) {
    assert.equal(view.getUint32(at, true), 0x02014b50, "a central directory entry");
    const method = view.getUint16(at + 10, true);
    const size = view.getUint32(at + 24, true);
    const packed = view.getUint32(at + 20, true);
    const nameLen = view.getUint16(at + 28, true);
    const extraLen = view.getUint16(at + 30, true);
    const commentLen = view.getUint16(at + 32, true);
    const mode = view.getUint32(at + 38, true) >>> 16;
    const local = view.getUint32(at + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLen));
    assert.equal(view.getUint32(local, true), 0x04034b50, `${name}: a local header`);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const raw = bytes.subarray(start, start + packed);
    const data = method === 8 ? new Uint8Array(inflateRawSync(raw)) : raw;
    assert.equal(data.length, size, `${name}: its size`);
    out.set(name, { data, mode });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** What a binary's header says it is. */
function binaryKind(b: Uint8Array): { format: string; cpu: string; interpreter?: string } {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46) {
    assert.equal(b[4], 2, "a 64-bit ELF");
    const machine = v.getUint16(18, true);
    const phoff = Number(v.getBigUint64(32, true));
    const phentsize = v.getUint16(54, true);
    const phnum = v.getUint16(56, true);
    let interpreter: string | undefined;
    for (let i = 0; i < phnum; i++) {
      const ph = phoff + i * phentsize;
      if (v.getUint32(ph, true) !== 3) continue; // PT_INTERP
      const off = Number(v.getBigUint64(ph + 8, true));
      const size = Number(v.getBigUint64(ph + 32, true));
      interpreter = new TextDecoder().decode(b.subarray(off, off + size)).replace(/\0+$/, "");
    }
    const cpu = machine === 62 ? "x86-64" : machine === 183 ? "aarch64" : `machine ${machine}`;
    return { format: "ELF", cpu, interpreter };
  }
  if (v.getUint32(0, true) === 0xfeedfacf) {
    const type = v.getUint32(4, true);
    const cpu = type === 0x01000007 ? "x86_64" : type === 0x0100000c ? "arm64" : `cputype ${type}`;
    return { format: "Mach-O", cpu };
  }
  if (b[0] === 0x4d && b[1] === 0x5a) {
    const pe = v.getUint32(0x3c, true);
    assert.equal(v.getUint32(pe, false), 0x50450000, "a PE signature");
    const machine = v.getUint16(pe + 4, true);
    return { format: "PE", cpu: machine === 0x8664 ? "x86-64" : `machine ${machine}` };
  }
  return { format: "unknown", cpu: "unknown" };
}

const EXPECTED: Record<string, { format: string; cpu: string }> = {
  "linux-x64": { format: "ELF", cpu: "x86-64" },
  "linux-arm64": { format: "ELF", cpu: "aarch64" },
  "linux-x64-musl": { format: "ELF", cpu: "x86-64" },
  "linux-arm64-musl": { format: "ELF", cpu: "aarch64" },
  "darwin-x64": { format: "Mach-O", cpu: "x86_64" },
  "darwin-arm64": { format: "Mach-O", cpu: "arm64" },
  "windows-x64": { format: "PE", cpu: "x86-64" },
};

/** Unpacks a target's archive into a fresh folder; returns the folder and its file names. */
async function unpack(
  t: Target,
): Promise<{ dir: string; files: string[]; remove(): Promise<void> }> {
  const tmp = await tempDir(`pup-release-${t.name}-`);
  const archive = join(DIST, archiveName(version, t));
  if (t.os === "windows") {
    for (const [name, { data }] of unzip(readFileSync(archive))) {
      writeFileSync(join(tmp.path, name), data);
    }
    if (has("unzip")) {
      const r = spawnSync("unzip", ["-tq", archive], { encoding: "utf8" });
      assert.equal(r.status, 0, `unzip -t ${archive}: ${r.stdout}${r.stderr}`);
    }
  } else {
    const r = spawnSync("tar", ["-xzf", archive, "-C", tmp.path], { encoding: "utf8" });
    assert.equal(r.status, 0, `tar -xzf ${archive}: ${r.stderr}`);
  }
  return { dir: tmp.path, files: readdirSync(tmp.path).sort(), remove: tmp.remove };
}

test("the release has one archive per target and SHA256SUMS covers each, in sha256sum -c format", {
  timeout: 300_000,
}, () => {
  assert.equal(manifest.version, version);
  assert.equal(manifest.commit, gitCommit());
  const sums = readFileSync(join(DIST, "SHA256SUMS"), "utf8");
  const lines = sums.trimEnd().split("\n");
  assert.deepEqual(
    lines.map((l) => l.split("  ")[1]).sort(),
    TARGETS.map((t) => archiveName(version, t)).sort(),
  );
  assert.deepEqual(
    TARGETS.map((t) => archiveName(version, t)),
    [
      `pup-${version}-linux-x64.tar.gz`,
      `pup-${version}-linux-arm64.tar.gz`,
      `pup-${version}-linux-x64-musl.tar.gz`,
      `pup-${version}-linux-arm64-musl.tar.gz`,
      `pup-${version}-darwin-x64.tar.gz`,
      `pup-${version}-darwin-arm64.tar.gz`,
      `pup-${version}-windows-x64.zip`,
    ],
  );
  for (const line of lines) {
    const m = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line);
    assert.ok(m, `a sha256sum line: ${line}`);
    const digest = createHash("sha256").update(readFileSync(join(DIST, m[2]))).digest("hex");
    assert.equal(digest, m[1], `${m[2]}'s checksum`);
  }
  if (has("sha256sum")) {
    const r = spawnSync("sha256sum", ["-c", "SHA256SUMS"], { cwd: DIST, encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  }
});

test(
  "each archive holds its binary, README.md and LICENSE; each binary has its target's format and CPU",
  {
    timeout: 300_000,
  },
  async () => {
    const readme = readFileSync(join(ROOT, "README.md"));
    const license = readFileSync(join(ROOT, "LICENSE"));
    assert.match(license.toString(), /Apache License\s+Version 2\.0, January 2004/);
    for (const t of TARGETS) {
      const u = await unpack(t);
      try {
        assert.deepEqual(u.files, [t.exe, "LICENSE", "README.md"].sort(), t.name);
        assert.ok(readFileSync(join(u.dir, "README.md")).equals(readme), `${t.name}: README.md`);
        assert.ok(readFileSync(join(u.dir, "LICENSE")).equals(license), `${t.name}: LICENSE`);
        const kind = binaryKind(readFileSync(join(u.dir, t.exe)));
        assert.deepEqual({ format: kind.format, cpu: kind.cpu }, EXPECTED[t.name], t.name);
        if (t.os === "linux") {
          if (t.libc === "musl") {
            assert.match(
              kind.interpreter ?? "",
              /^\/lib\/ld-musl-(x86_64|aarch64)\.so\.1$/,
              t.name,
            );
          } else {
            assert.ok(kind.interpreter, `${t.name} asks for a loader`);
            assert.doesNotMatch(kind.interpreter!, /musl/, t.name);
          }
        }
      } finally {
        await u.remove();
      }
    }
  },
);

test("the linux-x64 archive's binary prints the version with the commit it was built from", async () => {
  const u = await unpack(TARGETS[0]);
  try {
    const r = spawnSync(join(u.dir, "pup"), ["--version"], { encoding: "utf8", env: {} });
    assert.equal(r.status, 0, r.stderr);
    const commit = gitCommit();
    assert.match(commit, /^[0-9a-f]{40}$/, "the tests run in a git checkout");
    assert.equal(r.stdout, `pup ${version} (${commit})\n`);
  } finally {
    await u.remove();
  }
});

const QEMU_ROOT = "/usr/aarch64-linux-gnu";
const qemuSkip = !has("qemu-aarch64")
  ? "qemu-aarch64 is missing (apt-get install -y qemu-user libc6-arm64-cross)"
  : !existsSync(join(QEMU_ROOT, "lib/ld-linux-aarch64.so.1"))
  ? `${QEMU_ROOT} has no aarch64 loader (apt-get install -y libc6-arm64-cross)`
  : false;

test("the linux-arm64 binary runs under qemu-user: --version and auth status with file storage", {
  skip: qemuSkip,
  timeout: 300_000,
}, async () => {
  const u = await unpack(TARGETS[1]);
  const fake = await startFakeDatadog();
  const cfg = await tempDir("pup-release-qemu-");
  try {
    const run = (args: string[]) =>
      spawnSync("qemu-aarch64", ["-L", QEMU_ROOT, join(u.dir, "pup"), ...args], {
        encoding: "utf8",
        timeout: 120_000,
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          HOME: cfg.path,
          DD_SITE: fake.site,
          PUP_TRUST_SITE: "1",
          PUP_CONFIG_DIR: cfg.path,
          DD_TOKEN_STORAGE: "file",
        },
      });
    const v = run(["--version"]);
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stdout, `pup ${version} (${gitCommit()})\n`);

    const out = run(["auth", "status"]);
    assert.equal(out.status, 4, out.stdout + out.stderr);
    assert.match(out.stdout + out.stderr, /Not authenticated/);

    await seedSession(cfg.path, fake.site, fake.issueTokens({ ttlSeconds: 3600 }));
    const s = run(["auth", "status", "-o", "json"]);
    assert.equal(s.status, 0, s.stderr);
    const status = JSON.parse(s.stdout);
    assert.equal(status.site, fake.site);
    assert.equal(status.token_storage, "file");
  } finally {
    await fake.close();
    await cfg.remove();
    await u.remove();
  }
});

const sandboxSkip = process.getuid?.() !== 0
  ? "needs root (unshare -m and a read-only bind mount)"
  : spawnSync("unshare", ["-m", "true"]).status !== 0
  ? "unshare -m does not work here"
  : false;

test(
  "in a container-like sandbox (env -i, no D-Bus, no keychain tools, read-only root) the linux-x64 binary logs in with --no-browser to file storage after one warning",
  {
    skip: sandboxSkip,
  },
  async () => {
    const u = await unpack(TARGETS[0]);
    const fake = await startFakeDatadog();
    const home = await tempDir("pup-release-container-");
    try {
      mkdirSync(join(home.path, "bin"));
      // The config folder is the only writable place: a bind mount of itself that stays
      // read-write when the root is made read-only under it. PATH holds no secret-tool, security
      // or powershell, and nothing names a D-Bus session.
      const script = [
        "set -e",
        `mount --bind "$HOME" "$HOME"`,
        "mount -o remount,bind,ro /",
        `if touch /pup-rw-probe 2>/dev/null; then echo "the root is writable" >&2; exit 99; fi`,
        `exec env -i HOME="$HOME" PATH="$HOME/bin" DD_SITE="$SITE" PUP_TRUST_SITE=1 "$PUP" "$@"`,
      ].join("\n");
      const sandbox = (args: string[]) =>
        spawn("unshare", ["-m", "--propagation", "private", "sh", "-c", script, "sh", ...args], {
          env: { HOME: home.path, SITE: fake.site, PUP: join(u.dir, "pup"), PATH: "/usr/bin:/bin" },
        });
      const login = sandbox(["auth", "login", "--no-browser", "--timeout", "60"]);
      let stderr = "";
      let stdout = "";
      login.stdout.on("data", (c) => (stdout += c));
      let visited = false;
      const exited = new Promise<number | null>((resolve) => login.on("close", resolve));
      login.stderr.on("data", (c) => {
        stderr += c;
        const url = /^\s+(http:\/\/127\.0\.0\.1:\d+\/oauth2\/\S+)$/m.exec(stderr)?.[1];
        if (url && !visited) {
          visited = true;
          // The user's browser, on another machine or this one: it reaches the loopback callback.
          fetch(url, { redirect: "follow" }).then((r) => r.body?.cancel(), () => {});
        }
      });
      const code = await exited;
      login.stdin.end();
      assert.equal(code, 0, stdout + stderr);
      const warnings = stderr.split("\n").filter((l) => l.includes("⚠️"));
      assert.equal(warnings.length, 1, stderr);
      assert.match(warnings[0], /No OS keychain available .*plain files under .*\.config\/pup/);
      assert.ok(
        existsSync(join(home.path, ".config/pup/sessions.json")),
        "the session is in files",
      );
      assert.ok(
        readdirSync(join(home.path, ".config/pup")).some((f) => /^tokens_.*\.json$/.test(f)),
        "the tokens are in a file",
      );

      const status = sandbox(["auth", "status", "-o", "json"]);
      let out = "";
      let err = "";
      status.stdout.on("data", (c) => (out += c));
      status.stderr.on("data", (c) => (err += c));
      const statusCode = await new Promise<number | null>((resolve) => status.on("close", resolve));
      assert.equal(statusCode, 0, err);
      assert.equal(JSON.parse(out).token_storage, "file");
      assert.equal(err.split("\n").filter((l) => l.includes("⚠️")).length, 1, err);
    } finally {
      await fake.close();
      await home.remove();
      await u.remove();
    }
  },
);

const npmSkip = has("npm") ? false : "npm is not on PATH";

test("the npm packages install offline from their tarballs and run pup through the installed bin", {
  skip: npmSkip,
  timeout: 600_000,
}, async () => {
  const here = TARGETS.find((t) =>
    t.os === "linux" && t.arch === (process.arch === "arm64" ? "arm64" : "x64") &&
    t.libc === "glibc"
  )!;
  return await withTempDir((tmp) => {
    const packs = join(tmp.path, "packs");
    mkdirSync(packs);
    const main = JSON.parse(readFileSync(join(DIST, "npm/pup/package.json"), "utf8"));
    assert.equal(main.name, "@pup-cli/pup");
    assert.equal(main.version, version);
    assert.deepEqual(main.bin, { pup: "bin/pup.js" });
    assert.deepEqual(
      Object.keys(main.optionalDependencies).sort(),
      TARGETS.map(platformPackageName).sort(),
    );
    for (const t of TARGETS) {
      const pkg = JSON.parse(readFileSync(join(DIST, `npm/pup-${t.name}/package.json`), "utf8"));
      assert.equal(pkg.name, platformPackageName(t));
      assert.equal(main.optionalDependencies[pkg.name], version);
      assert.deepEqual(pkg.os, [t.os === "windows" ? "win32" : t.os]);
      assert.deepEqual(pkg.cpu, [t.arch]);
      if (t.libc) assert.deepEqual(pkg.libc, [t.libc]);
      assert.ok(existsSync(join(DIST, `npm/pup-${t.name}/bin/${t.exe}`)), `${t.name}'s binary`);
    }
    const npmEnv = {
      ...process.env,
      npm_config_cache: join(tmp.path, "cache"),
      npm_config_update_notifier: "false",
    };
    const npm = (args: string[], cwd: string) => {
      const r = spawnSync("npm", args, { cwd, encoding: "utf8", env: npmEnv, timeout: 300_000 });
      assert.equal(r.status, 0, `npm ${args.join(" ")}: ${r.stdout}${r.stderr}`);
      return r.stdout;
    };
    for (const t of TARGETS) npm(["pack", "--silent", join(DIST, `npm/pup-${t.name}`)], packs);
    npm(["pack", "--silent", join(DIST, "npm/pup")], packs);
    const tarballs = readdirSync(packs).sort();
    assert.equal(tarballs.length, TARGETS.length + 1, tarballs.join(" "));

    // Into a global prefix, offline: only the main tarball and this platform's.
    const prefix = join(tmp.path, "prefix");
    npm([
      "install",
      "--global",
      "--prefix",
      prefix,
      "--offline",
      "--no-audit",
      "--no-fund",
      join(packs, `pup-cli-pup-${here.name}-${version}.tgz`),
      join(packs, `pup-cli-pup-${version}.tgz`),
    ], tmp.path);
    const pup = join(prefix, "bin", "pup");
    const r = spawnSync(pup, ["--version"], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `pup ${version} (${gitCommit()})\n`);

    // Without the platform package the launcher says what is missing and how to get it.
    const bare = join(tmp.path, "bare");
    npm([
      "install",
      "--global",
      "--prefix",
      bare,
      "--offline",
      "--no-audit",
      "--no-fund",
      join(packs, `pup-cli-pup-${version}.tgz`),
    ], tmp.path);
    const missing = spawnSync(join(bare, "bin", "pup"), ["--version"], { encoding: "utf8" });
    assert.equal(missing.status, 1);
    assert.equal(missing.stdout, "");
    assert.match(missing.stderr, new RegExp(`@pup-cli/pup-${here.name}(?![-\\w])`));
    assert.match(missing.stderr, /npm install -g @pup-cli\/pup/);
  }, "pup-release-npm-");
});
