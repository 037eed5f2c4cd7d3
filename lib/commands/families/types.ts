/**
 * @module
 * The shape of an API command as data (issue 11): its words, request, flags and where each
 * flag goes, the paging the API uses, the columns of its table and the scopes it needs. One
 * file per family under this folder declares its commands with these types and imports
 * nothing else, so the command table stays cheap to load; the one generic runner
 * (`runner.ts`) makes every request.
 */

/** How a flag's text becomes a request value. */
export type ValueKind =
  /** The text as given (trimmed). */
  | "text"
  /** A non-negative integer. */
  | "int"
  /** A comma-separated list, sent joined by commas (spaces around items dropped). */
  | "csv"
  /** A comma-separated list, sent as a JSON array (bodies only). */
  | "list"
  /** A time (lib/api/time.ts forms) sent as epoch seconds. */
  | "time-s"
  /** A time sent as epoch milliseconds. */
  | "time-ms"
  /** A time sent as ISO 8601 UTC. */
  | "time-iso"
  /** A time sent as its UTC month, `YYYY-MM`. */
  | "month"
  /** A boolean flag sent as `true` when given. */
  | "bool";

/** One flag of an API command. */
export interface FlagDef {
  description: string;
  valueName?: string;
  /** Default "text"; "bool" makes a boolean flag. */
  as?: ValueKind;
  /** The query parameter it sets. */
  query?: string;
  /** The body field it sets, as a dot path (`filter.query`). */
  body?: string;
  /** Used when the flag is absent (times: any accepted form, e.g. `15m`). */
  default?: string;
  /** The command refuses to run without it; the text is an example value for the message. */
  required?: string;
  /** What to say after "needs --flag" (default: where to find the flags). */
  requiredHint?: string;
  /** Turns the value (after `as`) into what the API takes, e.g. `count` → a compute object. */
  transform?: (value: unknown) => unknown;
}

/** How a list pages (issue 11: page numbers, offsets or cursors). */
export type Paging =
  | { kind: "none" }
  | {
    kind: "page-number";
    /** Where the page number and size go, and their names (query parameters or body paths). */
    in?: "query" | "body";
    page: string;
    /** Absent when the API's page size is fixed (then `max` is that size). */
    size?: string;
    /** The number of the first page (default 0). */
    first?: number;
    /** The largest page the API serves. */
    max: number;
    /** The flag that picks the first page to read (e.g. `page`, `page-number`). */
    startFlag?: string;
    /** The flag that sets the page size (e.g. `page-size`, `per-page`). */
    sizeFlag?: string;
    /** Dot path of the total page count in the answer, when the API gives one. */
    pageCount?: string;
  }
  | {
    kind: "offset";
    in?: "query" | "body";
    offset: string;
    size: string;
    max: number;
    startFlag?: string;
    sizeFlag?: string;
  }
  | {
    kind: "cursor";
    in?: "query" | "body";
    cursor: string;
    size: string;
    max: number;
    /** Dot path of the next cursor in the answer (e.g. `meta.page.after`). */
    next: string;
    startFlag?: string;
  };

/** One column of a table. */
export interface ColumnDef {
  header: string;
  /** Dot path into an item; "" is the item itself. */
  path: string;
  /** How to show it: epoch seconds or milliseconds as ISO 8601 UTC. Lists join with ",". */
  as?: "time-s" | "time-ms";
}

/** A table a command draws itself from the answer (metrics series, log aggregates). */
export type Render = (body: unknown) => { headers: string[]; rows: unknown[][] };

/** One API command. */
export interface ApiCommandDef {
  /** The words after `pup`, e.g. `["monitors", "get"]`. */
  path: string[];
  summary: string;
  description?: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** The API path; `{name}` is filled from the positional of that name. */
  endpoint: string;
  /** Positional arguments, in order (each one fills `{name}` in the endpoint). */
  positionals?: string[];
  flags?: Record<string, FlagDef>;
  /** A fixed body the flags add to (searches). */
  body?: Record<string, unknown>;
  /** Fixed query parameters. */
  query?: Record<string, string>;
  /** The body is read from `--file F` (JSON or YAML, `-` = stdin) and sent unchanged. */
  file?: boolean;
  /**
   * Asks before sending (delete, cancel); refuses without a terminal unless `--yes`. `{name}`
   * in either text is the positional of that name.
   */
  confirm?: { question: string; done: string };
  /** Where the list of items is in the answer: "" the answer itself, else a dot path. */
  items?: string;
  /** Where the one object is in the answer (get, create): "" or a dot path (`data`). */
  item?: string;
  paging?: Paging;
  /** Default `--limit` of a list (default 100). */
  limit?: number;
  columns?: ColumnDef[];
  render?: Render;
  /** An error the API reports inside a 200 answer (metrics query's `status: "error"`). */
  answerError?: (body: unknown) => string | undefined;
  /** What to print (stderr) when a list is empty, e.g. "No monitors found." */
  empty?: string;
  /** OAuth scopes it needs. */
  scopes: string[];
  examples: string[];
  /** Shown after "unexpected argument". */
  positionalHint?: string;
}
