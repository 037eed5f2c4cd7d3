/**
 * @module
 * End to end: scripts/install.sh, run by `dash` (Debian's POSIX /bin/sh, or `sh`), installs
 * pup from a loopback HTTP server that serves the release in dist/ (built once by
 * scripts/release.ts `ensureRelease`), and a corrupted archive installs nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { runProgram, withTempDir } from "../helpers.ts";
import { gitCommit, ROOT } from "../../scripts/build.ts";
import { ensureRelease } from "../../scripts/release.ts";
import { tarGz } from "../../scripts/archive.ts";
import { createHash } from "node:crypto";

const DIST = join(ROOT, "dist");
const INSTALL_SH = join(ROOT, "scripts/install.sh");
const version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version as string;
const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
const SHELL = has("dash") ? "dash" : "sh";
const skip = process.platform !== "linux" || process.arch !== "x64"
  ? "the installer test serves the linux-x64 archive"
  : false;

// Built while the module loads (see tests/e2e/release.test.ts): no timeout applies there.
if (!skip) ensureRelease();

/** Serves `files` (name → bytes) on 127.0.0.1; a 404 for anything else. */
async function serve(files: Map<string, Uint8Array>): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? "/").slice(1));
    const body = files.get(name);
    if (!body) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-length": String(body.length) }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, server };
}

function releaseFiles(): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const f of readdirSync(DIST)) {
    if (f === "SHA256SUMS" || /^pup-.*\.(tar\.gz|zip)$/.test(f)) {
      files.set(f, readFileSync(join(DIST, f)));
    }
  }
  return files;
}

function install(env: Record<string, string>) {
  return runProgram(SHELL, [INSTALL_SH], { env });
}

/**
 * Serves `files` and runs `fn` with their URL and a fresh home folder (`prefix`); stops the
 * server and removes the folder afterwards.
 */
async function withServedHome(
  files: Map<string, Uint8Array>,
  prefix: string,
  fn: (url: string, home: string) => Promise<void>,
): Promise<void> {
  const { url, server } = await serve(files);
  try {
    await withTempDir((home) => fn(url, home.path), prefix);
  } finally {
    server.close();
  }
}

/** The pup installed before the test (a script), so a test can see it is left as it was. */
const OLD_PUP = "#!/bin/sh\necho old pup\n";

/** `bin` in `home` with {@link OLD_PUP} in it; returns the folder. */
function placeOldPup(home: string): string {
  const dir = join(home, "bin");
  mkdirSync(dir);
  writeFileSync(join(dir, "pup"), OLD_PUP, { mode: 0o755 });
  return dir;
}

/** install.sh from `url` into `dir`, with `home` as HOME and a minimal PATH. */
function installInto(url: string, home: string, dir: string) {
  return install({
    HOME: home,
    PATH: "/usr/bin:/bin",
    PUP_INSTALL_BASE_URL: url,
    PUP_INSTALL_DIR: dir,
  });
}

test(
  "install.sh installs the verified archive for this machine into PUP_INSTALL_DIR and says how to reach it",
  {
    skip,
  },
  () =>
    withServedHome(releaseFiles(), "pup-install-", async (url, home) => {
      const env = { HOME: home, PATH: "/usr/bin:/bin", PUP_INSTALL_BASE_URL: url };
      // The default folder, ~/.local/bin, and the latest version SHA256SUMS lists.
      const first = await install(env);
      assert.equal(first.code, 0, first.stderr);
      const pup = join(home, ".local/bin/pup");
      const r = spawnSync(pup, ["--version"], { encoding: "utf8" });
      assert.equal(r.stdout, `pup ${version} (${gitCommit()})\n`);
      assert.match(first.stderr, /checksum verified/);
      assert.match(first.stderr, /\.local\/bin is not on your PATH/);
      assert.match(first.stderr, /export PATH=/);
      assert.deepEqual(readdirSync(join(home, ".local/bin")), ["pup"], "no staging file left");

      // PUP_VERSION and PUP_INSTALL_DIR, with the folder on PATH: no PATH advice.
      const dir = join(home, "tools");
      const second = await install({
        ...env,
        PATH: `${dir}:/usr/bin:/bin`,
        PUP_VERSION: version,
        PUP_INSTALL_DIR: dir,
      });
      assert.equal(second.code, 0, second.stderr);
      assert.ok(existsSync(join(dir, "pup")));
      assert.doesNotMatch(second.stderr, /not on your PATH/);

      // A version the server does not have: a clear message, exit 1, nothing new.
      const missing = await install({
        ...env,
        PUP_VERSION: "9.9.9",
        PUP_INSTALL_DIR: join(home, "none"),
      });
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /lists no archive for linux-x64 of version 9\.9\.9/);
      assert.ok(!existsSync(join(home, "none")));
    }),
);

test("install.sh installs nothing and exits non-zero when the archive does not match SHA256SUMS", {
  skip,
  timeout: 300_000,
}, async () => {
  const files = releaseFiles();
  const name = `pup-${version}-linux-x64.tar.gz`;
  const corrupt = new Uint8Array(files.get(name)!);
  corrupt[corrupt.length >> 1] ^= 0xff;
  files.set(name, corrupt);
  await withServedHome(files, "pup-install-bad-", async (url, home) => {
    // An older pup already installed stays as it was.
    const dir = placeOldPup(home);
    const r = await installInto(url, home, dir);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /checksum mismatch for pup-.*-linux-x64\.tar\.gz.*nothing was installed/,
    );
    assert.deepEqual(readdirSync(dir), ["pup"]);
    assert.equal(readFileSync(join(dir, "pup"), "utf8"), OLD_PUP);

    // And into an empty place: the folder is not even created.
    const fresh = join(home, "fresh");
    const again = await installInto(url, home, fresh);
    assert.notEqual(again.code, 0);
    assert.ok(!existsSync(fresh));
  });
});

test(
  "install.sh installs nothing when the verified binary does not run here, and leaves no staged file",
  {
    skip,
  },
  async () => {
    const name = `pup-${version}-linux-x64.tar.gz`;
    const archive = tarGz([{
      name: "pup",
      data: new TextEncoder().encode("#!/bin/sh\necho broken >&2\nexit 3\n"),
      mode: 0o755,
    }], 0);
    const sum = createHash("sha256").update(archive).digest("hex");
    const files = new Map<string, Uint8Array>([
      ["SHA256SUMS", new TextEncoder().encode(`${sum}  ${name}\n`)],
      [name, archive],
    ]);
    await withServedHome(files, "pup-install-norun-", async (url, home) => {
      const dir = placeOldPup(home);
      const r = await installInto(url, home, dir);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /checksum verified/);
      assert.match(r.stderr, /the downloaded pup does not run here: broken/);
      assert.match(r.stderr, /nothing was installed/);
      assert.deepEqual(readdirSync(dir), ["pup"], "no staged file is left");
      assert.equal(readFileSync(join(dir, "pup"), "utf8"), OLD_PUP);
    });
  },
);

test("install.sh and install.ps1 parse, and install.sh uses no bash-only syntax", () => {
  assert.equal(spawnSync(SHELL, ["-n", INSTALL_SH]).status, 0);
  if (has("checkbashisms")) {
    const r = spawnSync("checkbashisms", [INSTALL_SH], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  }
  const ps1 = readFileSync(join(ROOT, "scripts/install.ps1"), "utf8");
  // The same contract as install.sh: verify before unpacking, then an atomic move.
  assert.ok(ps1.indexOf("Get-FileHash") < ps1.indexOf("Expand-Archive"));
  assert.ok(ps1.indexOf("Expand-Archive") < ps1.indexOf("Move-Item"));
  for (const v of ["PUP_VERSION", "PUP_INSTALL_DIR", "PUP_INSTALL_BASE_URL"]) {
    assert.ok(ps1.includes(`$env:${v}`), v);
  }
  if (has("pwsh")) {
    const r = spawnSync("pwsh", [
      "-NoProfile",
      "-Command",
      `$e = $null; [System.Management.Automation.Language.Parser]::ParseFile('${
        join(ROOT, "scripts/install.ps1")
      }', [ref]$null, [ref]$e) | Out-Null; if ($e.Count) { $e | % { $_.ToString() }; exit 1 }`,
    ], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  }
});
