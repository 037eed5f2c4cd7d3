/**
 * @module
 * A declared API command as an entry of the command table: its options (flags, and `--limit`,
 * `--all`, `--file`, `--yes` from what it declares), its request line for help, and the
 * generic runner, loaded only when it runs.
 */
import type { CommandSpec, OptionSpec } from "../../cli/spec.ts";
import type { ApiCommandDef } from "./types.ts";

/** The request line for help: `GET /api/v1/monitor?name=&monitor_tags=&page=&page_size=`. */
export function requestText(def: ApiCommandDef): string {
  const params = new Set<string>(Object.keys(def.query ?? {}));
  for (const f of Object.values(def.flags ?? {})) if (f.query) params.add(f.query);
  const p = def.paging;
  if (p && p.kind !== "none" && p.in !== "body") {
    for (
      const name of p.kind === "page-number"
        ? [p.page, p.size]
        : p.kind === "offset"
        ? [p.offset, p.size]
        : [p.cursor, p.size]
    ) {
      if (name) params.add(name);
    }
  }
  const q = [...params].map((k) => `${k}=`).join("&");
  return `${def.method} ${def.endpoint}${q ? `?${q}` : ""}${def.file ? " (body: --file)" : ""}`;
}

function optionsOf(def: ApiCommandDef): Record<string, OptionSpec> {
  const out: Record<string, OptionSpec> = {};
  for (const [name, f] of Object.entries(def.flags ?? {})) {
    out[name] = f.as === "bool"
      ? { type: "boolean", description: f.description }
      : { type: "string", description: f.description, valueName: f.valueName ?? "value" };
  }
  if (def.items !== undefined) {
    out.limit = {
      type: "string",
      description: `at most this many items (default ${def.limit ?? 100})`,
      valueName: "n",
    };
    if (def.paging && def.paging.kind !== "none") {
      out.all = { type: "boolean", description: "read every page (bounded at 1000 pages)" };
    }
  }
  if (def.file) {
    out.file = {
      type: "string",
      description: "the request body: a JSON or YAML file, - for stdin",
      valueName: "file",
    };
  }
  if (def.confirm) out.yes = { type: "boolean", description: "do not ask for confirmation" };
  return out;
}

/** The command table entry of a declared command. */
export function specOf(def: ApiCommandDef): CommandSpec {
  return {
    path: def.path,
    summary: def.summary,
    description: def.description,
    positionals: (def.positionals ?? []).map((name) => ({ name })),
    positionalHint: def.positionalHint,
    options: optionsOf(def),
    scopes: def.scopes,
    request: requestText(def),
    examples: def.examples,
    load: () => import("./runner.ts").then((m) => m.moduleFor(def)),
  };
}
