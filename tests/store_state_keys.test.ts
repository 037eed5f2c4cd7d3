/**
 * Keyed state is plain data (issue 9): org names that are `Object` prototype keys are real org
 * names in both state stores, and a name that is not stored is never found on the prototype.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { SiteState, Token } from "../lib/auth/types.ts";
import { FileStateStore } from "../lib/store/file_state_store.ts";
import { KeychainStateStore } from "../lib/store/keychain_state_store.ts";
import type { StateStore } from "../lib/store/state_store.ts";
import { MemorySecretStore } from "./fakes/memory_secret_store.ts";
import { withTempDir } from "./helpers.ts";

const SITE = "datadoghq.com";
const PROTO_NAMES = ["constructor", "__proto__", "toString", "valueOf", "hasOwnProperty"];

function token(n: string): Token {
  return {
    access_token: `at_${n}`,
    refresh_token: `rt_${n}`,
    token_type: "Bearer",
    expires_in: 3600,
    expires_at: "2030-01-01T00:00:00.000Z",
    scope: "monitors_read",
  };
}

async function withStores(fn: (store: StateStore, name: string) => Promise<void>) {
  return await withTempDir(async (dir) => {
    await fn(new FileStateStore(dir.path), "file");
    await fn(new KeychainStateStore(new MemorySecretStore(1000)), "keychain");
  });
}

test("an org not stored is not found, even when its name is an Object prototype key", async () => {
  await withStores(async (store, kind) => {
    await store.write(SITE, { tokens: { __default__: token("d") }, client: null });
    const { tokens } = await store.read(SITE);
    for (const name of PROTO_NAMES) {
      assert.equal(tokens[name], undefined, `${kind}: "${name}" found on the prototype`);
      assert.equal(name in tokens, false, `${kind}: "${name}" in tokens`);
    }
    const empty = await store.read("us3.datadoghq.com");
    for (const name of PROTO_NAMES) assert.equal(empty.tokens[name], undefined);
  });
});

test("orgs named like Object prototype keys are stored, read back and kept beside the others", async () => {
  await withStores(async (store, kind) => {
    await store.write(SITE, { tokens: { __default__: token("d") }, client: null });
    // What a command does: read, set the org's token, write back.
    const state: SiteState = await store.read(SITE);
    for (const name of PROTO_NAMES) state.tokens[name] = token(name);
    await store.write(SITE, state);
    const again = await store.read(SITE);
    assert.deepEqual(
      Object.keys(again.tokens).sort(),
      ["__default__", ...PROTO_NAMES].sort(),
      kind,
    );
    for (const name of PROTO_NAMES) {
      assert.equal(again.tokens[name].access_token, `at_${name}`, `${kind}: ${name}`);
    }
    assert.equal(again.tokens.__default__.access_token, "at_d");
    // Removing one leaves the rest.
    delete again.tokens["__proto__"];
    await store.write(SITE, again);
    const last = await store.read(SITE);
    assert.equal(last.tokens["__proto__"], undefined);
    assert.equal(last.tokens["constructor"].access_token, "at_constructor");
  });
});

test("a tokens file holding a __proto__ org is read as that org, and written back as it was", () =>
  withTempDir(async (dir) => {
    const store = new FileStateStore(dir.path);
    const path = store.tokensPath(SITE);
    const { writeFile } = await import("node:fs/promises");
    // JSON text, not an object literal: "__proto__" is an own key here.
    await writeFile(
      path,
      `{"__proto__": ${JSON.stringify(token("p"))}, "prod": ${JSON.stringify(token("prod"))}}`,
      {
        mode: 0o600,
      },
    );
    const state = await store.read(SITE);
    assert.equal(state.tokens["__proto__"].access_token, "at_p");
    assert.equal(Object.getPrototypeOf(state.tokens), null);
    state.tokens.prod = token("prod2");
    await store.write(SITE, state);
    const written = JSON.parse(await readFile(join(dir.path, `tokens_${SITE}.json`), "utf8"));
    assert.ok(Object.hasOwn(written, "__proto__"), "the __proto__ org was lost");
    assert.equal(written.prod.access_token, "at_prod2");
  }));
