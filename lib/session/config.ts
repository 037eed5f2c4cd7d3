/**
 * @module
 * `config.yaml` in the config folder (CONTRACT §7): `site`, `org`, `token_storage`,
 * `trusted_sites`, `scopes`, `profiles.<org>.scopes`. A malformed file is an error naming the
 * file and line; a missing one is an empty config. The YAML parser is loaded only when a file
 * exists, so start-up pays nothing for it.
 */
import { join } from "node:path";
import { normalizeSite } from "../auth/site.ts";
import { PupError } from "../errors.ts";
import { safeText } from "../text.ts";
import { isOrgName, ORG_NAME_RULE, tokenFor } from "./identity.ts";
import type { FileDeps } from "../store/config_dir.ts";
import { ReadFault, readSharedText } from "../store/safe_read.ts";

/** What config.yaml may say. */
export interface Config {
  site?: string;
  org?: string;
  token_storage?: "file" | "keychain";
  trusted_sites?: string[];
  scopes?: string[];
  /** By org name; a record without a prototype (see {@link configScopes}). */
  profiles?: Record<string, Profile>;
}

/** One `profiles.<org>` entry. */
export interface Profile {
  scopes?: string[];
}

/** The path of config.yaml in `dir`. */
export function configPath(dir: string): string {
  return join(dir, "config.yaml");
}

function fail(path: string, message: string, line?: number): PupError {
  const where = line ? `${path}:${line}` : path;
  return new PupError("config", `invalid config file ${where}: ${message}`, {
    hint: "fix or remove that file (see README: config.yaml)",
  });
}

function stringList(
  v: unknown,
  key: string,
  path: string,
  line?: number,
): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v.split(/[,\s]+/).filter(Boolean);
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
  throw fail(path, `${key} must be a list of strings, found ${describeValue(v)}`, line);
}

function describeValue(v: unknown): string {
  if (Array.isArray(v)) return "a list with a non-string item";
  return v === null
    ? "null"
    : typeof v === "object"
    ? "a mapping"
    : `${typeof v} ${safeText(String(v))}`;
}

/** The 1-based line of character `offset` in `text`. */
function lineAt(text: string, offset: number | undefined): number | undefined {
  if (offset === undefined || offset < 0) return undefined;
  return text.slice(0, offset).split("\n").length;
}

function lowerFirst(text: string): string {
  return text.replace(/^./, (c) => c.toLowerCase());
}

/** config.yaml larger than this is refused: no real config comes near it. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * How many alias expansions (yaml's `count × aliasCount` measure) a config.yaml may make.
 * yaml's default of 100 refuses a real config whose 200 profiles share one `*common` anchor;
 * 10,000 loads 2,000 such profiles (53 ms) and still refuses a 5-level "billion laughs" bomb
 * in about 1 ms (measured: see the session notes).
 */
export const MAX_ALIAS_COUNT = 10_000;

/**
 * The text of config.yaml, or undefined when there is none: a symlink is read through, a FIFO,
 * folder or device is refused at once (lib/store/safe_read.ts `readSharedText`, the checked read).
 */
function readConfigText(path: string, files: FileDeps): string | undefined {
  try {
    return readSharedText(path, MAX_CONFIG_BYTES, files);
  } catch (err) {
    if (err instanceof ReadFault) throw fail(path, err.message);
    throw err;
  }
}

type Raw = Record<string, unknown>;

/** Parses the YAML; every fault, an alias bomb included, is a config error naming the file. */
async function parseYaml(path: string, text: string): Promise<{ raw: unknown; keyLine: KeyLine }> {
  const { parseDocument } = await import("yaml");
  let raw: unknown;
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { prettyErrors: false, merge: true });
    if (doc.errors.length === 0) raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const message = (err as Error)?.message ?? String(err);
    if (/alias/i.test(message)) {
      throw fail(
        path,
        `too many YAML aliases (more than ${MAX_ALIAS_COUNT} expansions): expected a config, found what looks like an alias bomb`,
      );
    }
    throw fail(path, `malformed YAML: ${lowerFirst(safeText(message.split("\n")[0]))}`);
  }
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw fail(
      path,
      `malformed YAML: ${lowerFirst(safeText(e.message.split("\n")[0]))}`,
      lineAt(text, e.pos[0]),
    );
  }
  const keyLine: KeyLine = (key) => {
    const contents = doc.contents as { items?: { key?: { value?: unknown; range?: number[] } }[] };
    const item = contents?.items?.find((i) => i.key?.value === key);
    return item?.key?.range ? lineAt(text, item.key.range[0]) : undefined;
  };
  return { raw, keyLine };
}

type KeyLine = (key: string) => number | undefined;

const KNOWN_KEYS = ["site", "org", "token_storage", "trusted_sites", "scopes", "profiles"];

/**
 * Reads config.yaml; `{}` when there is none.
 *
 * @example
 * const config = await loadConfig("/home/me/.config/pup"); // { site: "datadoghq.eu", … }
 */
export async function loadConfig(dir: string, files: Pick<FileDeps, "uid"> = {}): Promise<Config> {
  const path = configPath(dir);
  const text = readConfigText(path, files);
  if (text === undefined || text.trim() === "") return {};
  const { raw, keyLine } = await parseYaml(path, text);
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw fail(path, "expected a mapping of keys");
  const r = raw as Raw;
  for (const key of Object.keys(r)) {
    if (!KNOWN_KEYS.includes(key)) {
      throw fail(
        path,
        `unknown key "${safeText(key)}" (expected one of ${KNOWN_KEYS.join(", ")})`,
        keyLine(key),
      );
    }
  }
  const own = (key: string) => (Object.hasOwn(r, key) ? r[key] : undefined);
  const config: Config = {};
  const site = stringValue(own("site"), "site", path, keyLine);
  if (site !== undefined) config.site = siteValue(site, path, keyLine("site"));
  const org = stringValue(own("org"), "org", path, keyLine);
  if (org !== undefined) config.org = orgValue(org, "org", path, keyLine("org"));
  const storage = own("token_storage");
  if (storage !== undefined && storage !== null) {
    if (storage !== "file" && storage !== "keychain") {
      throw fail(
        path,
        `token_storage must be "file" or "keychain", found ${quoted(storage)}`,
        keyLine("token_storage"),
      );
    }
    config.token_storage = storage;
  }
  config.trusted_sites = stringList(
    own("trusted_sites"),
    "trusted_sites",
    path,
    keyLine("trusted_sites"),
  );
  config.scopes = stringList(own("scopes"), "scopes", path, keyLine("scopes"));
  const profiles = own("profiles");
  if (profiles !== undefined && profiles !== null) {
    config.profiles = profilesValue(profiles, path, keyLine("profiles"));
  }
  return config;
}

function quoted(v: unknown): string {
  return typeof v === "string" ? `"${safeText(v)}"` : describeValue(v);
}

function stringValue(v: unknown, key: string, path: string, keyLine: KeyLine) {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") {
    throw fail(path, `${key} must be a string, found ${describeValue(v)}`, keyLine(key));
  }
  return v;
}

/** The same normalisation and validation as `--site` (CONTRACT §1). */
function siteValue(site: string, path: string, line: number | undefined): string {
  try {
    return normalizeSite(site);
  } catch (err) {
    if (!(err instanceof PupError)) throw err;
    throw fail(path, `site: ${safeText(err.message)}`, line);
  }
}

function orgValue(org: string, key: string, path: string, line?: number): string {
  if (!isOrgName(org)) {
    throw fail(path, `${key}: "${safeText(org)}" is not an org name (${ORG_NAME_RULE})`, line);
  }
  return org;
}

/** `profiles:` as a record without a prototype: `constructor` is a profile like any other. */
function profilesValue(v: unknown, path: string, line: number | undefined) {
  if (typeof v !== "object" || Array.isArray(v)) {
    throw fail(path, "profiles must be a mapping of org names", line);
  }
  const profiles: Record<string, Profile> = Object.create(null);
  for (const org of Object.keys(v as Raw)) {
    const p = (v as Raw)[org];
    const name = safeText(org);
    orgValue(org, "profiles", path);
    if (p === null || typeof p !== "object" || Array.isArray(p)) {
      throw fail(path, `profiles.${name} must be a mapping with scopes`);
    }
    for (const key of Object.keys(p)) {
      if (key !== "scopes") {
        throw fail(path, `unknown key "profiles.${name}.${safeText(key)}" (expected scopes)`);
      }
    }
    const scopes = Object.hasOwn(p, "scopes") ? (p as Raw).scopes : undefined;
    Object.defineProperty(profiles, org, {
      value: { scopes: stringList(scopes, `profiles.${name}.scopes`, path) },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return profiles;
}

/**
 * The scopes config.yaml gives a login of `org`: `profiles.<org>.scopes`, else `scopes:`.
 * The profile is looked up as an own entry only (never through `Object.prototype`).
 */
export function configScopes(config: Config, org: string | null | undefined): string[] | undefined {
  const profile = org === undefined || org === null ? undefined : tokenFor(config.profiles, org);
  return profile?.scopes ?? config.scopes;
}
