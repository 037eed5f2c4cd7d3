/**
 * @module
 * Dot paths into JSON values (`meta.page.after`, `filter.query`), for command data.
 */

/** The value at a dot path; "" is the value itself; undefined when any step is missing. */
export function getPath(value: unknown, path: string): unknown {
  if (path === "") return value;
  let v: unknown = value;
  for (const key of path.split(".")) {
    if (v === null || typeof v !== "object" || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** Sets the value at a dot path, making the objects on the way. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let o = target;
  for (const key of keys.slice(0, -1)) {
    const next = o[key];
    if (next === null || typeof next !== "object" || Array.isArray(next)) o[key] = {};
    o = o[key] as Record<string, unknown>;
  }
  o[keys[keys.length - 1]] = value;
}
