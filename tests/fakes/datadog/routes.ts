/**
 * @module
 * Route factories for the fake's list-and-item families: a paged list, and one item's GET,
 * PUT and DELETE by id with Datadog's 404. Each family keeps its own answer shape.
 */
import type { Hono } from "hono";
import { apiError, byOffset, byPage } from "./paging.ts";
import type { C, Env } from "./types.ts";

/** A family's items, how a path names one (default its `id`) and its 404 message. */
export interface Items<T> {
  list: () => T[];
  key?: (item: T) => string;
  notFound: string;
}

const keyOf = <T>(items: Items<T>) => items.key ?? ((x: T) => String((x as { id: unknown }).id));

const indexOf = <T>(items: Items<T>, c: C) =>
  items.list().findIndex((x) => keyOf(items)(x) === c.req.param("id"));

/** The items whose `text` holds `needle`, case aside; all of them when there is none. */
export function containing<T>(list: T[], needle: string | undefined, text: (x: T) => string) {
  return needle ? list.filter((x) => text(x).toLowerCase().includes(needle.toLowerCase())) : list;
}

/**
 * `GET path`: the items `select` keeps, one page of them by offset or by page number (the
 * two query parameters `params`, a page size of `size[0]` by default and `size[1]` at most),
 * answered as `answer` shapes it; a bad paging parameter is Datadog's 400.
 */
export function listRoute<T>(app: Hono<Env>, path: string, o: {
  select: (c: C) => T[];
  by: "offset" | "page";
  params: [string, string];
  size: [number, number];
  answer: (page: T[], all: T[], c: C) => unknown;
}): void {
  app.get(path, (c) => {
    const all = o.select(c);
    const pageOf = o.by === "offset" ? byOffset : byPage;
    const [start, size] = o.params;
    const r = pageOf(all, c.req.query(start), c.req.query(size), o.size[0], o.size[1], o.params);
    if (typeof r === "string") return apiError(c, 400, r);
    return c.json(o.answer(r, all, c));
  });
}

/** `GET path/:id`: the item, as `answer` shapes it, or a 404. */
export function getRoute<T>(
  app: Hono<Env>,
  path: string,
  items: Items<T>,
  answer: (item: T) => unknown = (x) => x,
): void {
  app.get(`${path}/:id`, (c) => {
    const x = items.list()[indexOf(items, c)];
    return x ? c.json(answer(x)) : apiError(c, 404, items.notFound);
  });
}

/**
 * `PUT path/:id`: a 404 for an unknown id, else the body `read` gives (or its error answer)
 * merged over the item, its id kept; answered as `answer` shapes the updated item.
 */
export function updateRoute<T extends { id: unknown }>(
  app: Hono<Env>,
  path: string,
  items: Items<T>,
  read: (c: C) => Record<string, unknown> | Response,
  answer: (item: T) => unknown = (x) => x,
): void {
  app.put(`${path}/:id`, (c) => {
    const list = items.list();
    const i = indexOf(items, c);
    if (i < 0) return apiError(c, 404, items.notFound);
    const b = read(c);
    if (b instanceof Response) return b;
    list[i] = { ...list[i], ...b, id: list[i].id };
    return c.json(answer(list[i]));
  });
}

/** `DELETE path/:id`: a 404 for an unknown id, else the item removed, answered as `answer` says. */
export function deleteRoute<T>(
  app: Hono<Env>,
  path: string,
  items: Items<T>,
  answer: (gone: T) => unknown,
): void {
  app.delete(`${path}/:id`, (c) => {
    const i = indexOf(items, c);
    if (i < 0) return apiError(c, 404, items.notFound);
    return c.json(answer(items.list().splice(i, 1)[0]));
  });
}
