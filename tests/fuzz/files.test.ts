/**
 * Property-based fuzzing (fast-check) of the files pup reads: config.yaml, sessions.json,
 * tokens_<site>.json and client_<site>.json. Each file gives its value or a clear PupError
 * naming it — never a crash — and a file pup cannot use is left exactly as it was.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { readFile, rm, writeFile } from "node:fs/promises";
import { PupError } from "../../lib/errors.ts";
import { configPath, loadConfig } from "../../lib/session/config.ts";
import { readSessions, sessionsPath } from "../../lib/session/sessions.ts";
import { FileStateStore } from "../../lib/store/file_state_store.ts";
import { tempDir, withTempDir } from "../helpers.ts";
import { tally } from "./tally.ts";

const RUNS = 150;
let inputs = 0;
let lost = 0;

async function clear<T>(p: Promise<T>, path: string, code: string): Promise<T | PupError> {
  try {
    return await p;
  } catch (err) {
    assert.ok(err instanceof PupError, `not a PupError: ${(err as Error)?.stack ?? err}`);
    assert.equal(err.code, code, err.message);
    assert.ok(err.message.includes(path), `the error names the file: ${err.message}`);
    assert.match(err.message, /^[^A-Z]/);
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(err.message, /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
    return err;
  }
}

const YAML_PIECES = [
  "site: ",
  "org: ",
  "token_storage: ",
  "trusted_sites:\n",
  "scopes: ",
  "profiles:\n",
  "  prod:\n",
  "    scopes: ",
  "  constructor:\n",
  "  __proto__:\n",
  "- ",
  "[",
  "]",
  "{",
  "}",
  ",",
  ": ",
  "\n",
  "  ",
  "&a ",
  "*a",
  "<<: *a\n",
  "!!binary ",
  "!!js/function ",
  "? ",
  "|\n",
  ">\n",
  "'",
  '"',
  "#",
  "---\n",
  "...\n",
  "%YAML 1.2\n",
  "datadoghq.eu",
  "127.0.0.1#.datadoghq.com",
  "file",
  "keychain",
  "monitors_read",
  "\u202e",
  "\x1b]0;x\x07",
  "\t",
  "1e400",
  "~",
  "null",
  "true",
];
const yamlLike = fc.oneof(
  fc.array(fc.constantFrom(...YAML_PIECES), { maxLength: 30 }).map((a) => a.join("")),
  fc.string({ maxLength: 80 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
);

test("every config.yaml gives a config or a config error naming the file", () =>
  withTempDir(async (dir) => {
    await fc.assert(
      fc.asyncProperty(yamlLike, async (text) => {
        inputs++;
        await writeFile(configPath(dir.path), text);
        const r = await clear(loadConfig(dir.path), configPath(dir.path), "config");
        if (!(r instanceof PupError)) {
          assert.equal(typeof r, "object");
          if (r.site !== undefined) assert.match(r.site, /^[a-z0-9.:\[\]-]+$/);
          if (r.profiles) assert.equal(Object.getPrototypeOf(r.profiles), null);
        }
        if (await readFile(configPath(dir.path), "utf8") !== text) lost++;
      }),
      { numRuns: RUNS },
    );
  }));

const entry = fc.record(
  {
    site: fc.oneof(
      fc.constantFrom(
        "datadoghq.com",
        "datadoghq.eu",
        "127.0.0.1:8080",
        "127.0.0.1#.datadoghq.com",
        "\x1b]0;x\x07.datadoghq.com",
        "\u202e.eu",
        "a/b",
        "",
      ),
      fc.string({ maxLength: 20 }),
      fc.integer(),
    ),
    org: fc.oneof(
      fc.constant(null),
      fc.constantFrom("prod", "constructor", "__proto__", "__default__", ".x"),
      fc.string({ maxLength: 10 }),
      fc.integer(),
    ),
    org_uuid: fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.constant(null)),
  },
  { requiredKeys: [] },
);
const jsonFile = (value: fc.Arbitrary<unknown>) =>
  fc.oneof(
    value.map((v) => JSON.stringify(v)),
    value.chain((v) => {
      const t = JSON.stringify(v) ?? "";
      return fc.nat({ max: t.length }).map((n) => t.slice(0, n));
    }),
    fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 40 }),
  );

test("every sessions.json gives sessions with valid sites, or an error naming the file", () =>
  withTempDir(async (dir) => {
    await fc.assert(
      fc.asyncProperty(jsonFile(fc.array(entry, { maxLength: 4 })), async (text) => {
        inputs++;
        await writeFile(sessionsPath(dir.path), text);
        const r = await clear(readSessions(dir.path), sessionsPath(dir.path), "corrupt_file");
        if (!(r instanceof PupError)) {
          for (const e of r) {
            assert.match(e.site, /^(\[::1\]|[a-z0-9.-]+)(:[0-9]{1,5})?$/);
            assert.ok(e.org === null || typeof e.org === "string");
          }
        }
        if (await readFile(sessionsPath(dir.path), "utf8") !== text) lost++;
      }),
      { numRuns: RUNS },
    );
  }));

const token = fc.record(
  {
    access_token: fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.constant(null)),
    refresh_token: fc.oneof(fc.string({ maxLength: 10 }), fc.integer()),
    token_type: fc.string({ maxLength: 6 }),
    expires_in: fc.oneof(fc.integer(), fc.string({ maxLength: 5 })),
    expires_at: fc.oneof(
      fc.constant("2026-01-01T00:00:00.000Z"),
      fc.string({ maxLength: 10 }),
      fc.integer(),
    ),
    scope: fc.string({ maxLength: 10 }),
  },
  { requiredKeys: [] },
);

test("every tokens and client file gives a site state or an error naming the file", async () => {
  const dir = await tempDir();
  const store = new FileStateStore(dir.path);
  const site = "datadoghq.com";
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.option(
          jsonFile(
            fc.dictionary(
              fc.oneof(
                fc.constantFrom("__default__", "prod", "constructor", "__proto__"),
                fc.string({ maxLength: 6 }),
              ),
              token,
              { maxKeys: 3 },
            ),
          ),
        ),
        fc.option(
          jsonFile(
            fc.record({
              client_id: fc.oneof(fc.string({ maxLength: 6 }), fc.integer()),
              client_secret: fc.oneof(fc.string({ maxLength: 6 }), fc.constant(null)),
            }, { requiredKeys: [] }),
          ),
        ),
        async (tokensText, clientText) => {
          inputs++;
          const paths = [store.tokensPath(site), store.clientPath(site)];
          const texts = [tokensText, clientText];
          for (const [i, t] of texts.entries()) {
            if (t === null) await rm(paths[i], { force: true });
            else await writeFile(paths[i], t);
          }
          let r: unknown;
          try {
            r = await store.read(site);
          } catch (err) {
            assert.ok(err instanceof PupError, `not a PupError: ${(err as Error)?.stack ?? err}`);
            assert.equal(err.code, "corrupt_file", err.message);
            assert.ok(paths.some((p) => err.message.includes(p)), err.message);
          }
          if (r) {
            const s = r as { tokens: Record<string, { access_token: unknown }>; client: unknown };
            for (const t of Object.values(s.tokens)) assert.equal(typeof t.access_token, "string");
          }
          for (const [i, t] of texts.entries()) {
            if (t !== null && await readFile(paths[i], "utf8") !== t) lost++;
          }
        },
      ),
      { numRuns: RUNS },
    );
  } finally {
    await dir.remove();
  }
  assert.equal(lost, 0, "a file pup could not use was changed");
  tally({ suite: "fuzz/files", inputs, lost });
});
