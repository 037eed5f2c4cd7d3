/**
 * @module
 * Every API family's commands, all at once: for help, completion, `pup auth scopes` and tests.
 * The family files are data (no code but a few table renderers); a run of one command loads
 * only its own family (`groups.ts`), and the generic runner that makes the requests only when
 * the command runs.
 */
import type { CommandSpec } from "../../cli/spec.ts";
import type { ApiCommandDef } from "./types.ts";
import { specOf } from "./specs.ts";
import { MONITORS } from "./monitors.ts";
import { DASHBOARDS } from "./dashboards.ts";
import { DOWNTIME } from "./downtime.ts";
import { SLOS } from "./slos.ts";
import { INCIDENTS } from "./incidents.ts";
import { SYNTHETICS } from "./synthetics.ts";
import { SECURITY } from "./security.ts";
import { RUM } from "./rum.ts";
import { INFRASTRUCTURE } from "./infrastructure.ts";
import { USERS } from "./users.ts";
import { CASES } from "./cases.ts";
import { EVENTS } from "./events.ts";
import { LOGS } from "./logs.ts";
import { METRICS } from "./metrics.ts";
import { USAGE } from "./usage.ts";
import { APM } from "./apm.ts";

/** Every declared API command, family by family. */
export const API_COMMANDS: ApiCommandDef[] = [
  ...MONITORS,
  ...DASHBOARDS,
  ...DOWNTIME,
  ...SLOS,
  ...INCIDENTS,
  ...SYNTHETICS,
  ...SECURITY,
  ...RUM,
  ...INFRASTRUCTURE,
  ...USERS,
  ...CASES,
  ...EVENTS,
  ...LOGS,
  ...METRICS,
  ...USAGE,
  ...APM,
];

/** Every family command as a command table entry. */
export const FAMILY_COMMANDS: CommandSpec[] = API_COMMANDS.map(specOf);

export { FAMILY_GROUPS } from "./groups.ts";
export { requestText, specOf } from "./specs.ts";
