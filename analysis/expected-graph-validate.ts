// Validation of expected graphs: every problem is collected (never only the first), each with the
// dotted path of the field, what is wrong, what is expected, and the YAML line when known.
import {
  EXPECTED_GRAPH_VERSION,
  ExpectedGraphError,
  type CallStep,
  type CountSpec,
  type Expectation,
  type ExpectedGraph,
  type ExpectedGraphInput,
  type GraphError,
  type GraphPath,
  type Step,
} from './expected-graph-types.ts';
import { normaliseSymbol } from './normalise.ts';
import { knownRoleKeys, parseRoleKey } from './roles.ts';
import type { SectionSpec } from './section.ts';

export type LineOf = (path: GraphPath) => number | undefined;

export interface ValidateResult {
  graph: ExpectedGraph | null;
  errors: GraphError[];
}

const GRAPH_KEYS = ['version', 'name', 'description', 'section', 'expect'];
const EXPECT_KEYS = ['role', 'root', 'label', 'match', 'roots', 'section', 'path', 'forbid'];
const CALL_KEYS = ['call', 'optional', 'required', 'direct', 'inside', 'forbid', 'count'];
const ANYOF_KEYS = ['anyOf', 'optional'];
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.$]{0,127}$/;
// Bounds on free text: graphs are small documents, and their text ends up in results and reports.
const MAX_LABEL = 200;
const MAX_NAME = 100;
const MAX_DESCRIPTION = 4000;
const MAX_MARKER = 256;

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 60)}... (${text.length} characters)` : text;
}

/** Text longer than `max` characters: the problem to report, else null. */
function tooLong(v: unknown, max: number): string | null {
  return typeof v === 'string' && v.length > max ? `text of ${v.length} characters is too long` : null;
}

/** Closest allowed word, for "did you mean" hints on typos such as `cal` or `optinal`. */
export function closest(word: string, allowed: readonly string[]): string | null {
  let best: string | null = null;
  let bestDist = Infinity;
  for (const a of allowed) {
    const d = editDistance(word.toLowerCase(), a.toLowerCase());
    if (d < bestDist) {
      bestDist = d;
      best = a;
    }
  }
  return bestDist <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

class Checker {
  readonly errors: GraphError[] = [];
  constructor(private readonly lineOf: LineOf) {}

  error(path: GraphPath, problem: string, expected?: string): void {
    const e: GraphError = { path, problem };
    if (expected !== undefined) e.expected = expected;
    const line = this.lineOf(path);
    if (line !== undefined) e.line = line;
    this.errors.push(e);
  }

  line(path: GraphPath): number | undefined {
    return this.lineOf(path);
  }

  keys(v: Record<string, unknown>, allowed: string[], path: GraphPath): void {
    for (const k of Object.keys(v)) {
      if (allowed.includes(k)) continue;
      const hint = closest(k, allowed);
      this.error([...path, k], `unknown key "${k}"${hint ? ` (did you mean "${hint}"?)` : ''}`, `one of ${allowed.join(', ')}`);
    }
  }

  bool(v: unknown, path: GraphPath): boolean {
    if (v === undefined) return false;
    if (typeof v !== 'boolean') {
      this.error(path, `${describe(v)} is not a boolean`, 'true or false');
      return false;
    }
    return v;
  }

  name(v: unknown, path: GraphPath): string | null {
    if (typeof v !== 'string' || !NAME_RE.test(v)) {
      this.error(path, `${describe(v)} is not a function name`, 'a kernel function name such as ip_vs_conn_new');
      return null;
    }
    const normal = normaliseSymbol(v);
    if (normal !== v) {
      this.error(path, `"${v}" carries a compiler clone suffix`, `the normalised name "${normal}" (traces are matched on names without .part/.isra/.constprop/.cold/.llvm)`);
      return null;
    }
    return v;
  }

  names(v: unknown, path: GraphPath): string[] {
    if (!Array.isArray(v)) {
      this.error(path, `${describe(v)} is not a list`, 'a list of function names');
      return [];
    }
    return v.map((x, i) => this.name(x, [...path, i])).filter((x): x is string => x !== null);
  }

  count(v: unknown, path: GraphPath): CountSpec | undefined {
    if (v === undefined) return undefined;
    const int = (x: unknown, p: GraphPath): number | undefined => {
      if (typeof x === 'number' && Number.isInteger(x) && x >= 0) return x;
      this.error(p, `${describe(x)} is not a count`, 'a whole number >= 0');
      return undefined;
    };
    if (typeof v === 'number') {
      const n = int(v, path);
      return n === undefined ? undefined : { min: n, max: n };
    }
    if (!isMap(v)) {
      this.error(path, `${describe(v)} is not a count`, 'a number (exactly), or {min: n}, {max: n}, {min: n, max: m}');
      return undefined;
    }
    this.keys(v, ['min', 'max'], path);
    const out: CountSpec = {};
    if (v['min'] !== undefined) {
      const n = int(v['min'], [...path, 'min']);
      if (n !== undefined) out.min = n;
    }
    if (v['max'] !== undefined) {
      const n = int(v['max'], [...path, 'max']);
      if (n !== undefined) out.max = n;
    }
    if (v['min'] === undefined && v['max'] === undefined) this.error(path, 'empty count', 'min, max or both');
    if (out.min !== undefined && out.max !== undefined && out.min > out.max) this.error(path, `min ${out.min} is greater than max ${out.max}`, 'min <= max');
    return out;
  }

  section(v: unknown, path: GraphPath): SectionSpec | undefined {
    if (v === undefined) return undefined;
    if (typeof v === 'string' && v.length > MAX_MARKER) {
      this.error(path, `${tooLong(v, MAX_MARKER)}`, `a section name of at most ${MAX_MARKER} characters`);
      return undefined;
    }
    if (typeof v === 'string' && v.trim() !== '') return v;
    if (isMap(v)) {
      this.keys(v, ['from', 'to'], path);
      const from = v['from'];
      const to = v['to'];
      if (typeof from !== 'string' || from === '' || from.length > MAX_MARKER) this.error([...path, 'from'], `${describe(from)} is not marker text`, `the text (or part of it, at most ${MAX_MARKER} characters) of the trace_marker that opens the section`);
      if (to !== undefined && (typeof to !== 'string' || to === '' || to.length > MAX_MARKER)) this.error([...path, 'to'], `${describe(to)} is not marker text`, `the text (or part of it, at most ${MAX_MARKER} characters) of the trace_marker that closes the section`);
      if ((typeof from === 'string' && from.length > MAX_MARKER) || (typeof to === 'string' && to.length > MAX_MARKER)) return undefined;
      if (typeof from === 'string' && from !== '') return typeof to === 'string' && to !== '' ? { from, to } : { from };
      return undefined;
    }
    this.error(path, `${describe(v)} is not a section`, 'a section name (e.g. "case host_vip") or {from: marker text, to: marker text}');
    return undefined;
  }

  steps(v: unknown, path: GraphPath): Step[] {
    if (!Array.isArray(v)) {
      this.error(path, `${describe(v)} is not a list`, 'a list of steps (function names or {call: ...} / {anyOf: ...})');
      return [];
    }
    return v.map((s, i) => this.step(s, [...path, i])).filter((s): s is Step => s !== null);
  }

  step(v: unknown, path: GraphPath): Step | null {
    const line = this.line(path);
    if (typeof v === 'string') {
      const name = this.name(v, path);
      if (name === null) return null;
      const step: CallStep = { kind: 'call', names: [name], optional: false, required: false, direct: false, inside: [], forbid: [], at: path };
      if (line !== undefined) step.line = line;
      return step;
    }
    if (!isMap(v)) {
      this.error(path, `${describe(v)} is not a step`, 'a function name, {call: name, ...} or {anyOf: [...]}');
      return null;
    }
    const hasCall = 'call' in v;
    const hasAnyOf = 'anyOf' in v;
    if (hasCall === hasAnyOf) {
      if (!hasCall) this.keys(v, [...CALL_KEYS, 'anyOf'], path);
      this.error(path, hasCall ? 'both "call" and "anyOf"' : 'neither "call" nor "anyOf"', 'exactly one of call (a function name) or anyOf (alternatives)');
      return null;
    }
    if (hasAnyOf) return this.anyOf(v, path, line);
    this.keys(v, CALL_KEYS, path);
    const call = v['call'];
    let names: string[] = [];
    if (Array.isArray(call)) {
      names = this.names(call, [...path, 'call']);
      if (call.length === 0) this.error([...path, 'call'], 'empty list of names', 'at least one function name');
    } else {
      const n = this.name(call, [...path, 'call']);
      if (n !== null) names = [n];
    }
    const step: CallStep = {
      kind: 'call',
      names,
      optional: this.bool(v['optional'], [...path, 'optional']),
      required: this.bool(v['required'], [...path, 'required']),
      direct: this.bool(v['direct'], [...path, 'direct']),
      inside: v['inside'] === undefined ? [] : this.steps(v['inside'], [...path, 'inside']),
      forbid: v['forbid'] === undefined ? [] : this.names(v['forbid'], [...path, 'forbid']),
      at: path,
    };
    const count = this.count(v['count'], [...path, 'count']);
    if (count !== undefined) step.count = count;
    if (line !== undefined) step.line = line;
    if (step.optional && step.required) this.error([...path, 'required'], 'a step cannot be both optional and required', 'one of optional, required');
    return names.length > 0 ? step : null;
  }

  anyOf(v: Record<string, unknown>, path: GraphPath, line: number | undefined): Step | null {
    this.keys(v, ANYOF_KEYS, path);
    const alts = v['anyOf'];
    if (!Array.isArray(alts) || alts.length === 0) {
      this.error([...path, 'anyOf'], Array.isArray(alts) ? 'no alternatives' : `${describe(alts)} is not a list of alternatives`, 'a non-empty list; each alternative a step or a list of steps');
      return null;
    }
    const alternatives = alts.map((a, i) => {
      const p = [...path, 'anyOf', i];
      if (Array.isArray(a)) {
        if (a.length === 0) this.error(p, 'empty alternative', 'at least one step');
        return this.steps(a, p);
      }
      const s = this.step(a, p);
      return s === null ? [] : [s];
    });
    const step: Step = { kind: 'anyOf', alternatives, optional: this.bool(v['optional'], [...path, 'optional']), at: path };
    if (line !== undefined) step.line = line;
    return step;
  }

  expectation(v: unknown, index: number): Expectation | null {
    const path: GraphPath = ['expect', index];
    if (!isMap(v)) {
      this.error(path, `${describe(v)} is not an expectation`, 'a mapping with role (or root) and path');
      return null;
    }
    this.keys(v, EXPECT_KEYS, path);
    const role = v['role'];
    const root = v['root'];
    let roleKey: string | undefined;
    let rootName: string | undefined;
    if ((role === undefined) === (root === undefined)) {
      this.error(path, role === undefined ? 'neither "role" nor "root"' : 'both "role" and "root"', 'exactly one: role (an IPVS hook role) or root (a function name)');
    } else if (role !== undefined) {
      if (typeof role !== 'string' || parseRoleKey(role) === null) {
        const hint = typeof role === 'string' ? closest(role, knownRoleKeys()) : null;
        this.error([...path, 'role'], `unknown role ${describe(role)}${hint ? ` (did you mean "${hint}"?)` : ''}`, `one of ${knownRoleKeys().filter((k) => !/[46]$/.test(k)).join(', ')} (suffix 4 or 6 to require a family)`);
      } else roleKey = role;
    } else {
      rootName = this.name(root, [...path, 'root']) ?? undefined;
    }
    const match = v['match'] ?? 'any';
    if (match !== 'any' && match !== 'every') this.error([...path, 'match'], `${describe(match)} is not a quantifier`, 'any (at least one root satisfies) or every (all roots satisfy)');
    if (v['path'] === undefined) this.error(path, 'missing "path"', 'a list of steps (may be empty when only forbid or roots matter)');
    const label = v['label'];
    if (label !== undefined && (typeof label !== 'string' || label.length > MAX_LABEL)) this.error([...path, 'label'], tooLong(label, MAX_LABEL) ?? `${describe(label)} is not text`, `a short description (at most ${MAX_LABEL} characters)`);
    const out: Expectation = {
      label: typeof label === 'string' ? label : (roleKey ?? (rootName !== undefined ? `root ${rootName}` : `expect[${index}]`)),
      match: match === 'every' ? 'every' : 'any',
      path: v['path'] === undefined ? [] : this.steps(v['path'], [...path, 'path']),
      forbid: v['forbid'] === undefined ? [] : this.names(v['forbid'], [...path, 'forbid']),
      at: path,
    };
    if (roleKey !== undefined) out.role = roleKey;
    if (rootName !== undefined) out.root = rootName;
    const roots = this.count(v['roots'], [...path, 'roots']);
    if (roots !== undefined) out.roots = roots;
    const section = this.section(v['section'], [...path, 'section']);
    if (section !== undefined) out.section = section;
    const line = this.line(path);
    if (line !== undefined) out.line = line;
    return out;
  }
}

/** Validates a graph given as plain data (parsed YAML or a TypeScript object). */
export function validateExpectedGraph(input: unknown, lineOf: LineOf = () => undefined): ValidateResult {
  const c = new Checker(lineOf);
  if (!isMap(input)) {
    c.error([], `${describe(input)} is not an expected graph`, `a mapping with version: ${EXPECTED_GRAPH_VERSION}, name and expect`);
    return { graph: null, errors: c.errors };
  }
  c.keys(input, GRAPH_KEYS, []);
  const version = input['version'];
  if (version === undefined) c.error([], 'missing "version"', `version: ${EXPECTED_GRAPH_VERSION}`);
  else if (version !== EXPECTED_GRAPH_VERSION) c.error(['version'], `unsupported version ${describe(version)}`, `${EXPECTED_GRAPH_VERSION} (the graph format this ipvs-harness reads)`);
  const name = input['name'];
  if (typeof name !== 'string' || name.trim() === '' || name.length > MAX_NAME) c.error(name === undefined ? [] : ['name'], name === undefined ? 'missing "name"' : (tooLong(name, MAX_NAME) ?? `${describe(name)} is not a name`), `a short name for the graph (at most ${MAX_NAME} characters)`);
  const description = input['description'];
  if (description !== undefined && (typeof description !== 'string' || description.length > MAX_DESCRIPTION)) c.error(['description'], tooLong(description, MAX_DESCRIPTION) ?? `${describe(description)} is not text`, `a description (at most ${MAX_DESCRIPTION} characters)`);
  const section = c.section(input['section'], ['section']);
  const expect = input['expect'];
  let expectations: Expectation[] = [];
  if (!Array.isArray(expect) || expect.length === 0) {
    c.error(expect === undefined ? [] : ['expect'], expect === undefined ? 'missing "expect"' : `${describe(expect)} is not a non-empty list`, 'a list of expectations, one per role (role, path, ...)');
  } else {
    expectations = expect.map((e, i) => c.expectation(e, i)).filter((e): e is Expectation => e !== null);
  }
  if (c.errors.length > 0) return { graph: null, errors: c.errors };
  const graph: ExpectedGraph = { version: EXPECTED_GRAPH_VERSION, name: name as string, expect: expectations };
  if (typeof input['description'] === 'string') graph.description = input['description'];
  if (section !== undefined) graph.section = section;
  return { graph, errors: [] };
}

/** TypeScript API: validates at definition time and throws ExpectedGraphError with every problem. */
export function defineExpectedGraph(input: ExpectedGraphInput, file = 'defineExpectedGraph'): ExpectedGraph {
  const { graph, errors } = validateExpectedGraph(input);
  if (graph === null) throw new ExpectedGraphError(file, errors);
  graph.file = file;
  return graph;
}
