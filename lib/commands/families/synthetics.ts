/**
 * @module
 * `pup synthetics tests …`: Datadog's v1 Synthetic tests API (scope synthetics_read).
 */
import type { ApiCommandDef, ColumnDef } from "./types.ts";

const COLUMNS: ColumnDef[] = [
  { header: "ID", path: "public_id" },
  { header: "NAME", path: "name" },
  { header: "TYPE", path: "type" },
  { header: "STATUS", path: "status" },
  { header: "LOCATIONS", path: "locations" },
  { header: "TAGS", path: "tags" },
];

/** The synthetics family. */
export const SYNTHETICS: ApiCommandDef[] = [
  {
    path: ["synthetics", "tests", "list"],
    summary: "List Synthetic tests",
    method: "GET",
    endpoint: "/api/v1/synthetics/tests",
    flags: {
      "page-number": { description: "start at this page (0-based)", valueName: "n", as: "int" },
      "page-size": { description: "tests per page (at most 100)", valueName: "n", as: "int" },
    },
    items: "tests",
    paging: {
      kind: "page-number",
      page: "page_number",
      size: "page_size",
      max: 100,
      startFlag: "page-number",
      sizeFlag: "page-size",
    },
    limit: 100,
    columns: COLUMNS,
    empty: "No Synthetic tests found.",
    scopes: ["synthetics_read"],
    examples: [
      "pup synthetics tests list",
      "pup synthetics tests list --page-size 10 --page-number 2",
    ],
  },
  {
    path: ["synthetics", "tests", "get"],
    summary: "Show one Synthetic test",
    method: "GET",
    endpoint: "/api/v1/synthetics/tests/{public_id}",
    positionals: ["public_id"],
    item: "",
    columns: COLUMNS,
    scopes: ["synthetics_read"],
    examples: ["pup synthetics tests get abc-def-ghi"],
  },
];
