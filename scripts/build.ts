/**
 * Builds pup's self-contained binaries with `bun build --compile` into dist/, and writes
 * SHA-256 checksums beside them.
 *
 *   bun scripts/build.ts            # this machine's target only (dist/pup)
 *   bun scripts/build.ts --all      # every release target (dist/pup-<os>-<arch>[.exe])
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const TARGETS = [
  ["linux", "x64"],
  ["linux", "arm64"],
  ["darwin", "x64"],
  ["darwin", "arm64"],
  ["windows", "x64"],
] as const;

/**
 * The flags every binary is built with (scripts/bench.ts builds its hello-world baseline with
 * the same). `--splitting` and `--bytecode` halve start-up (TOOLCHAIN.md). A compiled Bun
 * binary would otherwise read `.env` and `bunfig.toml` from the current directory at every
 * start: a `.env` in a cloned repository could set `DD_SITE` and `PUP_TRUST_SITE=1` and send
 * the user's token elsewhere, and looking for them costs start-up time too.
 */
export const BUILD_FLAGS = [
  "--compile",
  "--minify",
  "--bytecode",
  "--format=esm",
  "--splitting",
  "--no-compile-autoload-dotenv",
  "--no-compile-autoload-bunfig",
];

function build(target: string | undefined, outfile: string) {
  const args = [
    "build",
    "main.ts",
    ...BUILD_FLAGS,
    ...(target ? [`--target=${target}`] : []),
    "--outfile",
    outfile,
  ];
  const r = spawnSync(process.execPath, args, { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
  // bun adds ".exe" to the outfile of a Windows target that lacks it (a native build too).
  const written = existsSync(outfile) ? outfile : `${outfile}.exe`;
  const sum = createHash("sha256").update(readFileSync(written)).digest("hex");
  return `${sum}  ${written.replace(/^dist\//, "")}\n`;
}

if (import.meta.main) {
  const all = process.argv.includes("--all");
  let sums = "";
  if (all) {
    for (const [os, arch] of TARGETS) {
      sums += build(
        `bun-${os}-${arch}`,
        `dist/pup-${os}-${arch}${os === "windows" ? ".exe" : ""}`,
      );
    }
  } else {
    sums += build(undefined, "dist/pup");
  }
  writeFileSync(all ? "dist/SHA256SUMS" : "dist/pup.sha256", sums);
  console.log(sums.trimEnd());
}
