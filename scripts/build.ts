/**
 * Builds pup's self-contained binaries with `bun build --compile` into dist/, with the git
 * commit embedded for `pup --version` (lib/version.ts), and writes SHA-256 checksums beside
 * them. `npm run release` (scripts/release.ts) packs these into the release archives.
 *
 *   bun scripts/build.ts                          # this machine's target only (dist/pup)
 *   bun scripts/build.ts --all                    # every release target (dist/pup-<target>[.exe])
 *   bun scripts/build.ts --target linux-x64-musl  # one target (dist/pup-linux-x64-musl)
 *   bun scripts/build.ts --outfile /tmp/pup       # this machine's target, elsewhere
 *
 * The commit comes from `git rev-parse HEAD` (PUP_BUILD_COMMIT overrides it); outside git the
 * binary says `unknown`.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { PACKAGE_VERSION } from "../lib/version.ts";

/** A release target: its name in file names, Bun's `--target`, and what the binary must be. */
export interface Target {
  /** `linux-x64`, `linux-arm64-musl`, `windows-x64`, … (in archive and npm package names). */
  name: string;
  os: "linux" | "darwin" | "windows";
  arch: "x64" | "arm64";
  libc?: "glibc" | "musl";
  /** Bun's `--target`. */
  bun: string;
  /** The binary's file name inside its archive. */
  exe: "pup" | "pup.exe";
}

function target(os: Target["os"], arch: Target["arch"], musl = false): Target {
  const name = `${os}-${arch}${musl ? "-musl" : ""}`;
  return {
    name,
    os,
    arch,
    libc: os === "linux" ? (musl ? "musl" : "glibc") : undefined,
    bun: `bun-${name}`,
    exe: os === "windows" ? "pup.exe" : "pup",
  };
}

/** Every release target (issue 12). */
export const TARGETS: Target[] = [
  target("linux", "x64"),
  target("linux", "arm64"),
  target("linux", "x64", true),
  target("linux", "arm64", true),
  target("darwin", "x64"),
  target("darwin", "arm64"),
  target("windows", "x64"),
];

/**
 * The flags every binary is built with (scripts/bench.ts builds its hello-world baseline with
 * the same). `--splitting` and `--bytecode` halve start-up (TOOLCHAIN.md). A compiled Bun
 * binary would otherwise read `.env` and `bunfig.toml` from the current directory at every
 * start: a `.env` in a cloned repository could set `DD_SITE` and `PUP_TRUST_SITE=1` and send
 * the user's token elsewhere, and looking for them costs start-up time too.
 *
 * `--compile-jit-policy=10` makes JavaScriptCore wait ten times longer before it compiles a
 * function or loop with its JIT. A pup command runs most of its code once: at the default
 * scale the JIT compiles the first loops that get warm (summarising 110 scopes, parsing flags,
 * a page of JSON) on a second thread, and that costs more than it saves in a run of 10 ms.
 * Measured (scripts/bench.ts method, CPU time of the process): `auth status` 9.6 → 8.7 ms,
 * `logs query --all` over 10 pages 13.7 → 12.6 ms, `monitors list` 11.6 → 10.7 ms; a 230 ms
 * JSON and YAML workload did not get slower. The hello-world baseline gets the same flag.
 */
export const BUILD_FLAGS = [
  "--compile",
  "--minify",
  "--bytecode",
  "--format=esm",
  "--splitting",
  "--compile-jit-policy=10",
  "--no-compile-autoload-dotenv",
  "--no-compile-autoload-bunfig",
];

/** The repository's root (where package.json is). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** package.json's version, checked against lib/version.ts (they must not drift apart). */
export function packageVersion(root = ROOT): string {
  const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
  if (version !== PACKAGE_VERSION) {
    throw new Error(
      `package.json says version ${version} but lib/version.ts says ${PACKAGE_VERSION}: make them equal`,
    );
  }
  return version;
}

/**
 * The commit the checkout at `root` is at (40 hex digits), or `unknown` outside git or
 * without a `git` program. `PUP_BUILD_COMMIT` overrides it (a build from a source tarball
 * that knows its commit).
 */
export function gitCommit(root = ROOT): string {
  const forced = process.env.PUP_BUILD_COMMIT;
  if (forced !== undefined) {
    if (!/^([0-9a-f]{12,64}|unknown)$/.test(forced)) {
      throw new Error(
        `PUP_BUILD_COMMIT must be 12 to 64 hex digits or "unknown", found "${forced}"`,
      );
    }
    return forced;
  }
  const r = spawnSync("git", ["rev-parse", "--verify", "HEAD"], { cwd: root, encoding: "utf8" });
  const hash = r.status === 0 ? r.stdout.trim() : "";
  return /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(hash) ? hash : "unknown";
}

/** The bun executable that runs builds (this one when the script runs under Bun). */
function bunPath(): string {
  const local = join(ROOT, "node_modules/.bin/bun");
  return (process.versions as Record<string, string>).bun || !existsSync(local)
    ? process.execPath
    : local;
}

/**
 * Compiles main.ts for `target` (this machine's when undefined) to `outfile`, with the commit
 * embedded; returns the path written (bun adds `.exe` for Windows) and its SHA-256.
 */
export function buildBinary(
  target: Target | undefined,
  outfile: string,
  commit = gitCommit(),
): { path: string; sha256: string } {
  mkdirSync(dirname(outfile), { recursive: true });
  const args = [
    "build",
    join(ROOT, "main.ts"),
    ...BUILD_FLAGS,
    `--define=PUP_COMMIT=${JSON.stringify(commit)}`,
    ...(target ? [`--target=${target.bun}`] : []),
    "--outfile",
    outfile,
  ];
  const r = spawnSync(bunPath(), args, { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0) {
    throw new Error(`bun build for ${target?.name ?? "this machine"} failed (exit ${r.status})`);
  }
  // bun adds ".exe" to the outfile of a Windows target that lacks it (a native build too).
  const path = existsSync(outfile) ? outfile : `${outfile}.exe`;
  return { path, sha256: createHash("sha256").update(readFileSync(path)).digest("hex") };
}

function main(args: string[]) {
  const all = args.includes("--all");
  const only = args.includes("--target") ? args[args.indexOf("--target") + 1] : undefined;
  packageVersion();
  const commit = gitCommit();
  const dist = join(ROOT, "dist");
  let sums = "";
  const chosen = all ? TARGETS : only ? TARGETS.filter((t) => t.name === only) : [];
  if (only && chosen.length === 0) {
    throw new Error(`unknown target "${only}": expected one of ${TARGETS.map((t) => t.name)}`);
  }
  if (chosen.length) {
    for (const t of chosen) {
      const out = join(dist, `pup-${t.name}${t.os === "windows" ? ".exe" : ""}`);
      const { path, sha256 } = buildBinary(t, out, commit);
      sums += `${sha256}  ${path.slice(dist.length + 1)}\n`;
    }
  } else {
    const outfile = args.includes("--outfile") ? args[args.indexOf("--outfile") + 1] : undefined;
    if (args.includes("--outfile") && !outfile) throw new Error("--outfile needs a path");
    const { path, sha256 } = buildBinary(undefined, resolve(outfile ?? join(dist, "pup")), commit);
    if (outfile) {
      console.log(`${sha256}  ${path}`);
      return;
    }
    sums += `${sha256}  ${path.slice(dist.length + 1)}\n`;
  }
  writeFileSync(
    join(dist, all ? "SHA256SUMS.binaries" : only ? `pup-${only}.sha256` : "pup.sha256"),
    sums,
  );
  console.log(sums.trimEnd());
}

if (import.meta.main) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(`build: ${(err as Error).message}`);
    process.exit(1);
  }
}
