import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmod, mkdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { localEnv, runPup, testDeps, withFakeDatadog, withTempDir } from "./helpers.ts";
import { configScopes, loadConfig, MAX_CONFIG_BYTES } from "../lib/session/config.ts";
import { PupError } from "../lib/errors.ts";

async function withConfig(text: string | undefined, fn: (dir: string) => Promise<void>) {
  return await withTempDir(async (dir) => {
    if (text !== undefined) await writeFile(join(dir.path, "config.yaml"), text);
    await fn(dir.path);
  });
}

async function configError(text: string): Promise<PupError> {
  let caught: unknown;
  await withConfig(text, async (dir) => {
    try {
      await loadConfig(dir);
    } catch (err) {
      caught = err;
    }
  });
  assert.ok(caught instanceof PupError, "expected a PupError");
  return caught;
}

test("a missing config.yaml is an empty config", async () => {
  await withConfig(undefined, async (dir) => assert.deepEqual(await loadConfig(dir), {}));
});

test("an empty or comment-only config.yaml is an empty config", async () => {
  await withConfig("", async (dir) => assert.deepEqual(await loadConfig(dir), {}));
  await withConfig("# nothing yet\n", async (dir) => assert.deepEqual(await loadConfig(dir), {}));
});

test("every documented key is read", async () => {
  const text = [
    "site: https://app.datadoghq.eu/",
    "org: prod-child",
    "token_storage: file",
    "trusted_sites:",
    "  - dd.example.com",
    "scopes: [monitors_read, dashboards_read]",
    "profiles:",
    "  staging-child:",
    "    scopes: monitors_read, logs_read_data",
    "",
  ].join("\n");
  await withConfig(text, async (dir) => {
    const config = await loadConfig(dir);
    assert.deepEqual({ ...config, profiles: { ...config.profiles } }, {
      site: "datadoghq.eu",
      org: "prod-child",
      token_storage: "file",
      trusted_sites: ["dd.example.com"],
      scopes: ["monitors_read", "dashboards_read"],
      profiles: { "staging-child": { scopes: ["monitors_read", "logs_read_data"] } },
    });
  });
});

test("malformed YAML is a config error naming the file and the line", async () => {
  const err = await configError("site: datadoghq.com\nscopes: [a,\n  b\norg: x: y\n");
  assert.equal(err.exitCode, 2);
  assert.match(err.message, /invalid config file .*config\.yaml:\d+: malformed YAML/);
});

test("a config error's hint names a section README really has", async () => {
  // It said "see README: Configuration", a heading README does not have.
  const err = await configError("site: [not, a, site]\n");
  const named = /see README: ([^)]+)\)/.exec(err.hint ?? "")?.[1];
  assert.ok(named, `no README section in the hint: ${err.hint}`);
  const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
  const headings = [...readme.matchAll(/^#{1,6} (.+)$/gm)].map((m) => m[1].replaceAll("`", ""));
  assert.ok(headings.includes(named), `README has no heading "${named}"`);
});

test("a duplicate key names the line of the second one", async () => {
  const err = await configError("site: datadoghq.com\norg: a\norg: b\n");
  assert.match(err.message, /config\.yaml:3: malformed YAML: map keys must be unique/);
});

test("an unknown key is an error that names it, its line and the known keys", async () => {
  const err = await configError("site: datadoghq.com\ntoke_storage: file\n");
  assert.equal(err.exitCode, 2);
  assert.match(err.message, /config\.yaml:2: unknown key "toke_storage"/);
  assert.match(err.message, /expected one of site, org, token_storage/);
});

test("an unknown key inside a profile is an error", async () => {
  const err = await configError("profiles:\n  prod:\n    scope: monitors_read\n");
  assert.match(err.message, /unknown key "profiles\.prod\.scope"/);
});

test("profiles.<org>.scopes must be a list of strings", async () => {
  const err = await configError("profiles:\n  prod:\n    scopes: {a: 1}\n");
  assert.match(err.message, /profiles\.prod\.scopes must be a list of strings/);
});

test("a profile whose name is not an org name is an error", async () => {
  const err = await configError("profiles:\n  .hidden:\n    scopes: [a]\n");
  assert.match(err.message, /"\.hidden" is not an org name/);
});

test("a wrong token_storage value names the value and the line", async () => {
  const err = await configError("\ntoken_storage: vault\n");
  assert.match(
    err.message,
    /config\.yaml:2: token_storage must be "file" or "keychain", found "vault"/,
  );
});

test("an invalid site in config.yaml names the file, the line and the rule", async () => {
  const err = await configError("site: bad_site.com\n");
  assert.match(err.message, /config\.yaml:1: site: invalid site "bad_site\.com"/);
});

test("an invalid org in config.yaml names the file and the rule", async () => {
  const err = await configError("org: __default__\n");
  assert.match(err.message, /config\.yaml:1: org: "__default__" is not an org name/);
});

test("a top level that is not a mapping is an error", async () => {
  const err = await configError("- site\n- org\n");
  assert.match(err.message, /expected a mapping of keys/);
});

test("any command with a malformed config.yaml exits 2 and names the file", async () => {
  await withConfig("site: [unclosed\n", async (dir) => {
    const r = await runPup(["auth", "list"], testDeps({ PUP_CONFIG_DIR: dir, HOME: dir }));
    assert.equal(r.code, 2);
    assert.ok(r.stderr.includes(join(dir, "config.yaml")));
    assert.match(r.stderr, /fix or remove that file/);
  });
});

test("a world-readable config.yaml is tightened to 0600 when read", async () => {
  await withConfig("org: prod\n", async (dir) => {
    const path = join(dir, "config.yaml");
    const { chmod } = await import("node:fs/promises");
    await chmod(path, 0o644);
    // This user's id, as the runner hands it in (`deps.host.uid`).
    await loadConfig(dir, { uid: process.getuid?.() });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  });
});

test("profiles.<org>.scopes is what a login of that org requests", () =>
  withFakeDatadog(async (fake, dir) => {
    await writeFile(
      join(dir.path, "config.yaml"),
      "scopes: [dashboards_read]\nprofiles:\n  prod:\n    scopes: [monitors_read, logs_read_data]\n",
    );
    const env = localEnv(fake.site, dir.path);
    const deps = () => testDeps(env);
    assert.equal((await runPup(["auth", "login", "--org", "prod"], deps())).code, 0);
    assert.equal(fake.state.authorizations[0].scope, "monitors_read logs_read_data");
    assert.equal((await runPup(["auth", "login", "--org", "other"], deps())).code, 0);
    assert.equal(fake.state.authorizations[1].scope, "dashboards_read");
  }));

test("a planted site in config.yaml is a config error naming the file (exit 2)", async () => {
  for (const site of ["127.0.0.1#.datadoghq.com", "evil/.datadoghq.com", "u@datadoghq.com"]) {
    const err = await configError(`site: "${site}"\n`);
    assert.equal(err.code, "config", site);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /config\.yaml:1: site: invalid site/);
  }
});

// Issue 9, second pass: org names that are Object prototype keys are plain data.
const PROTO_KEYS = ["constructor", "__proto__", "toString", "valueOf", "hasOwnProperty"];

test("profiles named like Object prototype keys are profiles like any other", async () => {
  const text = "profiles:\n" +
    PROTO_KEYS.map((k, i) => `  ${k}:\n    scopes: [scope_${i}]\n`).join("");
  await withConfig(text, async (dir) => {
    const config = await loadConfig(dir);
    assert.deepEqual(Object.keys(config.profiles!), PROTO_KEYS);
    PROTO_KEYS.forEach((k, i) => {
      assert.ok(Object.hasOwn(config.profiles!, k), k);
      assert.deepEqual(configScopes(config, k), [`scope_${i}`]);
    });
  });
});

test("an org without a profile never finds one through the prototype", async () => {
  await withConfig(
    "scopes: [dashboards_read]\nprofiles:\n  prod:\n    scopes: [a]\n",
    async (dir) => {
      const config = await loadConfig(dir);
      for (const k of PROTO_KEYS) {
        assert.equal((config.profiles as Record<string, unknown>)[k], undefined, k);
        assert.deepEqual(configScopes(config, k), ["dashboards_read"], k);
      }
      assert.deepEqual(configScopes(config, "prod"), ["a"]);
      assert.deepEqual(configScopes(config, undefined), ["dashboards_read"]);
    },
  );
});

// Issue 9, defect 7 and the second pass: YAML aliases.
function profilesSharingAnchor(n: number, merge: boolean): string {
  let text = "scopes: &common [monitors_read, logs_read_data]\nprofiles:\n";
  for (let i = 0; i < n; i++) {
    text += merge ? `  p${i}:\n    scopes: *common\n` : `  p${i}: {scopes: *common}\n`;
  }
  return text;
}

test("a config whose 200 profiles share one *common anchor loads", async () => {
  for (const merge of [false, true]) {
    await withConfig(profilesSharingAnchor(200, merge), async (dir) => {
      const config = await loadConfig(dir);
      assert.equal(Object.keys(config.profiles!).length, 200);
      assert.deepEqual(configScopes(config, "p199"), ["monitors_read", "logs_read_data"]);
    });
  }
  const shared = "base: &b\n  scopes: [monitors_read]\n";
  let text = "profiles:\n  " + shared.replace("\n  ", "\n    ");
  for (let i = 0; i < 200; i++) text += `  p${i}:\n    <<: *b\n`;
  await withConfig(text, async (dir) => {
    const config = await loadConfig(dir);
    assert.deepEqual(configScopes(config, "p150"), ["monitors_read"]);
  });
});

function aliasBomb(levels: number, width: number): string {
  let text = `scopes: &a0 [${Array(width).fill('"lol"').join(", ")}]\n`;
  text += "profiles:\n";
  for (let l = 1; l < levels; l++) {
    text += `  p${l}: {scopes: &a${l} [${Array(width).fill(`*a${l - 1}`).join(", ")}]}\n`;
  }
  return text;
}

test("a YAML alias bomb is a config error naming the file, not a crash", async () => {
  const err = await configError(aliasBomb(9, 9));
  assert.equal(err.code, "config");
  assert.equal(err.exitCode, 2);
  assert.match(err.message, /config\.yaml: too many YAML aliases/);
});

test("any command with an alias bomb in config.yaml exits 2 naming the file", async () => {
  await withConfig(aliasBomb(9, 9), async (dir) => {
    const r = await runPup(["auth", "list"], testDeps({ PUP_CONFIG_DIR: dir, HOME: dir }));
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.includes(join(dir, "config.yaml")), r.stderr);
    assert.doesNotMatch(r.stderr, /unexpected failure|bug in pup/);
  });
});

test("a FIFO as config.yaml is refused at once instead of blocking the read", async () => {
  await withConfig(undefined, async (dir) => {
    const path = join(dir, "config.yaml");
    const made = spawnSync("mkfifo", [path]);
    assert.equal(made.status, 0, "mkfifo is needed for this test");
    await assert.rejects(loadConfig(dir), (err: PupError) => {
      assert.equal(err.code, "config");
      assert.match(err.message, /config\.yaml: expected a regular file, found a FIFO/);
      return true;
    });
  });
});

test("a folder as config.yaml is a config error naming it", async () => {
  await withConfig(undefined, async (dir) => {
    await mkdir(join(dir, "config.yaml"));
    await assert.rejects(loadConfig(dir), /config\.yaml: expected a regular file, found a folder/);
  });
});

test("a symlinked config.yaml is read through, and its target's mode is left alone", async () => {
  await withConfig(undefined, async (dir) => {
    const target = join(dir, "dotfiles-pup.yaml");
    await writeFile(target, "org: prod\n", { mode: 0o644 });
    await chmod(target, 0o644);
    await symlink(target, join(dir, "config.yaml"));
    assert.equal((await loadConfig(dir)).org, "prod");
    assert.equal((await stat(target)).mode & 0o777, 0o644);
  });
});

test("a config.yaml over 1 MiB is refused naming the file", async () => {
  const err = await configError("# " + "x".repeat(MAX_CONFIG_BYTES) + "\n");
  assert.match(err.message, /config\.yaml: the file is \d+ bytes, more than/);
});
