/**
 * @module
 * 5. The keychain: how many `secret-tool` processes each command starts (a logging shim on
 * PATH counts them) and `auth status` with the real Secret Service against file storage; then
 * the keychain at scale (issue 14): 41 sessions on one site against 1 session on a second site,
 * process counts and `pup api --org o37` timed interleaved. Runs only inside
 * `scripts/with-keyring.sh`, which provides a private unlocked gnome-keyring.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SiteState } from "../../lib/auth/types.ts";
import { spawnProgram } from "../../lib/runtime/spawn.ts";
import { KeychainStateStore } from "../../lib/store/keychain_state_store.ts";
import { SecretServiceKeychain } from "../../lib/store/keychain_secret_service.ts";
import { tokenFor, which, writeSecretToolShim } from "./fixtures.ts";
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
  rows.push(...await atScale(b, shim, log));
  return rows;
}

/** Targets of issue 14: secret-tool processes with 41 sessions, and the 41-vs-1 ratio. */
const SCALE_TARGETS = { api: 1, status: 1, refresh: 3, ratio: 1.5 };

/**
 * 41 sessions (o0 … o40, Datadog's 110 default scopes each) on one site and 1 session (o37) on a
 * second site — the same fake reached as `localhost:<port>`, so the keychain holds both — then
 * the secret-tool processes of `api`, `auth status` and `auth refresh` with 41 sessions, and
 * `pup api --org o37` timed on each site, interleaved.
 */
async function atScale(b: Bench, shim: string, log: string): Promise<Row[]> {
  const siteA = b.fake.site;
  const siteB = siteA.replace(/^127\.0\.0\.1:/, "localhost:");
  const keychain = new KeychainStateStore(
    new SecretServiceKeychain({ spawn: spawnProgram, env: b.env() }),
  );
  await keychain.write(siteA, seed(b, 41));
  await keychain.write(siteB, seed(b, 1, 37));
  const envFor = (site: string, name: string) => {
    const dir = join(b.tmp, `scale-${name}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return pupEnv(b, dir, {
      DD_SITE: site,
      DD_TOKEN_STORAGE: "keychain",
      PATH: `${shim}:${b.env().PATH}`,
      PUP_BENCH_SECRET_LOG: log,
    });
  };
  const many = envFor(siteA, "41");
  const one = envFor(siteB, "1");
  const count = async (args: string[]) => {
    writeFileSync(log, "");
    const r = await run({ cmd: b.pup, args, env: many });
    if (r.code !== 0) {
      throw new MeasureError(`'pup ${args.join(" ")}' exited ${r.code}: ${r.stderr.slice(0, 300)}`);
    }
    const verbs = readFileSync(log, "utf8").split("\n").filter((l) => l !== "");
    const by: Record<string, number> = {};
    for (const v of verbs) by[v] = (by[v] ?? 0) + 1;
    return {
      total: verbs.length,
      note: Object.entries(by).map(([v, n]) => `${n} ${v}`).join(", "),
    };
  };
  const rows: Row[] = [];
  for (
    const [name, args, target] of [
      ["api --org o37", ["api", "/api/v1/validate", "--org", "o37"], SCALE_TARGETS.api],
      ["auth status --org o37", ["auth", "status", "--org", "o37"], SCALE_TARGETS.status],
      ["auth refresh --org o37", ["auth", "refresh", "--org", "o37"], SCALE_TARGETS.refresh],
    ] as const
  ) {
    const c = await count([...args]);
    rows.push({
      section: SECTION,
      name: `secret-tool processes, 41 sessions: ${name}`,
      unit: "",
      pup: c.total,
      target: `≤ ${target}`,
      pass: c.total <= target,
      note: args[1] === "refresh" && c.total > target
        ? `${c.note} — a read before the lock as well as the one under it (CONTRACT §8): auth refresh must take the lock first (refreshNow in lib/session/tokens.ts); the floor is 1 search + 2 stores (the changed chunk, then the count record with the checksum: §7)`
        : c.note,
    });
  }
  const api = (env: Record<string, string>) => () =>
    timed({ cmd: b.pup, args: ["api", "/api/v1/validate", "--org", "o37"], env });
  const t = await interleave({ many: api(many), one: api(one) }, b.reps, b.warmup);
  rows.push(ratioRow({
    section: SECTION,
    name: "pup api --org o37, 41 sessions in the Secret Service",
    unit: "ms",
    pup: summarize(t.many),
    baseline: { name: "1 session on another site", value: summarize(t.one) },
  }, SCALE_TARGETS.ratio));
  await keychain.write(siteA, { tokens: {}, client: null });
  await keychain.write(siteB, { tokens: {}, client: null });
  return rows;
}

/** A site state of `n` sessions o<first> … with real tokens from the fake, one client. */
function seed(b: Bench, n: number, first = 0): SiteState {
  const issued = b.fake.issueTokens();
  const client = {
    ...b.fake.state.clients.get(issued.client_id)!,
    registered_at: new Date().toISOString(),
  };
  const tokens: SiteState["tokens"] = {};
  for (let i = first; i < first + n; i++) {
    tokens[`o${i}`] = tokenFor(b.fake.issueTokens({ clientId: issued.client_id }), 3600);
  }
  return { tokens, client };
}
