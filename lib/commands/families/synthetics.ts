/**
 * @module
 * `pup synthetics tests …`: Datadog's v1 Synthetic tests API (scope synthetics_read).
 */
import { pageNumberFlags, pageNumberPaging } from "./common.ts";
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
      ...pageNumberFlags("tests"),
    },
    items: "tests",
    paging: pageNumberPaging("page_number", "page_size"),
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
