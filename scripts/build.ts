/**
 * Builds pup's self-contained binaries with `bun build --compile` into dist/, and writes
 * SHA-256 checksums beside them.
 *
 *   bun scripts/build.ts            # this machine's target only (dist/pup)
 *   bun scripts/build.ts --all      # every release target (dist/pup-<os>-<arch>[.exe])
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";

const TARGETS = [
  ["linux", "x64"],
  ["linux", "arm64"],
  ["darwin", "x64"],
  ["darwin", "arm64"],
  ["windows", "x64"],
] as const;

function build(target: string | undefined, outfile: string) {
  const args = [
    "build",
    "main.ts",
    "--compile",
    ...(target ? [`--target=${target}`] : []),
    "--minify",
    "--bytecode",
    "--format=esm",
    "--splitting",
    "--outfile",
    outfile,
  ];
  const r = spawnSync(process.execPath, args, { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
  const sum = createHash("sha256").update(readFileSync(outfile)).digest("hex");
  return `${sum}  ${outfile.replace(/^dist\//, "")}\n`;
}

const all = process.argv.includes("--all");
let sums = "";
if (all) {
  for (const [os, arch] of TARGETS) {
    sums += build(`bun-${os}-${arch}`, `dist/pup-${os}-${arch}${os === "windows" ? ".exe" : ""}`);
  }
} else {
  sums += build(undefined, "dist/pup");
}
writeFileSync(all ? "dist/SHA256SUMS" : "dist/pup.sha256", sums);
console.log(sums.trimEnd());
