/**
 * Property-based fuzzing (fast-check) of site resolution (CONTRACT §8) over every source at
 * once — DD_SITE, config.yaml, sessions.json, --org/DD_ORG — planted values included: the site
 * a command ends up with always passes CONTRACT §1 validation, or the command stops with a
 * clear error naming the source. A planted site can never be what a credential is sent to.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PupError } from "../../lib/errors.ts";
import { normalizeSite } from "../../lib/auth/site.ts";
import { Context } from "../../lib/cli/context.ts";
import { resolveTarget } from "../../lib/session/resolve.ts";
import { tempDir, testDeps } from "../helpers.ts";
import { tally } from "./tally.ts";

const SITES = [
  "datadoghq.com",
  "datadoghq.eu",
  "ap2.datadoghq.com",
  "127.0.0.1:8080",
  "https://app.datadoghq.eu/",
  "127.0.0.1#.datadoghq.com",
  "127.0.0.1/.datadoghq.com",
  "127.0.0.1?.datadoghq.com",
  "127.0.0.1\\.datadoghq.com",
  "user@127.0.0.1.datadoghq.com",
  "",
  " ",
];
const ORGS = ["prod", "staging", "constructor", "__proto__", "toString"];
const site = fc.constantFrom(...SITES);
const world = fc.record({
  sessions: fc.option(
    fc.array(fc.record({ site, org: fc.option(fc.constantFrom(...ORGS), { nil: null }) }), {
      maxLength: 4,
    }),
  ),
  configSite: fc.option(site),
  envSite: fc.option(site),
  org: fc.option(fc.constantFrom(...ORGS), { nil: undefined }),
});

test("whatever the sources say, the resolved site is a valid site or a clear error", async () => {
  const dir = await tempDir();
  let inputs = 0;
  try {
    await fc.assert(
      fc.asyncProperty(world, async (w) => {
        inputs++;
        const sessionsFile = join(dir.path, "sessions.json");
        const configFile = join(dir.path, "config.yaml");
        if (w.sessions === null) await rm(sessionsFile, { force: true });
        else await writeFile(sessionsFile, JSON.stringify(w.sessions));
        if (w.configSite === null) await rm(configFile, { force: true });
        else await writeFile(configFile, `site: ${JSON.stringify(w.configSite)}\n`);
        const env: Record<string, string> = { PUP_CONFIG_DIR: dir.path, HOME: dir.path };
        if (w.envSite !== null) env.DD_SITE = w.envSite;
        const ctx = new Context(testDeps(env), { org: w.org, trustSite: false, verbose: false });
        let target;
        try {
          target = await resolveTarget(ctx);
        } catch (err) {
          assert.ok(err instanceof PupError, `not a PupError: ${(err as Error)?.stack ?? err}`);
          assert.ok([1, 2].includes(err.exitCode), err.message);
          assert.ok(
            /DD_SITE|config\.yaml|sessions\.json/.test(err.message),
            `names its source: ${err.message}`,
          );
          return;
        }
        assert.equal(normalizeSite(target.site), target.site, "a valid, normalised site");
        assert.equal(target.orgKey, w.org ?? "__default__");
        if (target.siteSource === "sessions") {
          const recorded = (w.sessions ?? []).map((s) => normalizeSite(s.site));
          assert.ok(recorded.includes(target.site));
        }
      }),
      { numRuns: 200 },
    );
  } finally {
    await dir.remove();
  }
  tally({ suite: "fuzz/resolve", inputs });
});
