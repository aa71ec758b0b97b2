// Paths into plain data (parsed YAML), to replace one field of a real document in property tests.

export type FieldPath = (string | number)[];

/** Every path to a value in `data` (objects and arrays included, the root excluded), in document order. */
export function fieldPaths(data: unknown, prefix: FieldPath = []): FieldPath[] {
  const out: FieldPath[] = [];
  if (Array.isArray(data)) {
    data.forEach((v, i) => out.push([...prefix, i], ...fieldPaths(v, [...prefix, i])));
  } else if (typeof data === 'object' && data !== null) {
    for (const [k, v] of Object.entries(data)) out.push([...prefix, k], ...fieldPaths(v, [...prefix, k]));
  }
  return out;
}

/** Paths whose value is a string (the free-text and identifier fields of a document). */
export function stringPaths(data: unknown): FieldPath[] {
  return fieldPaths(data).filter((p) => typeof getAt(data, p) === 'string');
}

export function getAt(data: unknown, path: FieldPath): unknown {
  let v: unknown = data;
  for (const k of path) v = (v as Record<string | number, unknown> | null)?.[k];
  return v;
}

/** A deep copy of `data` with the value at `path` replaced. */
export function setAt<T>(data: T, path: FieldPath, value: unknown): T {
  const copy = structuredClone(data);
  let v: unknown = copy;
  for (const k of path.slice(0, -1)) v = (v as Record<string | number, unknown>)[k];
  (v as Record<string | number, unknown>)[path[path.length - 1]!] = value;
  return copy;
}
