// Kernel-to-kernel call-graph diff on the canonical summaries. Hook calls are aligned by what they
// did, not what they are called: scenario, step, IPVS role and the (normalised) caller chain. Inside
// a role, calls are compared as paths from the hook with names normalised in layers, and every
// difference is classified:
//   cosmetic  - the hook function was renamed (5.10 ip_vs_local_request4 = 6.x ip_vs_in_hook), a helper
//               is inlined on one kernel and traced on the other (ip_vs_in.part.0, ip_vs_out_icmp), a
//               compiler clone changed (.part/.constprop/.isra), or a call was renamed with the same
//               calls inside;
//   behaviour - a call on the IPVS path appears or disappears (ip_vs_schedule gone), a role's hook
//               call appears or disappears, a role runs at another netfilter hook, two calls under
//               the same caller run in the opposite order (every packet on each side agreeing);
//   info      - the number of hook calls differs (more or fewer packets), calls outside every step.
import { isInlinable } from '../call-sequence.ts';
import type { CallGraphEntry, CanonCall } from './callgraph-summary.ts';
import { canonicalName } from './callgraph-summary.ts';
import { groupChanges, type DistinctChange } from './callgraph-diff-groups.ts';
import { changeSides } from './change-sides.ts';
import { reclassifyBoundaryMoves, timingOf, type StepTiming } from './step-boundary.ts';
import { traceability, type Traceability } from './traceable.ts';

export type ChangeKind = 'added' | 'removed' | 'renamed' | 'inlining' | 'clone' | 'order' | 'role-added' | 'role-removed' | 'hook' | 'count';
export type Relevance = 'behaviour' | 'cosmetic' | 'info';

export interface CallChange {
  kind: ChangeKind;
  relevance: Relevance;
  /** Where in the role's tree: `tcp_conn_schedule > ip_vs_schedule` (roles and inlinable helpers normalised). */
  path: string;
  message: string;
  /** added / removed: the function (its normalised name) and its caller (the role for a top-level call). */
  fn?: string;
  caller?: string;
  /** Why it is behaviour-relevant, from what the kernels could trace (`debian:6.12 could trace it and did not call it`). */
  reason?: string;
}

export interface RoleSide {
  symbols: string[];
  hooks: Array<string | null>;
  calls: number;
  variants: number;
}

export interface RoleDiff {
  scenario: string;
  step: string;
  role: string;
  context: string;
  a: RoleSide | null;
  b: RoleSide | null;
  changes: CallChange[];
}

export interface DiffTotals {
  behaviour: number;
  cosmetic: number;
  info: number;
}

export interface ScenarioDiff {
  scenario: string;
  roles: RoleDiff[];
  totals: DiffTotals;
}

export interface DiffSide {
  /** What the user named: `debian:5.10` or `ipvs-results-a:debian:6.1`. */
  label: string;
  kernel: string;
  release: string | null;
  generation: string;
}

export interface CallGraphDiff {
  a: DiffSide;
  b: DiffSide;
  scenarios: ScenarioDiff[];
  /** Cells that could not be compared (no trace on one side, scenario run on one side only), with why. */
  notCompared: string[];
  /** The distinct changes, each with the places it occurs, behaviour first (what the headline counts). */
  changes: DistinctChange[];
  /** Distinct changes by relevance (the headline); `occurrences` counts them per step and role. */
  totals: DiffTotals;
  occurrences: DiffTotals;
  /** How calls seen on one kernel only were told apart, when a kernel's traceable functions are unknown. */
  traceabilityNote?: string;
}

export interface DiffInput {
  side: DiffSide;
  entries: readonly CallGraphEntry[];
  /** What the kernel's trace filter selected (results.json kernels[].traceable); absent when not recorded. */
  traceable?: readonly string[] | undefined;
  /** The steps of each scenario as the run recorded them (kind, what was in flight at the end marker); absent for a baseline. */
  steps?: ReadonlyMap<string, readonly StepTiming[]> | undefined;
}

/** The semantic tree of a role: paths from the hook (root excluded) with helpers that kernels inline lifted away. */
interface RoleShape {
  /** Semantic path -> the function at its end. */
  paths: Map<string, { fn: string; module: string | null }>;
  /** Semantic path -> semantic names of its direct children (for rename detection). */
  children: Map<string, Set<string>>;
  /** Every traced function under the hook -> printed symbols (clone detection). */
  symbols: Map<string, Set<string>>;
  /** Semantic path -> for two of its children (`x\u0000y`, x < y) how they were ordered in each packet's tree. */
  order: Map<string, Map<string, Set<PairOrder>>>;
  /** Semantic path -> its children's names in the order of the first tree that called them. */
  sequence: Map<string, string[]>;
}

/** x entirely before y, entirely after it, or interleaved (a call repeated on both sides of the other). */
type PairOrder = 'before' | 'after' | 'mixed';

const SEP = ' > ';

function semName(c: CanonCall): string {
  return c.hook !== undefined ? `<${c.hook.role}>` : canonicalName(c.fn);
}

/** How each pair of calls in one caller's sequence of calls was ordered. */
function recordOrder(shape: RoleShape, parent: string, seq: readonly string[]): void {
  if (seq.length < 2) return;
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  seq.forEach((n, i) => {
    if (!first.has(n)) first.set(n, i);
    last.set(n, i);
  });
  const names = [...first.keys()].sort();
  if (names.length < 2) return;
  let pairs = shape.order.get(parent);
  if (pairs === undefined) shape.order.set(parent, (pairs = new Map()));
  if (!shape.sequence.has(parent)) shape.sequence.set(parent, [...first.keys()]);
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const x = names[i]!;
      const y = names[j]!;
      const rel: PairOrder = last.get(x)! < first.get(y)! ? 'before' : last.get(y)! < first.get(x)! ? 'after' : 'mixed';
      const key = `${x}\u0000${y}`;
      let set = pairs.get(key);
      if (set === undefined) pairs.set(key, (set = new Set()));
      set.add(rel);
    }
  }
}

/** `lift`: helpers lifted away (their calls belong to their caller): known inlinable ones, and those the newer kernel cannot trace. */
function shapeOf(entries: readonly CallGraphEntry[], lift: (fn: string) => boolean): RoleShape {
  const shape: RoleShape = { paths: new Map(), children: new Map(), symbols: new Map(), order: new Map(), sequence: new Map() };
  const addChild = (parent: string, name: string): void => {
    let set = shape.children.get(parent);
    if (set === undefined) shape.children.set(parent, (set = new Set()));
    set.add(name);
  };
  // `seq` collects the caller's calls in order; a lifted helper's calls join its caller's sequence.
  const walk = (calls: readonly CanonCall[] | undefined, parent: string, seq: string[]): void => {
    for (const c of calls ?? []) {
      let syms = shape.symbols.get(c.fn);
      if (syms === undefined) shape.symbols.set(c.fn, (syms = new Set()));
      syms.add(c.symbol ?? c.fn);
      if (c.hook === undefined && lift(c.fn)) {
        walk(c.calls, parent, seq); // the helper is lifted away: its calls belong to its caller
        continue;
      }
      const name = semName(c);
      seq.push(name);
      const path = parent === '' ? name : `${parent}${SEP}${name}`;
      if (!shape.paths.has(path)) shape.paths.set(path, { fn: c.fn, module: c.module ?? null });
      addChild(parent, name);
      const inner: string[] = [];
      walk(c.calls, path, inner);
      recordOrder(shape, path, inner);
    }
  };
  for (const e of entries) {
    for (const v of e.variants) {
      const top: string[] = [];
      walk(v.tree.calls, '', top);
      recordOrder(shape, '', top);
    }
  }
  return shape;
}

function parentOf(path: string): string {
  const i = path.lastIndexOf(SEP);
  return i < 0 ? '' : path.slice(0, i);
}

function leafOf(path: string): string {
  const i = path.lastIndexOf(SEP);
  return i < 0 ? path : path.slice(i + SEP.length);
}

function sameSet(a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined): boolean {
  if (a === undefined || b === undefined || a.size === 0 || a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/** Only the top-most path of a removed/added subtree is reported, with how many calls it held. */
function topmost(paths: readonly string[]): Array<{ path: string; inside: number }> {
  const set = new Set(paths);
  const tops = paths.filter((p) => {
    for (let q = parentOf(p); q !== ''; q = parentOf(q)) if (set.has(q)) return false;
    return true;
  });
  return tops.map((t) => ({ path: t, inside: paths.filter((p) => p.startsWith(`${t}${SEP}`)).length }));
}

/** `stepless`: why the role's calls are timing, not the kernel (outside the steps, a silent step); null: a step's own. */
function compareShapes(a: RoleShape, b: RoleShape, labels: { a: string; b: string }, stepless: string | null, tr: Traceability): CallChange[] {
  const changes: CallChange[] = [];
  const onlyA = [...a.paths.keys()].filter((p) => !b.paths.has(p));
  const onlyB = [...b.paths.keys()].filter((p) => !a.paths.has(p));
  const removed = topmost(onlyA);
  const added = topmost(onlyB);
  // A call renamed between kernels keeps its parent and its calls: pair such removed/added paths.
  const renamedB = new Set<string>();
  const keptRemoved = removed.filter((r) => {
    const match = added.find((x) => !renamedB.has(x.path) && parentOf(x.path) === parentOf(r.path) && sameSet(a.children.get(r.path), b.children.get(x.path)));
    if (match === undefined) return true;
    renamedB.add(match.path);
    changes.push({ kind: 'renamed', relevance: 'cosmetic', path: r.path, message: `${leafOf(r.path)} on ${labels.a} is ${leafOf(match.path)} on ${labels.b} (same calls inside)` });
    return false;
  });
  const relevance = (): Relevance => (stepless !== null ? 'info' : 'behaviour');
  const oneSided = (kind: 'removed' | 'added', p: { path: string; inside: number }, shape: RoleShape): CallChange => {
    const [on, off] = kind === 'removed' ? [labels.a, labels.b] : [labels.b, labels.a];
    const fn = shape.paths.get(p.path)?.fn ?? leafOf(p.path);
    // Outside a step's own traffic, a call seen on one side is a late packet's, whatever the kernel could trace.
    // A timer callback runs when its timer fires, inside whatever call is running then (a softirq on return).
    const timer = TIMER_CALLBACKS.has(canonicalName(fn)) ? `${canonicalName(fn)} is a timer callback: it runs when its timer fires, inside whatever call is running then` : null;
    const reason = stepless ?? timer ?? tr.reason(kind === 'removed' ? 'a' : 'b', fn, labels);
    const inside = p.inside > 0 ? ` (and ${p.inside} call(s) inside it)` : '';
    const parent = parentOf(p.path);
    return {
      kind, relevance: timer !== null && stepless === null ? 'info' : relevance(), path: p.path, fn: canonicalName(fn), caller: parent === '' ? '' : leafOf(parent),
      message: `${leafOf(p.path)} is called on ${on} but not on ${off}${inside}${reason ? `: ${reason}` : ''}`,
      ...(reason ? { reason } : {}),
    };
  };
  for (const r of keptRemoved) changes.push(oneSided('removed', r, a));
  for (const x of added.filter((x) => !renamedB.has(x.path))) changes.push(oneSided('added', x, b));
  changes.push(...orderChanges(a, b, labels, relevance()));
  // Helpers that one kernel inlines: traced on one side only.
  const fns = new Set([...a.symbols.keys(), ...b.symbols.keys()]);
  for (const fn of [...fns].sort()) {
    const sa = a.symbols.get(fn);
    const sb = b.symbols.get(fn);
    if ((isInlinable(fn) || tr.inlinedOnNewer(fn)) && (sa === undefined) !== (sb === undefined)) {
      const printed = [...(sa ?? sb)!].join(', ');
      const shown = printed !== fn ? ` (printed ${printed})` : '';
      const [on, off] = sa !== undefined ? [labels.a, labels.b] : [labels.b, labels.a];
      const why = isInlinable(fn) ? '' : ` (${off} cannot trace it: not among its traceable functions)`;
      changes.push({ kind: 'inlining', relevance: 'cosmetic', path: fn, message: `${fn}${shown} is traced on ${on} and inlined on ${off}${why}` });
    } else if (sa !== undefined && sb !== undefined && !sameSet(sa, sb)) {
      changes.push({ kind: 'clone', relevance: 'cosmetic', path: fn, message: `${fn} is printed ${[...sa].join(', ')} on ${labels.a} and ${[...sb].join(', ')} on ${labels.b} (compiler clone)` });
    }
  }
  return changes;
}

/**
 * Calls under one caller that run in the opposite order on the two sides. Only a pair that every
 * packet's tree orders the same way on each side counts: trees that differ among themselves (a call
 * made on some packets only, a call repeated around another) are not a change of order.
 */
function orderChanges(a: RoleShape, b: RoleShape, labels: { a: string; b: string }, relevance: Relevance): CallChange[] {
  const changes: CallChange[] = [];
  for (const [parent, pairsA] of a.order) {
    const pairsB = b.order.get(parent);
    if (pairsB === undefined) continue;
    const swapped: string[] = [];
    for (const [key, relA] of pairsA) {
      const relB = pairsB.get(key);
      if (relB === undefined || relA.size !== 1 || relB.size !== 1) continue;
      const [ra] = relA;
      const [rb] = relB;
      if (ra !== 'mixed' && rb !== 'mixed' && ra !== rb) swapped.push(key);
    }
    if (swapped.length === 0) continue;
    const moved = new Set(swapped.flatMap((k) => k.split('\u0000')));
    const seq = (shape: RoleShape) => (shape.sequence.get(parent) ?? []).filter((n) => moved.has(n)).join(' -> ');
    const where = parent === '' ? 'the hook' : leafOf(parent);
    changes.push({
      kind: 'order', relevance, path: parent,
      message: `calls inside ${where} run in another order: ${seq(a)} on ${labels.a}; ${seq(b)} on ${labels.b}`,
    });
  }
  return changes;
}

function sideOf(entries: readonly CallGraphEntry[]): RoleSide {
  const symbols = [...new Set(entries.flatMap((e) => e.symbols))].sort();
  const hooks = [...new Set(entries.map((e) => e.hook))].sort((x, y) => String(x).localeCompare(String(y)));
  return { symbols, hooks, calls: entries.reduce((n, e) => n + e.calls, 0), variants: entries.reduce((n, e) => n + e.variants.length, 0) };
}

function roleChanges(ea: readonly CallGraphEntry[], eb: readonly CallGraphEntry[], labels: { a: string; b: string }, stepless: string | null, tr: Traceability): CallChange[] {
  const a = sideOf(ea);
  const b = sideOf(eb);
  const changes: CallChange[] = [];
  if (a.symbols.join() !== b.symbols.join()) {
    changes.push({ kind: 'renamed', relevance: 'cosmetic', path: '', message: `hook function ${a.symbols.join(', ')} on ${labels.a} is ${b.symbols.join(', ')} on ${labels.b} (same role)` });
  }
  const known = (h: Array<string | null>) => h.every((x) => x !== null);
  if (known(a.hooks) && known(b.hooks) && a.hooks.join() !== b.hooks.join()) {
    changes.push({ kind: 'hook', relevance: stepless !== null ? 'info' : 'behaviour', path: '', message: `runs at ${a.hooks.join(', ')} on ${labels.a} and at ${b.hooks.join(', ')} on ${labels.b}` });
  }
  const lift = (fn: string) => isInlinable(fn) || tr.inlinedOnNewer(fn);
  changes.push(...compareShapes(shapeOf(ea, lift), shapeOf(eb, lift), labels, stepless, tr));
  if (a.calls !== b.calls) changes.push({ kind: 'count', relevance: 'info', path: '', message: `${a.calls} hook call(s) on ${labels.a}, ${b.calls} on ${labels.b}` });
  return changes;
}

function totalsOf(changes: ReadonlyArray<{ relevance: Relevance }>): DiffTotals {
  const t = { behaviour: 0, cosmetic: 0, info: 0 };
  for (const c of changes) t[c.relevance]++;
  return t;
}

function addTotals(into: DiffTotals, t: DiffTotals): void {
  into.behaviour += t.behaviour;
  into.cosmetic += t.cosmetic;
  into.info += t.info;
}

/** IPVS's timer callbacks (the rate estimator, connection and template expiry): they run in softirq wherever the CPU is. */
const TIMER_CALLBACKS: ReadonlySet<string> = new Set(['estimation_timer', 'ip_vs_conn_expire']);

const OUTSIDE_STEPS = 'outside every step: late packets of a step or the kernel\'s own, where they land is timing';

// The kernel's own packets (flow probes) apart: they never make a step's role appear or change.
const keyOf = (e: CallGraphEntry) => JSON.stringify([e.step, e.role, e.context, e.kernelOwn ?? null]);

/**
 * Compares the entries of two kernels, scenario by scenario (only `scenarios` are compared; the
 * caller lists the others in `notCompared` with the reason).
 */
export function diffCallGraphs(a: DiffInput, b: DiffInput, scenarios: readonly string[], notCompared: readonly string[] = []): CallGraphDiff {
  const labels = { a: a.side.label, b: b.side.label };
  const tr = traceability({ release: a.side.release, traceable: a.traceable }, { release: b.side.release, traceable: b.traceable });
  const occurrences = { behaviour: 0, cosmetic: 0, info: 0 };
  const out: ScenarioDiff[] = [];
  for (const scenario of scenarios) {
    const groups = new Map<string, { a: CallGraphEntry[]; b: CallGraphEntry[]; first: CallGraphEntry }>();
    const put = (e: CallGraphEntry, side: 'a' | 'b') => {
      const k = keyOf(e);
      let g = groups.get(k);
      if (g === undefined) groups.set(k, (g = { a: [], b: [], first: e }));
      g[side].push(e);
    };
    for (const e of a.entries) if (e.scenario === scenario) put(e, 'a');
    for (const e of b.entries) if (e.scenario === scenario) put(e, 'b');
    const roles: RoleDiff[] = [];
    for (const g of groups.values()) {
      const { step, role, context } = g.first;
      // Outside the steps, or in a step that sends nothing itself, every hook call is a late packet of
      // an earlier step (or the kernel's own): where it lands is timing, not the kernel.
      const timing = timingOf(step, [a.steps?.get(scenario), b.steps?.get(scenario)]);
      const stepless = step === '' || timing.silent !== null;
      const steplessWhy = step === '' ? OUTSIDE_STEPS : timing.silent;
      const d: RoleDiff = { scenario, step, role, context, a: g.a.length > 0 ? sideOf(g.a) : null, b: g.b.length > 0 ? sideOf(g.b) : null, changes: [] };
      const where = `${role}${context === 'top' ? '' : ` nested in ${context}`}${step === '' ? ' outside the steps' : ` in step ${step}`}`;
      // Hook calls that carried only the kernel's own packets (flow probes): sent when the kernel decides.
      const both = [...g.a, ...g.b];
      const own = both.every((e) => e.kernelOwn !== undefined) ? `the kernel's own packets (${[...new Set(both.map((e) => e.kernelOwn))].join(', ')}): sent when the kernel decides, not by the step` : null;
      const late = steplessWhy ?? timing.inFlight ?? own;
      const roleChange = (kind: 'role-added' | 'role-removed', message: string): CallChange => (
        stepless || late !== null
          ? { kind, relevance: 'info', path: '', message: late ? `${message}; ${late}` : message, ...(late ? { reason: late } : {}) }
          : { kind, relevance: 'behaviour', path: '', message });
      if (d.a === null) d.changes.push(roleChange('role-added', `${where}: ${d.b!.calls} hook call(s) on ${labels.b}, none on ${labels.a}`));
      else if (d.b === null) d.changes.push(roleChange('role-removed', `${where}: ${d.a.calls} hook call(s) on ${labels.a}, none on ${labels.b}`));
      else {
        d.changes = roleChanges(g.a, g.b, labels, steplessWhy ?? own, tr);
      }
      roles.push(d);
    }
    reclassifyBoundaryMoves(roles, labels);
    const t = totalsOf(roles.flatMap((r) => r.changes));
    addTotals(occurrences, t);
    out.push({ scenario, roles, totals: t });
  }
  const changes = groupChanges(out, labels);
  for (const c of changes) {
    if (c.relevance !== 'behaviour') continue;
    const sides = changeSides(c, { a: a.entries, b: b.entries });
    if (sides) c.sides = sides;
  }
  const note = tr.note(labels);
  return {
    a: a.side, b: b.side, scenarios: out, notCompared: [...notCompared], changes,
    totals: totalsOf(changes), occurrences, ...(note ? { traceabilityNote: note } : {}),
  };
}

export function hasBehaviourChange(d: CallGraphDiff): boolean {
  return d.totals.behaviour > 0;
}
