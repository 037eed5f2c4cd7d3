/**
 * @module
 * Scopes as data at run time: who is calling (a session's granted scopes, DD_ACCESS_TOKEN or
 * API keys), the one-line warning before a call that lacks a command's scope, and the request
 * itself, whose 403 names the scope and the login that adds it.
 */
import type { Context } from "../../cli/context.ts";
import { PupError } from "../../errors.ts";
import { safeText } from "../../text.ts";
import type { ApiClient, ApiRequest } from "../../api/client.ts";
import { serverLine } from "../../api/errors.ts";
import { orgKey } from "../../session/resolve.ts";
import type { RunOptions } from "./request.ts";
import type { ApiCommandDef } from "./types.ts";

/** Who is calling and with which granted scopes (a session's), for scope hints. */
export interface Caller {
  source: "access_token_env" | "session" | "api_keys";
  org: string | undefined;
  scopes?: string[];
}

/**
 * Who is calling, for the site and org `client` sends to (resolved once, by the client: a
 * second resolution would repeat its warnings).
 */
export async function caller(ctx: Context, client: Pick<ApiClient, "target">): Promise<Caller> {
  const { site, org } = await client.target();
  if (ctx.deps.env.DD_ACCESS_TOKEN?.trim()) return { source: "access_token_env", org };
  const token = (await (await ctx.store()).read(site, { reuse: true })).tokens[orgKey(org)];
  if (!token) return { source: "api_keys", org };
  return { source: "session", org, scopes: String(token.scope ?? "").split(/\s+/) };
}

function loginHint(c: Caller, scopes: string[]): string {
  return `pup auth login${c.org ? ` --org ${c.org}` : ""} --extra-scopes ${scopes.join(",")}`;
}

/** The one-line warning for a session that lacks a scope the command needs, if it does. */
export function scopeWarning(def: ApiCommandDef, c: Caller): string | undefined {
  if (!c.scopes) return undefined;
  const missing = def.scopes.filter((s) => !c.scopes!.includes(s));
  if (missing.length === 0) return undefined;
  return `warning: your session lacks the scope ${missing.join(", ")} that 'pup ${
    def.path.join(" ")
  }' needs; add it with '${loginHint(c, missing)}'`;
}

/** Sends one request; a 403 names the command's scopes and the login that adds them. */
export async function call(
  client: ApiClient,
  opts: RunOptions,
  c: Caller,
  req: ApiRequest,
): Promise<unknown> {
  const res = await client.send(req);
  try {
    await client.check(res);
  } catch (err) {
    if (res.status !== 403 || !(err instanceof PupError) || c.source === "api_keys") throw err;
    const name = opts.def.path.join(" ");
    throw new PupError("api", err.message, {
      hint:
        `'pup ${name}' needs the scope ${opts.def.scopes.join(", ")}: log in again with it: ${
          loginHint(c, opts.def.scopes)
        }` + (c.source === "access_token_env" ? " (and unset DD_ACCESS_TOKEN)" : ""),
      status: res.status,
    });
  }
  if (res.text.trim() === "") return undefined;
  try {
    return JSON.parse(res.text);
  } catch {
    throw new PupError(
      "api",
      `request ${res.method} ${safeText(res.path)} returned malformed JSON: expected a JSON ` +
        `document, found "${serverLine(res.text, 120)}"`,
    );
  }
}
