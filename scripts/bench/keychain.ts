/**
 * @module
 * 5. The keychain: how many `secret-tool` processes each command starts (a logging shim on
 * PATH counts them) and `auth status` with the real Secret Service against file storage. Runs
 * only inside `scripts/with-keyring.sh`, which provides a private unlocked gnome-keyring.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { which, writeSecretToolShim } from "./fixtures.ts";
import { pupLogin } from "./login.ts";
import { type Cmd, interleave, MeasureError, run, summarize, timed } from "./measure.ts";
import { ratioRow, type Row } from "./report.ts";
import { type Bench, pupEnv } from "./sections.ts";

const SECTION = "keychain";

/** The keychain rows; a single "skipped" row outside with-keyring.sh. */
export async function keychain(b: Bench): Promise<Row[]> {
  const real = which("secret-tool");
  if (!b.env().PUP_TEST_SECRET_SERVICE || !real) {
    return [{
      section: SECTION,
      name: "secret-tool calls, auth status with Secret Service",
      unit: "",
      note: "skipped: no Secret Service (run under scripts/with-keyring.sh)",
    }];
  }
  const shim = writeSecretToolShim(b.tmp, real);
  const log = join(b.tmp, "secret-tool.log");
  const dir = join(b.tmp, "keychain-config");
  const env = pupEnv(b, dir, {
    DD_TOKEN_STORAGE: "keychain",
    PATH: `${shim}:${b.env().PATH}`,
    PUP_BENCH_SECRET_LOG: log,
    BROWSER: b.hook.program,
    ...b.hook.env,
  });
  const cmd = (args: string[]): Cmd => ({ cmd: b.pup, args, env });
  /** Runs `args` once; returns how many secret-tool processes it started, by verb. */
  const calls = async (args: string[], login = false) => {
    writeFileSync(log, "");
    if (login) await pupLogin(cmd(args), b.hook);
    else {
      const r = await run(cmd(args));
      if (r.code !== 0) {
        throw new MeasureError(
          `'pup ${args.join(" ")}' exited ${r.code}: ${r.stderr.slice(0, 300)}`,
        );
      }
    }
    const verbs = readFileSync(log, "utf8").split("\n").filter((l) => l !== "");
    const by: Record<string, number> = {};
    for (const v of verbs) by[v] = (by[v] ?? 0) + 1;
    return { total: verbs.length, by };
  };
  const rows: Row[] = [];
  const count = (name: string, c: { total: number; by: Record<string, number> }) =>
    rows.push({
      section: SECTION,
      name: `secret-tool calls: ${name}`,
      unit: "",
      pup: c.total,
      note: Object.entries(c.by).map(([v, n]) => `${n} ${v}`).join(", "),
    });

  count("auth login (first, with DCR)", await calls(["auth", "login"], true));
  count("auth login (DCR reused)", await calls(["auth", "login"], true));
  count("auth status", await calls(["auth", "status"]));
  count("auth token", await calls(["auth", "token"]));
  const api = await run(cmd(["api", "/api/v1/validate"]));
  if (api.code === 0) count("api /api/v1/validate", await calls(["api", "/api/v1/validate"]));
  // A token within 5 minutes of expiry is refreshed (and stored again) on every call.
  b.fake.knobs.accessTokenTtlSeconds = 60;
  try {
    await calls(["auth", "login"], true);
    count("auth token, refreshing", await calls(["auth", "token"]));
  } finally {
    b.fake.knobs.accessTokenTtlSeconds = 3600;
  }
  await calls(["auth", "login"], true);

  const s = await interleave(
    {
      file: () => timed({ cmd: b.pup, args: ["auth", "status"], env: pupEnv(b, b.fileDir) }),
      keychain: () => timed(cmd(["auth", "status"])),
    },
    b.reps,
    b.warmup,
  );
  rows.push(ratioRow({
    section: SECTION,
    name: "pup auth status, Secret Service",
    unit: "ms",
    pup: summarize(s.keychain),
    baseline: { name: "file storage", value: summarize(s.file) },
  }));
  return rows;
}
