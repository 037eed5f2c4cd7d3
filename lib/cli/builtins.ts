/**
 * @module
 * pup's own commands (auth, api, completion): their words, options and help, with their code
 * loaded lazily. They are in every run's part of the command table (lib/cli/table.ts).
 */
import type { CommandSpec } from "./spec.ts";

const authLogin: CommandSpec = {
  path: ["auth", "login"],
  positionals: [],
  summary: "Log in to Datadog in your browser (OAuth2 with PKCE)",
  description:
    "Registers pup with the site if needed, opens Datadog's authorization page, waits for the\n" +
    "callback on 127.0.0.1, and stores the tokens in the OS keychain (or a 0600 file).",
  options: {
    site: {
      type: "string",
      description: "Datadog site, e.g. datadoghq.eu (default: DD_SITE, config, datadoghq.com)",
      valueName: "site",
    },
    "org-uuid": {
      type: "string",
      description: "pre-select the org by UUID (sent as dd_oid; remembered with the session)",
      valueName: "uuid",
    },
    subdomain: {
      type: "string",
      description: "open the consent page on <name>.<site> (SSO tenants; not stored)",
      valueName: "name",
    },
    scopes: {
      type: "string",
      description: "comma-separated scopes to request instead of the defaults",
      valueName: "a,b",
    },
    "extra-scopes": {
      type: "string",
      description: "comma-separated scopes to request in addition",
      valueName: "a,b",
    },
    "read-only": { type: "boolean", description: "request only read scopes" },
    "callback-port": {
      type: "string",
      description:
        "pin the callback port: 8000, 8080, 8888 or 9000 (or PUP_OAUTH_CALLBACK_PORT); no fallback",
      valueName: "port",
    },
    timeout: {
      type: "string",
      description: "seconds to wait for the browser callback (default 300, at most 2147483)",
      valueName: "seconds",
    },
    "no-browser": {
      type: "boolean",
      description: "do not open a browser: print the URL, accept the callback or a pasted URL",
    },
    device: {
      type: "boolean",
      description: "use the device login (RFC 8628) where the server offers it",
    },
  },
  examples: [
    "pup auth login",
    "pup auth login --site datadoghq.eu",
    "pup auth login --org staging-child",
    "PUP_OAUTH_CALLBACK_PORT=8000 pup auth login --org acme",
  ],
  load: () => import("../commands/auth_login.ts"),
};

const authStatus: CommandSpec = {
  path: ["auth", "status"],
  positionals: [],
  summary: "Show whether you are logged in, to which site and org, and until when",
  description: "Exits 0 when the session is usable and 4 when it is not.",
  options: {
    site: { type: "string", description: "Datadog site to check", valueName: "site" },
  },
  examples: ["pup auth status", "pup auth status -o json >/dev/null || pup auth login"],
  load: () => import("../commands/auth_status.ts"),
};

const authRefresh: CommandSpec = {
  path: ["auth", "refresh"],
  positionals: [],
  summary: "Refresh the access token now with the refresh token",
  description: "pup refreshes automatically before API calls; this forces it.",
  options: {},
  examples: ["pup auth refresh", "pup auth refresh --org prod-child"],
  load: () => import("../commands/auth_refresh.ts"),
};

const authLogout: CommandSpec = {
  path: ["auth", "logout"],
  positionals: [],
  summary: "Log out of one session (the default one of the current site, or --org)",
  description:
    "Logging out the default session also deletes the site's shared client registration;\n" +
    "named sessions on that site then cannot refresh until the next 'pup auth login'.\n" +
    "There is no --site flag: set DD_SITE to pick the site.",
  options: {},
  examples: [
    "pup auth logout",
    "DD_SITE=datadoghq.eu pup auth logout",
    "pup auth logout --org staging-child",
  ],
  load: () => import("../commands/auth_logout.ts"),
};

const authList: CommandSpec = {
  path: ["auth", "list"],
  positionals: [],
  summary: "List every stored session with its site, org, scopes, expiry and status",
  options: {},
  examples: ["pup auth list", "pup auth list -o json"],
  load: () => import("../commands/auth_list.ts"),
};

const authToken: CommandSpec = {
  path: ["auth", "token"],
  positionals: [],
  summary: "Print the access token (refreshed if needed) for scripts",
  description: "Writes the token only when stdout is not a terminal (a pipe, a file, $(…)).\n" +
    "On a terminal it prints nothing secret unless --show is given.",
  options: {
    show: { type: "boolean", description: "print the token even on a terminal" },
    json: {
      type: "boolean",
      description: "print {access_token, expires_at, site, org, scopes} as one JSON object",
    },
    "min-ttl": {
      type: "string",
      description: "refresh first when the token expires within this many seconds",
      valueName: "seconds",
    },
  },
  examples: [
    'curl -H "Authorization: Bearer $(pup auth token)" https://api.datadoghq.com/api/v1/validate',
    "pup auth token --json --min-ttl 600 | jq -r .access_token",
  ],
  load: () => import("../commands/auth_token.ts"),
};

const api: CommandSpec = {
  path: ["api"],
  positionals: [{ name: "path", missing: "an API path, e.g. /api/v1/validate" }],
  summary: "Make an authenticated request to any Datadog API endpoint",
  description:
    "Like 'gh api': prints the JSON answer; a non-2xx answer exits 1 with Datadog's errors.",
  options: {
    method: {
      type: "string",
      short: "X",
      description: "HTTP method (default GET, or POST with --data)",
      valueName: "method",
    },
    data: {
      type: "string",
      short: "d",
      description: "request body: JSON text, @file, or - for stdin",
      valueName: "json|@file|-",
    },
    header: {
      type: "string",
      short: "H",
      multiple: true,
      description: "extra request header 'Name: value' (repeatable)",
      valueName: "header",
    },
    raw: { type: "boolean", description: "print the body as received, without pretty-printing" },
  },
  examples: [
    "pup api /api/v1/validate",
    "pup api /api/v2/users -X GET",
    `pup api /api/v1/monitor -X POST -d @monitor.json`,
  ],
  load: () => import("../commands/api.ts"),
};

const authScopes: CommandSpec = {
  path: ["auth", "scopes"],
  positionals: [],
  summary: "List the default and read-only scopes and the scopes each command needs",
  options: {},
  examples: ["pup auth scopes", "pup auth scopes -o json"],
  table: true,
  load: () => import("../commands/auth_scopes.ts"),
};

const completion: CommandSpec = {
  path: ["completion"],
  positionals: [{ name: "shell", missing: "a shell: bash, zsh, fish or powershell" }],
  summary: "Print a shell completion script (bash, zsh, fish or powershell)",
  options: {},
  examples: [
    "pup completion bash > /etc/bash_completion.d/pup",
    'pup completion zsh > "${fpath[1]}/_pup"',
    "pup completion fish > ~/.config/fish/completions/pup.fish",
    "pup completion powershell | Out-String | Invoke-Expression",
  ],
  table: true,
  load: () => import("../commands/completion.ts"),
};

/** pup's own commands that come before the API families in the table (and in help). */
export const BUILTIN_COMMANDS: readonly CommandSpec[] = [
  authLogin,
  authStatus,
  authRefresh,
  authLogout,
  authList,
  authToken,
  authScopes,
  api,
];

/** pup's own commands that come after the API families. */
export const BUILTIN_LAST: readonly CommandSpec[] = [completion];

/** The one-line description of pup's own command group, for help. */
export const BUILTIN_GROUPS: Readonly<Record<string, string>> = {
  auth: "Log in, inspect and manage OAuth2 sessions",
};
