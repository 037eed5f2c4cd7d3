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
import { readTextFile } from "../store/files.ts";

/** What config.yaml may say. */
export interface Config {
  site?: string;
  org?: string;
  token_storage?: "file" | "keychain";
  trusted_sites?: string[];
  scopes?: string[];
  profiles?: Record<string, { scopes?: string[] }>;
}

/** The path of config.yaml in `dir`. */
export function configPath(dir: string): string {
  return join(dir, "config.yaml");
}

function fail(path: string, message: string, line?: number): PupError {
  const where = line ? `${path}:${line}` : path;
  return new PupError("config", `invalid config file ${where}: ${message}`, {
    hint: "fix or remove that file (see README: Configuration)",
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
  return v === null ? "null" : typeof v === "object" ? "a mapping" : `${typeof v} ${String(v)}`;
}

/** The org-name rule of CONTRACT §8 (also checked by `validateOrgName`). */
const ORG_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

/** The 1-based line of character `offset` in `text`. */
function lineAt(text: string, offset: number | undefined): number | undefined {
  if (offset === undefined || offset < 0) return undefined;
  return text.slice(0, offset).split("\n").length;
}

function lowerFirst(text: string): string {
  return text.replace(/^./, (c) => c.toLowerCase());
}

/**
 * Reads config.yaml; `{}` when there is none.
 *
 * @example
 * const config = await loadConfig("/home/me/.config/pup"); // { site: "datadoghq.eu", … }
 */
export async function loadConfig(dir: string): Promise<Config> {
  const path = configPath(dir);
  const text = await readTextFile(path);
  if (text === undefined || text.trim() === "") return {};
  const { parseDocument } = await import("yaml");
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw fail(
      path,
      `malformed YAML: ${lowerFirst(e.message.split("\n")[0])}`,
      lineAt(text, e.pos[0]),
    );
  }
  const keyLine = (key: string): number | undefined => {
    const contents = doc.contents as { items?: { key?: { value?: unknown; range?: number[] } }[] };
    const item = contents?.items?.find((i) => i.key?.value === key);
    return item?.key?.range ? lineAt(text, item.key.range[0]) : undefined;
  };
  const raw = doc.toJS() as unknown;
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw fail(path, "expected a mapping of keys");
  const r = raw as Record<string, unknown>;
  const known = ["site", "org", "token_storage", "trusted_sites", "scopes", "profiles"];
  for (const key of Object.keys(r)) {
    if (!known.includes(key)) {
      throw fail(path, `unknown key "${key}" (expected one of ${known.join(", ")})`, keyLine(key));
    }
  }
  const config: Config = {};
  for (const key of ["site", "org"] as const) {
    if (r[key] === undefined || r[key] === null) continue;
    if (typeof r[key] !== "string") {
      throw fail(path, `${key} must be a string, found ${describeValue(r[key])}`, keyLine(key));
    }
    config[key] = r[key] as string;
  }
  if (config.site !== undefined) {
    try {
      config.site = normalizeSite(config.site);
    } catch (err) {
      throw fail(path, `site: ${(err as Error).message}`, keyLine("site"));
    }
  }
  if (config.org !== undefined && (!ORG_NAME.test(config.org) || config.org === "__default__")) {
    throw fail(
      path,
      `org: "${config.org}" is not an org name (1-64 letters, digits, '.', '_' or '-', not starting with '.')`,
      keyLine("org"),
    );
  }
  if (r.token_storage !== undefined && r.token_storage !== null) {
    if (r.token_storage !== "file" && r.token_storage !== "keychain") {
      throw fail(
        path,
        `token_storage must be "file" or "keychain", found "${r.token_storage}"`,
        keyLine("token_storage"),
      );
    }
    config.token_storage = r.token_storage;
  }
  config.trusted_sites = stringList(
    r.trusted_sites,
    "trusted_sites",
    path,
    keyLine("trusted_sites"),
  );
  config.scopes = stringList(r.scopes, "scopes", path, keyLine("scopes"));
  if (r.profiles !== undefined && r.profiles !== null) {
    if (typeof r.profiles !== "object" || Array.isArray(r.profiles)) {
      throw fail(path, "profiles must be a mapping of org names", keyLine("profiles"));
    }
    config.profiles = {};
    for (const [org, p] of Object.entries(r.profiles as Record<string, unknown>)) {
      if (p === null || typeof p !== "object" || Array.isArray(p)) {
        throw fail(path, `profiles.${org} must be a mapping with scopes`);
      }
      if (!ORG_NAME.test(org) || org === "__default__") {
        throw fail(
          path,
          `profiles: "${org}" is not an org name (1-64 letters, digits, '.', '_' or '-')`,
        );
      }
      for (const key of Object.keys(p)) {
        if (key !== "scopes") {
          throw fail(path, `unknown key "profiles.${org}.${key}" (expected scopes)`);
        }
      }
      config.profiles[org] = {
        scopes: stringList((p as Record<string, unknown>).scopes, `profiles.${org}.scopes`, path),
      };
    }
  }
  return config;
}
