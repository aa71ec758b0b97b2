// Scenario validation problems in our own words, at the expected-graph validator's standard: one
// problem per unknown key, pointing at that key, with "did you mean"; a value outside its range or set
// named with what is allowed; a missing field called missing. The schema's own messages (schema.ts)
// are kept; the validation library's generic texts ("Too big: expected number to be <=20", "Invalid key
// in record") never reach the user. Pure.
import type { z } from 'zod';
import { closest } from '../analysis/expected-graph-validate.ts';
import type { ScenarioIssue } from './errors.ts';
import { STEP_KINDS_TEXT } from './values.ts';

type Issue = z.core.$ZodIssue & { input?: unknown };
type RawIssue = z.core.$ZodRawIssue & { schema?: { _zod?: { def?: { shape?: Record<string, unknown> } } } };

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping (key: value lines, or { key: value })',
  array: 'a list (- item lines, or [a, b])',
  string: 'text',
  number: 'a number',
  boolean: 'true or false',
  int: 'a whole number',
};

export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null (an empty value)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 50)}... (${text.length} characters)` : text;
}

const unitOf = (origin: string | undefined): string => (origin === 'array' ? ' items' : origin === 'string' ? ' characters' : '');
const sizeOf = (input: unknown): string =>
  Array.isArray(input) ? `${input.length} item${input.length === 1 ? '' : 's'}` : typeof input === 'string' ? `text of ${input.length} characters` : describeValue(input);

/** The error map for parse(): the library's default texts, in our words (the schema's own win over it). */
export function scenarioErrorMap(iss: RawIssue): string | undefined {
  const input: unknown = iss.input;
  switch (iss.code) {
    case 'invalid_type': {
      const want = TYPE_WORDS[iss.expected] ?? iss.expected;
      return input === undefined ? `missing; expected ${want}` : `expected ${want}, got ${describeValue(input)}`;
    }
    case 'too_big':
      return `${sizeOf(input)} is too ${Array.isArray(input) ? 'many' : typeof input === 'string' ? 'long' : 'large'}; expected at most ${String(iss.maximum)}${unitOf(iss.origin)}`;
    case 'too_small':
      return `${sizeOf(input)} is too ${Array.isArray(input) ? 'few' : typeof input === 'string' ? 'short' : 'small'}; expected at least ${String(iss.minimum)}${unitOf(iss.origin)}`;
    case 'invalid_value':
      return `${describeValue(input)} is not allowed; expected one of: ${iss.values.map((v) => String(v)).join(', ')}`;
    case 'invalid_format':
      return `${describeValue(input)} does not have the expected form`;
    case 'invalid_key':
      return iss.issues[0]?.message ?? 'invalid key';
    case 'unrecognized_keys':
      return `unknown field${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'not_multiple_of':
      return `${describeValue(input)} is not a multiple of ${String(iss.divisor)}`;
    default:
      return `${describeValue(input)} is not valid here`;
  }
}

/** Remembers the fields allowed where an unknown key was found (the error map sees the schema). */
export function allowedKeysRecorder(): { map: (iss: RawIssue) => string | undefined; allowedAt: (path: readonly PropertyKey[]) => string[] } {
  const allowed = new Map<string, string[]>();
  return {
    map: (iss) => {
      if (iss.code === 'unrecognized_keys') allowed.set(JSON.stringify(iss.path ?? []), Object.keys(iss.schema?._zod?.def?.shape ?? {}));
      return scenarioErrorMap(iss);
    },
    allowedAt: (path) => allowed.get(JSON.stringify(path)) ?? [],
  };
}

const cleanPath = (path: readonly PropertyKey[]): (string | number)[] => path.filter((p): p is string | number => typeof p !== 'symbol');

/** `kind: connect` in a step: the step's kind is its key (`connect: {...}`), not a field. */
const isKindField = (path: readonly (string | number)[], key: string): boolean => path.length === 2 && path[0] === 'steps' && (key === 'kind' || key === 'type');

/** The field an unknown key was probably meant to be. */
function meantKey(path: readonly (string | number)[], key: string, allowed: readonly string[]): string | null {
  return isKindField(path, key) ? null : closest(key, allowed);
}

function unknownKeyIssue(path: (string | number)[], key: string, allowed: readonly string[]): ScenarioIssue {
  if (isKindField(path, key)) {
    return { path: [...path, key], message: `unknown field "${key}"; a step says what it does by its key: ${STEP_KINDS_TEXT} (see docs/scenarios.md)` };
  }
  const hint = meantKey(path, key, allowed);
  return { path: [...path, key], message: `unknown field "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}${allowed.length > 0 ? `; expected one of: ${allowed.join(', ')}` : ''}` };
}

/** The library's issues as ours: one per unknown key, did-you-mean for set values, "missing" said so. */
export function scenarioSchemaIssues(issues: readonly Issue[], allowedAt: (path: readonly PropertyKey[]) => string[]): ScenarioIssue[] {
  const out: ScenarioIssue[] = [];
  // `adress:` given, `address:` missing: the unknown key's did-you-mean says it all.
  const meant = new Set(issues.flatMap((i) => (i.code === 'unrecognized_keys' ? i.keys.map((k) => JSON.stringify([...cleanPath(i.path), meantKey(cleanPath(i.path), k, allowedAt(i.path))])) : [])));
  for (const i of issues) {
    const path = cleanPath(i.path);
    if (i.code === 'invalid_type' && i.input === undefined && meant.has(JSON.stringify(path))) continue;
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys) out.push(unknownKeyIssue(path, k, allowedAt(i.path)));
      continue;
    }
    let message = i.message;
    if (i.code === 'invalid_type' && i.input === undefined && !message.startsWith('missing')) message = `missing; ${message}`;
    if (i.code === 'invalid_value' && typeof i.input === 'string' && !message.includes('did you mean')) {
      const hint = closest(i.input, i.values.map(String));
      if (hint) message = message.replace(/;|$/, ` (did you mean "${hint}"?);`).replace(/;$/, '');
    }
    // A library text that no map replaced (a safety net: every message starts lower-case, in our words).
    if (/^[A-Z]/.test(message)) message = `${describeValue(i.input)} is not valid here`;
    out.push({ path, message });
  }
  return out;
}

/**
 * The data without what the schema refused (unknown keys, invalid values), so the cross-references can
 * be checked in the same pass: a scenario with a typo in one key still hears about its unknown
 * namespace. Returns null when removing is not enough (a required field is wrong).
 */
export function withoutRefused(data: unknown, issues: readonly Issue[], allowedAt: (path: readonly PropertyKey[]) => string[]): unknown {
  let copy: unknown;
  try {
    copy = structuredClone(data);
  } catch {
    return null; // a value only YAML tags make (nothing a scenario holds): no second pass
  }
  for (const i of issues) {
    const path = cleanPath(i.path);
    if (i.code === 'unrecognized_keys') renameTypos(nodeAt(copy, path), i.keys.map((k) => [k, meantKey(path, k, allowedAt(i.path))] as const));
    if (i.code === 'invalid_type' && i.input === undefined) {
      // Missing: nothing to remove (a typo may have been renamed into it). A step without `from` is
      // checked as if it ran on the node, so its other references are still looked at.
      const owner = nodeAt(copy, path.slice(0, -1));
      if (path.length === 3 && path[0] === 'steps' && path[2] === 'from' && isPlainObject(owner)) owner['from'] = 'node';
      continue;
    }
    const keys = i.code === 'unrecognized_keys' ? i.keys.map((k) => [...path, k]) : [path];
    for (const p of keys) {
      if (p.length === 0) return null;
      const node = nodeAt(copy, p.slice(0, -1));
      const last = p[p.length - 1]!;
      if (!isPlainObject(node) || typeof last !== 'string') return null;
      delete (node as Record<string, unknown>)[last];
    }
  }
  return copy;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;

function nodeAt(root: unknown, path: readonly (string | number)[]): unknown {
  let node = root;
  for (const seg of path) node = node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[seg] : undefined;
  return node;
}

/** `adress: x` where `address` is missing becomes `address: x`, so the rest can be checked as meant. */
function renameTypos(node: unknown, typos: ReadonlyArray<readonly [string, string | null]>): void {
  if (!isPlainObject(node)) return;
  const obj = node as Record<string, unknown>;
  for (const [k, hint] of typos) {
    if (hint !== null && !(hint in obj)) {
      obj[hint] = obj[k];
      delete obj[k];
    }
  }
}
