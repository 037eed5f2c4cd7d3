/**
 * @module
 * The npm packages of a release, the way esbuild and Bun ship native binaries through npm: one
 * package per platform (`@pup-cli/pup-linux-x64`, …) holding the binary, with `os`, `cpu` and
 * (on Linux) `libc` fields so npm installs only the one that fits, and a main package
 * `@pup-cli/pup` whose `bin` is a small Node launcher and whose `optionalDependencies` name every
 * platform package. No install script runs (npm 11 does not run them by default anyway): the
 * launcher finds the installed platform binary at run time and says what to do when none is.
 *
 * The folders are dist/npm/pup (the main package) and dist/npm/pup-<target> (one per target);
 * scripts/release.ts builds each binary straight into its package's `bin/`.
 */
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Target } from "./build.ts";

/** The npm scope of every package. */
export const SCOPE = "@pup-cli";

/** The npm name of a target's package, e.g. `@pup-cli/pup-linux-arm64-musl`. */
export function platformPackageName(t: Target): string {
  return `${SCOPE}/pup-${t.name}`;
}

/** npm's names for the OS (`process.platform`). */
function npmOs(t: Target): string {
  return t.os === "windows" ? "win32" : t.os;
}

function common(version: string, repository: string | undefined) {
  return {
    version,
    license: "Apache-2.0",
    homepage: repository ? `https://github.com/${repository}#readme` : undefined,
    repository: repository
      ? { type: "git", url: `git+https://github.com/${repository}.git` }
      : undefined,
  };
}

/**
 * The launcher: plain CommonJS that any Node ≥ 18 runs (`npx`, `npm i -g`; `bunx` runs it with
 * Bun). It picks the platform package for this OS, CPU and libc, runs its binary with the same
 * arguments, standard streams and environment, and exits as the binary did.
 */
export function launcher(targets: Target[], repository?: string): string {
  const source = repository ? `https://github.com/${repository}#readme` : "the project's README";
  const table = Object.fromEntries(
    targets.map((t) => [t.name, { pkg: platformPackageName(t), exe: t.exe }]),
  );
  return `#!/usr/bin/env node
// pup's npm launcher: runs the pup binary that npm installed for this platform as one of the
// optionalDependencies of ${SCOPE}/pup. It reads no token and prints nothing of its own unless
// no binary fits, and then it says what to do.
"use strict";
const { spawnSync } = require("node:child_process");
const path = require("node:path");

const TARGETS = ${JSON.stringify(table, null, 2)};

function musl() {
  // Like detect-libc: musl's ldd says so; else Node's own report (slower) names glibc or not.
  try {
    return require("node:fs").readFileSync("/usr/bin/ldd", "utf8").includes("musl");
  } catch {
    try {
      return !process.report.getReport().header.glibcVersionRuntime;
    } catch {
      return require("node:fs").existsSync("/etc/alpine-release");
    }
  }
}

function fail(lines) {
  process.stderr.write(lines.map((l) => "pup: " + l).join("\\n") + "\\n");
  process.exit(1);
}

const os = process.platform === "win32" ? "windows" : process.platform;
const base = os + "-" + process.arch;
const known = [base, base + "-musl"].filter((name) => TARGETS[name]);
if (known.length === 0) {
  fail([
    "there is no pup binary for " + base + " (supported: " + Object.keys(TARGETS).join(", ") + ")",
    "run it from source instead (bun main.ts or deno run -A main.ts): see ${source}",
  ]);
}

function installed(name) {
  const { pkg, exe } = TARGETS[name];
  try {
    return path.join(path.dirname(require.resolve(pkg + "/package.json")), "bin", exe);
  } catch {
    return undefined;
  }
}

// npm installs only the package whose os, cpu and libc fit; an npm too old for "libc" installs
// both Linux flavours, and only then does the C library need finding out.
const found = known.map((name) => [name, installed(name)]).filter(([, bin]) => bin);
const wanted = known.length > 1 && musl() ? base + "-musl" : base;
const pick = found.length > 1 ? found.find(([name]) => name === wanted) : found[0];
const binary = pick && pick[1];
if (!binary) {
  const pkg = TARGETS[known.includes(wanted) ? wanted : known[0]].pkg;
  fail([
    "the pup binary for " + base + " is not installed (npm package " + pkg + ")",
    "npm installs it as an optional dependency of ${SCOPE}/pup; it is missing when optional",
    "dependencies were omitted (--omit=optional, --no-optional) or node_modules came from another",
    "machine. Reinstall with them: npm install -g ${SCOPE}/pup (or npm install " + pkg + ")",
  ]);
}

const result = spawnSync(binary, process.argv.slice(2), { stdio: "inherit", windowsHide: true });
if (result.error) {
  fail(["could not run " + binary + ": " + result.error.message]);
}
if (result.signal) {
  process.kill(process.pid, result.signal);
}
process.exit(result.status === null ? 1 : result.status);
`;
}

/**
 * Writes the package.json, README and LICENSE of every package (the binaries are built into
 * `<dir>/pup-<target>/bin/` by the caller) and the main package's launcher.
 */
export function writeNpmPackages(
  dir: string,
  targets: Target[],
  version: string,
  files: { readme: string; license: string },
  repository?: string,
): string[] {
  const written: string[] = [];
  for (const t of targets) {
    const pkgDir = join(dir, `pup-${t.name}`);
    mkdirSync(join(pkgDir, "bin"), { recursive: true });
    const manifest = {
      name: platformPackageName(t),
      ...common(version, repository),
      description: `The pup binary for ${t.name} (installed by ${SCOPE}/pup)`,
      os: [npmOs(t)],
      cpu: [t.arch],
      ...(t.libc ? { libc: [t.libc] } : {}),
      files: ["bin", "README.md", "LICENSE"],
      preferUnplugged: true,
    };
    writeFileSync(join(pkgDir, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
    copyFileSync(files.license, join(pkgDir, "LICENSE"));
    writeFileSync(
      join(pkgDir, "README.md"),
      `# ${platformPackageName(t)}\n\nThe pup ${version} binary for ${t.name}. ` +
        `Install \`${SCOPE}/pup\` instead: it picks this package on this platform.\n`,
    );
    written.push(pkgDir);
  }
  const main = join(dir, "pup");
  mkdirSync(join(main, "bin"), { recursive: true });
  const manifest = {
    name: `${SCOPE}/pup`,
    ...common(version, repository),
    description: "A command-line tool for Datadog with a secure OAuth2 login",
    bin: { pup: "bin/pup.js" },
    files: ["bin", "README.md", "LICENSE"],
    engines: { node: ">=18" },
    optionalDependencies: Object.fromEntries(targets.map((t) => [platformPackageName(t), version])),
  };
  writeFileSync(join(main, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
  writeFileSync(join(main, "bin", "pup.js"), launcher(targets, repository));
  chmodSync(join(main, "bin", "pup.js"), 0o755);
  copyFileSync(files.license, join(main, "LICENSE"));
  copyFileSync(files.readme, join(main, "README.md"));
  written.push(main);
  return written;
}
