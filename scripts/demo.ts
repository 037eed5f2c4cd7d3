/**
 * @module
 * `npm run demo`: pup's first run without a Datadog account or the internet. It builds pup
 * (dist/pup), starts the project's fake Datadog (tests/fakes/datadog.ts) on 127.0.0.1, and runs
 * the real binary through a login and the commands a user tries first, in a temporary config
 * folder that it removes at the end — printing what a user would see:
 *
 *   pup auth login, auth status, auth list, monitors list, $(pup auth token) in a request,
 *   auth logout, auth status again (exit 4 now).
 *
 * pup gets only CONTRACT §10's environment (DD_SITE, PUP_TRUST_SITE, PUP_CONFIG_DIR,
 * DD_TOKEN_STORAGE, BROWSER; with PATH and a HOME inside the temporary folder): nothing in pup
 * knows it is a demo. The fake's consent page approves at once, so the "browser" is the headless
 * helper tests/fakes/bin/visit, which follows the redirects to pup's loopback callback; with
 * `--browser` and a desktop (macOS, Windows, or X11/Wayland on Linux) pup opens your real
 * browser instead.
 *
 *   bun scripts/demo.ts [--browser] [--no-build]
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { startFakeDatadog } from "../tests/fakes/datadog.ts";
import { buildBinary, ROOT } from "./build.ts";

const args = process.argv.slice(2);
const unknown = args.filter((a) => !["--browser", "--no-build"].includes(a));
if (unknown.length) {
  console.error(`demo: unknown argument ${unknown[0]}: expected --browser or --no-build`);
  process.exit(2);
}
const desktop = process.platform === "darwin" || process.platform === "win32" ||
  Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const realBrowser = args.includes("--browser") && desktop && !process.env.CI;
const exe = process.platform === "win32" ? "pup.exe" : "pup";
const pup = join(ROOT, "dist", exe);
const visit = join(ROOT, "tests/fakes/bin/visit");

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const say = (s: string) => console.log(bold(s));

/** Runs pup with `argv`; its output goes to the terminal as it would for the user. */
function runPup(
  argv: string[],
  env: Record<string, string>,
  capture = false,
): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(pup, argv, {
      env,
      stdio: ["ignore", capture ? "pipe" : "inherit", "inherit"],
    });
    let stdout = "";
    child.stdout?.on("data", (c) => (stdout += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout }));
  });
}

async function main(): Promise<number> {
  if (!args.includes("--no-build") || !existsSync(pup)) {
    say("Building pup (dist/pup) …");
    buildBinary(undefined, join(ROOT, "dist", "pup"));
  }
  const fake = await startFakeDatadog();
  const dir = mkdtempSync(join(tmpdir(), "pup-demo-"));
  const config = join(dir, "config");
  const cleanup = async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  };
  const interrupted = () => {
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: dir,
    DD_SITE: fake.site,
    PUP_TRUST_SITE: "1",
    PUP_CONFIG_DIR: config,
    DD_TOKEN_STORAGE: "file",
  };
  if (!realBrowser) env.BROWSER = visit;

  console.log(
    `A fake Datadog listens on ${fake.url}; pup keeps its files in ${config} (removed at the end).\n` +
      `pup runs with: ${
        Object.entries(env).filter(([k]) => k !== "PATH" && k !== "HOME").map(([k, v]) =>
          `${k}=${v}`
        ).join(" ")
      }\n` +
      (realBrowser
        ? "Your browser opens the fake consent page, which approves at once.\n"
        : "The browser is a headless helper that follows the fake consent page's redirect.\n"),
  );

  let failed = 0;
  const step = async (argv: string[], expected: number, note?: string) => {
    say(`$ pup ${argv.join(" ")}${note ? `    # ${note}` : ""}`);
    const { code } = await runPup(argv, env);
    if (code !== expected) {
      console.log(`demo: expected exit ${expected}, got ${code}`);
      failed++;
    }
    console.log("");
  };
  try {
    await step(["--version"], 0);
    await step(["auth", "login"], 0);
    await step(["auth", "status"], 0);
    await step(["auth", "list"], 0);
    await step(["monitors", "list", "--limit", "5"], 0);

    // Scripts take the token from a pipe; the demo shows only its first 8 characters.
    say("$ pup auth token | head -c 8; echo");
    const token = await runPup(["auth", "token"], env, true);
    if (token.code !== 0 || !token.stdout.trim()) failed++;
    console.log(`${token.stdout.slice(0, 8)}\n`);
    say(`$ curl -s -H "Authorization: Bearer $(pup auth token)" ${fake.url}/api/v1/validate`);
    const validate = await fetch(`${fake.url}/api/v1/validate`, {
      headers: { Authorization: `Bearer ${token.stdout.trim()}` },
    });
    console.log(`${await validate.text()}\n`);
    if (!validate.ok) failed++;

    await step(["auth", "logout"], 0);
    await step(["auth", "status"], 4, "logged out: exit 4");
  } finally {
    await cleanup();
  }
  console.log(
    failed
      ? `demo: ${failed} step(s) did not go as expected`
      : `Done: the temporary folder is removed. To log in to your real Datadog site:\n` +
        `  dist/pup auth login --site datadoghq.com   # or datadoghq.eu, us3.datadoghq.com, …`,
  );
  return failed ? 1 : 0;
}

if (import.meta.main) {
  main().then((code) => process.exit(code), (err) => {
    console.error(`demo: ${(err as Error)?.stack ?? err}`);
    process.exit(1);
  });
}
