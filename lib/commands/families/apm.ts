/**
 * @module
 * `pup apm services list`: the services that reported traces in an environment (scope apm_read).
 */
import { fromFlag, toFlag } from "./common.ts";
import type { ApiCommandDef } from "./types.ts";

/** The APM family. */
export const APM: ApiCommandDef[] = [
  {
    path: ["apm", "services", "list"],
    summary: "List APM services of an environment",
    method: "GET",
    endpoint: "/api/v2/apm/services",
    flags: {
      env: {
        description: "the environment, e.g. prod",
        valueName: "env",
        query: "filter[env]",
        required: "prod",
      },
      from: fromFlag("time-s", "1h", { query: "start" }),
      to: toFlag("time-s", { query: "end" }),
    },
    items: "data.attributes.services",
    paging: { kind: "none" },
    limit: 1000,
    columns: [{ header: "SERVICE", path: "" }],
    empty: "No services reported in that time.",
    scopes: ["apm_read"],
    examples: [
      "pup apm services list --env prod",
      "pup apm services list --env staging --from 1d -o json",
    ],
  },
];
