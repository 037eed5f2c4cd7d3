/**
 * @module
 * What every command receives: the dependencies, the global options, and lazily made shared
 * things (config folder, config.yaml, the token store), so a command that needs none of them
 * pays for none.
 */
import type { Deps } from "../deps.ts";
import { type Line, writeErr } from "../text.ts";
import { redactUrl } from "../api/redact.ts";
import { type Config, loadConfig } from "../session/config.ts";
import { readSessions, type SessionEntry, validateOrgName } from "../session/sessions.ts";
import { configDir, type FileDeps } from "../store/config_dir.ts";
import { exit, onInterrupt } from "../runtime/process.ts";
import type { SignalHooks } from "../store/held_files.ts";

/** The real process's signals and exit, for what lib/store holds (locks, temp files). */
const PROCESS_SIGNALS: SignalHooks = { onInterrupt, exit: (code) => void exit(code) };
import type { LockDeps } from "../store/lock.ts";
import { selectStore } from "../store/select.ts";
import type { StateStore } from "../store/state_store.ts";

/** The options every command takes (CONTRACT §9). */
export interface GlobalOptions {
  org?: string;
  output?: "table" | "json" | "yaml";
  trustSite: boolean;
  verbose: boolean;
}

/**
 * A command as a command that lists commands (completion, `auth scopes`) sees it: its words,
 * flags, scopes and request. The runner hands the table in, so no command imports the table
 * that loads it (which would be a cycle).
 */
export interface CommandEntry {
  path: string[];
  summary?: string;
  options: Record<string, { type: string; short?: string; description: string }>;
  /** The OAuth scopes it needs (for `pup auth scopes`). */
  scopes?: string[];
  /** The request it makes, e.g. `GET /api/v1/monitor`. */
  request?: string;
}

/**
 * A command's view of the world. Lower layers never import it: each takes a narrow structural
 * interface of its own (e.g. `Pick<Deps, "fetch" | "clock">` plus a config dir), which this
 * object satisfies, so commands pass `ctx` where those are asked for.
 */
export class Context {
  readonly deps: Deps;
  readonly globals: GlobalOptions;
  readonly dir: string;
  /**
   * The command table: whole for a command that declares `table` (completion, `auth scopes`),
   * else the part the runner built for this command line (lib/cli/table.ts).
   */
  readonly commands: readonly CommandEntry[];
  /** One-line descriptions of the command groups (`monitors`, `auth`, …), for completion. */
  readonly groups: Readonly<Record<string, string>>;
  #config?: Promise<Config>;
  #sessions?: Promise<SessionEntry[]>;
  #store?: Promise<StateStore>;

  constructor(
    deps: Deps,
    globals: GlobalOptions,
    extra: {
      commands?: readonly CommandEntry[];
      groups?: Readonly<Record<string, string>>;
    } = {},
  ) {
    this.deps = deps;
    this.globals = globals;
    this.commands = extra.commands ?? [];
    this.groups = extra.groups ?? {};
    this.dir = configDir(deps.env, deps.host.homeDir);
  }

  /** config.yaml (read once). */
  config(): Promise<Config> {
    return this.#config ??= loadConfig(this.dir, { uid: this.deps.host.uid });
  }

  /**
   * sessions.json as this command first read it (read once). For look-ups only: a change goes
   * through `updateSessions`, which reads the file afresh under its lock.
   */
  sessions(): Promise<SessionEntry[]> {
    return this.#sessions ??= readSessions(this.dir, { uid: this.deps.host.uid });
  }

  /** The token store chosen by DD_TOKEN_STORAGE / token_storage / detection (made once). */
  store(): Promise<StateStore> {
    return this.#store ??= this.config().then((config) => selectStore(this, config));
  }

  /** The org asked for: `--org`, else `DD_ORG`, else `org:` in config.yaml; validated. */
  async org(): Promise<string | undefined> {
    const org = this.globals.org ?? (this.deps.env.DD_ORG || undefined) ??
      (await this.config()).org;
    return org === undefined ? undefined : validateOrgName(org);
  }

  /**
   * What the OAuth calls need: the clock and a fetch that, with `-v`, prints each request's
   * method, URL (credentials redacted) and status on stderr — never a header or a body, which
   * carry codes, secrets and tokens.
   */
  get oauth(): { fetch: typeof fetch; clock: Deps["clock"] } {
    const { fetch, clock } = this.deps;
    if (!this.globals.verbose) return { fetch, clock };
    const logged: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      const method = init?.method ?? (input instanceof Request ? input.method : "GET");
      const started = clock.now();
      this.info(`> ${method} ${redactUrl(url)}`);
      try {
        const res = await fetch(input, init);
        this.info(`< ${res.status} (${clock.now() - started} ms)`);
        return res;
      } catch (err) {
        this.info(`< failed after ${clock.now() - started} ms`);
        throw err;
      }
    };
    return { fetch: logged, clock };
  }

  /**
   * What locks and the safe file module (lib/store) take: the clock, randomness, this
   * process's pid and uid, and its signal hooks (a held lock or temp file is removed on
   * SIGINT/SIGTERM/SIGHUP, then the process exits with 130/143/129).
   */
  get lockDeps(): LockDeps & FileDeps {
    const { clock, randomBytes, host } = this.deps;
    return {
      clock,
      randomBytes,
      pid: host.pid,
      uid: host.uid,
      processExists: host.processExists,
      // The process's own signals, not `host.onInterrupt`: Host has no `exit`, and a test's
      // fake interrupt (one handler, for the command's own Ctrl-C) must not end the runner.
      signals: PROCESS_SIGNALS,
    };
  }

  /** Writes a line to stderr (text, or pieces with pup's own control sequences). */
  info(line: Line): void {
    writeErr(this.deps.io, typeof line === "string" ? line + "\n" : [...line, "\n"]);
  }

  /** Writes a line to stdout. */
  print(line: string): void {
    this.deps.io.out(line + "\n");
  }
}
