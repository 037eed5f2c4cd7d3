/**
 * @module
 * `pup users …`: Datadog's v2 users API (scope user_access_read).
 */
import { pageNumberFlags, pageNumberPaging } from "./common.ts";
import type { ApiCommandDef, ColumnDef } from "./types.ts";

const COLUMNS: ColumnDef[] = [
  { header: "ID", path: "id" },
  { header: "NAME", path: "attributes.name" },
  { header: "EMAIL", path: "attributes.email" },
  { header: "STATUS", path: "attributes.status" },
  { header: "CREATED", path: "attributes.created_at" },
];

/** The users family. */
export const USERS: ApiCommandDef[] = [
  {
    path: ["users", "list"],
    summary: "List users",
    method: "GET",
    endpoint: "/api/v2/users",
    flags: {
      ...pageNumberFlags("users"),
    },
    items: "data",
    paging: pageNumberPaging(),
    limit: 100,
    columns: COLUMNS,
    empty: "No users found.",
    scopes: ["user_access_read"],
    examples: ["pup users list", "pup users list --all -o json"],
  },
  {
    path: ["users", "get"],
    summary: "Show one user",
    method: "GET",
    endpoint: "/api/v2/users/{user_id}",
    positionals: ["user_id"],
    item: "data",
    columns: COLUMNS,
    scopes: ["user_access_read"],
    examples: ["pup users get 00000000-0000-0000-0000-000000000001"],
  },
  {
    path: ["users", "me"],
    summary: "Show the user pup is logged in as",
    method: "GET",
    endpoint: "/api/v2/current_user",
    item: "data",
    columns: COLUMNS,
    scopes: ["user_access_read"],
    examples: ["pup users me", "pup users me -o json"],
  },
];
