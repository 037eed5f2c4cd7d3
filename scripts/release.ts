/**
 * @module
 * `npm run release`: every release artefact of version V (package.json) in dist/:
 *
 * - `pup-V-<target>.tar.gz` for the Linux (glibc and musl) and macOS targets and
 *   `pup-V-windows-x64.zip`, each holding `pup` (`pup.exe`), README.md and LICENSE at the top;
 * - `SHA256SUMS` over every archive, in `sha256sum -c` format;
 * - `npm/pup` and `npm/pup-<target>`: the npm packages (scripts/npm_packages.ts);
 * - `release.json`: what was built from which commit, so tests and CI can tell a fresh release
 *   from a stale one without building it again.
 *
 *   bun scripts/release.ts [--targets linux-x64,windows-x64]
 *
 * Archives are dated with the commit's time (or SOURCE_DATE_EPOCH) and written by
 * scripts/archive.ts, so two builds of one commit on one Bun give the same archive bytes, and
 * no tar, gzip or zip program is needed. GITHUB_REPOSITORY (set in GitHub Actions) goes into
 * the npm packages' `repository`, which `npm publish --provenance` checks.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { type Entry, tarGz, zip } from "./archive.ts";
import { buildBinary, gitCommit, packageVersion, ROOT, type Target, TARGETS } from "./build.ts";
import { writeNpmPackages } from "./npm_packages.ts";

/** What dist/release.json records. */
export interface ReleaseManifest {
  version: string;
  commit: string;
  targets: string[];
  archives: { target: string; file: string; sha256: string; bytes: number; binaryBytes: number }[];
}

/** The archive file name of `target` for `version`. */
export function archiveName(version: string, t: Target): string {
  return `pup-${version}-${t.name}${t.os === "windows" ? ".zip" : ".tar.gz"}`;
}

function commitTime(commit: string): number {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch && /^\d+$/.test(epoch)) return Number(epoch);
  if (commit !== "unknown") {
    const r = spawnSync("git", ["show", "-s", "--format=%ct", commit], {
      cwd: ROOT,
      encoding: "utf8",
    });
    if (r.status === 0 && /^\d+$/.test(r.stdout.trim())) return Number(r.stdout.trim());
  }
  return Math.floor(Date.now() / 1000);
}

/** Builds the whole release into `dist`; returns its manifest. */
export function release(
  options: { dist?: string; targets?: Target[]; log?: (line: string) => void } = {},
): ReleaseManifest {
  const dist = options.dist ?? join(ROOT, "dist");
  const targets = options.targets ?? TARGETS;
  const log = options.log ?? ((line: string) => console.error(line));
  const version = packageVersion();
  const commit = gitCommit();
  const mtime = commitTime(commit);
  const readme = join(ROOT, "README.md");
  const license = join(ROOT, "LICENSE");
  for (const f of [readme, license]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: every archive holds it`);
  }

  // Start clean: a stale archive of an older version must not end up in SHA256SUMS.
  rmSync(join(dist, "npm"), { recursive: true, force: true });
  rmSync(join(dist, "release.json"), { force: true });
  if (existsSync(dist)) {
    for (const f of readdirSync(dist)) {
      if (/^pup-.*\.(tar\.gz|zip)$/.test(f) || f === "SHA256SUMS") rmSync(join(dist, f));
    }
  }
  const npmDir = join(dist, "npm");
  writeNpmPackages(
    npmDir,
    targets,
    version,
    { readme, license },
    process.env.GITHUB_REPOSITORY,
  );

  const manifest: ReleaseManifest = { version, commit, targets: [], archives: [] };
  const docs: Entry[] = [
    { name: "README.md", data: readFileSync(readme), mode: 0o644 },
    { name: "LICENSE", data: readFileSync(license), mode: 0o644 },
  ];
  for (const t of targets) {
    log(`release: building ${t.name} …`);
    const bin = join(npmDir, `pup-${t.name}`, "bin", t.exe);
    const built = buildBinary(t, bin, commit);
    const entries = [{ name: t.exe, data: readFileSync(built.path), mode: 0o755 }, ...docs];
    const file = archiveName(version, t);
    const bytes = t.os === "windows" ? zip(entries, mtime) : tarGz(entries, mtime);
    writeFileSync(join(dist, file), bytes);
    manifest.targets.push(t.name);
    manifest.archives.push({
      target: t.name,
      file,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      bytes: bytes.length,
      binaryBytes: statSync(built.path).size,
    });
  }
  writeFileSync(
    join(dist, "SHA256SUMS"),
    manifest.archives.map((a) => `${a.sha256}  ${a.file}\n`).join(""),
  );
  writeFileSync(join(dist, "release.json"), JSON.stringify(manifest, null, 2) + "\n");
  return manifest;
}

/** dist/release.json when it describes every target at this checkout's version and commit. */
export function freshRelease(dist = join(ROOT, "dist")): ReleaseManifest | undefined {
  try {
    const m = JSON.parse(readFileSync(join(dist, "release.json"), "utf8")) as ReleaseManifest;
    const complete = TARGETS.every((t) => m.targets.includes(t.name)) &&
      m.archives.every((a) => existsSync(join(dist, a.file)));
    return complete && m.version === packageVersion() && m.commit === gitCommit() ? m : undefined;
  } catch {
    return undefined;
  }
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

if (import.meta.main) {
  try {
    const args = process.argv.slice(2);
    const only = args.includes("--targets")
      ? args[args.indexOf("--targets") + 1]?.split(",")
      : undefined;
    const unknown = only?.filter((n) => !TARGETS.some((t) => t.name === n)) ?? [];
    if (unknown.length) {
      throw new Error(
        `unknown target ${unknown.join(", ")}: expected some of ${TARGETS.map((t) => t.name)}`,
      );
    }
    const m = release({ targets: only && TARGETS.filter((t) => only.includes(t.name)) });
    console.log(`pup ${m.version} (${m.commit}): dist/`);
    for (const a of m.archives) {
      console.log(
        `  ${a.file.padEnd(36)} ${mib(a.bytes).padStart(10)}  (binary ${mib(a.binaryBytes)})`,
      );
    }
    console.log("  SHA256SUMS, release.json, npm/");
  } catch (err) {
    console.error(`release: ${(err as Error).message}`);
    process.exit(1);
  }
}

/**
 * The release in dist/ for this checkout, built first when it is missing or stale (tests share
 * one build this way: the first test file that needs it builds it, later ones reuse it).
 */
export function ensureRelease(dist = join(ROOT, "dist")): ReleaseManifest {
  const fresh = freshRelease(dist);
  if (fresh) return fresh;
  const bun = join(ROOT, "node_modules/.bin/bun");
  const r = spawnSync(existsSync(bun) ? bun : "bun", [join(ROOT, "scripts/release.ts")], {
    cwd: ROOT,
    stdio: ["ignore", 2, 2],
  });
  const built = freshRelease(dist);
  if (r.status !== 0 || !built) throw new Error(`npm run release failed (exit ${r.status})`);
  return built;
}
