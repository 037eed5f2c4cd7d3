/**
 * @module
 * `config.yaml` in the config folder (CONTRACT §7): `site`, `org`, `token_storage`,
 * `trusted_sites`, `scopes`, `profiles.<org>.scopes`. A malformed file is an error naming the
 * file and line; a missing one is an empty config. The YAML parser is loaded only when a file
 * exists, so start-up pays nothing for it.
 */
import { join } from "node:path";
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

function stringList(v: unknown, key: string, path: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v.split(/[,\s]+/).filter(Boolean);
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
  throw fail(path, `${key} must be a list of strings`);
}

/** Reads config.yaml; `{}` when there is none. */
export async function loadConfig(dir: string): Promise<Config> {
  const path = configPath(dir);
  const text = await readTextFile(path);
  if (text === undefined || text.trim() === "") return {};
  const { parseDocument } = await import("yaml");
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw fail(path, e.message.split("\n")[0], e.linePos?.[0]?.line);
  }
  const raw = doc.toJS() as unknown;
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw fail(path, "expected a mapping of keys");
  const r = raw as Record<string, unknown>;
  const known = new Set(["site", "org", "token_storage", "trusted_sites", "scopes", "profiles"]);
  for (const key of Object.keys(r)) {
    if (!known.has(key)) throw fail(path, `unknown key "${key}" (known: ${[...known].join(", ")})`);
  }
  const config: Config = {};
  for (const key of ["site", "org"] as const) {
    if (r[key] === undefined || r[key] === null) continue;
    if (typeof r[key] !== "string") throw fail(path, `${key} must be a string`);
    config[key] = r[key] as string;
  }
  if (r.token_storage !== undefined && r.token_storage !== null) {
    if (r.token_storage !== "file" && r.token_storage !== "keychain") {
      throw fail(path, `token_storage must be "file" or "keychain", found "${r.token_storage}"`);
    }
    config.token_storage = r.token_storage;
  }
  config.trusted_sites = stringList(r.trusted_sites, "trusted_sites", path);
  config.scopes = stringList(r.scopes, "scopes", path);
  if (r.profiles !== undefined && r.profiles !== null) {
    if (typeof r.profiles !== "object" || Array.isArray(r.profiles)) {
      throw fail(path, "profiles must be a mapping of org names");
    }
    config.profiles = {};
    for (const [org, p] of Object.entries(r.profiles as Record<string, unknown>)) {
      if (p === null || typeof p !== "object" || Array.isArray(p)) {
        throw fail(path, `profiles.${org} must be a mapping`);
      }
      config.profiles[org] = {
        scopes: stringList((p as Record<string, unknown>).scopes, `profiles.${org}.scopes`, path),
      };
    }
  }
  return config;
}
