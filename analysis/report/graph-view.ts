// Expected graphs as the report shows them: the scenario's expectations re-judged on the trace so
// that each step of the expected path points at the call it matched (or says it is missing, out of
// order, ...). results.json keeps the verdict of the run; when re-judging disagrees (the scenario
// file changed since), the stored verdict stands and the view says so.
import { SequenceCache } from '../call-sequence.ts';
import type { ExpectedGraph } from '../expected-graph-types.ts';
import { formatGraphPath } from '../expected-graph-types.ts';
import { matchExpectedGraph, type RootRef } from '../expected-graph-match.ts';
import type { CallNode, Trace } from '../model.ts';
import { explainPath, type StepReport } from '../path-matcher.ts';
import { findRoleInstances, hookTable, parseRoleKey, roleMatch, type KernelGeneration } from '../roles.ts';
import { findSection, inSection, type SectionSpec } from '../section.ts';
import type { CallMark, ExpectedStepView, ReportGraph } from './model.ts';
import type { GraphResult } from './results.ts';

/** A graph item of a scenario, in the order the run judged them (results.json's cell.graphs). */
export type CellGraphSpec =
  | { kind: 'path'; graph: ExpectedGraph; step?: string }
  | { kind: 'order'; order: string[]; step?: string };

export interface GraphViewContext {
  trace: Trace;
  kernelRelease: string | null;
  generation: KernelGeneration;
  ids: ReadonlyMap<CallNode, string>;
  stepSection: (step: string) => SectionSpec;
  /** Filled with the marks each call gets. */
  marks: Map<CallNode, CallMark[]>;
}

function nodeAtLine(trace: Trace): Map<number, CallNode> {
  const byLine = new Map<number, CallNode>();
  const visit = (n: CallNode): void => {
    if (!byLine.has(n.line)) byLine.set(n.line, n);
    n.children.forEach(visit);
  };
  trace.roots.forEach(visit);
  return byLine;
}

const OK_STATUSES = new Set(['matched', 'inlined', 'skipped']);

function toViews(reports: readonly StepReport[], graph: number, ctx: GraphViewContext): ExpectedStepView[] {
  return reports.map((r) => {
    const v: ExpectedStepView = { at: formatGraphPath(r.at), expected: r.expected, status: r.status, inside: toViews(r.inside ?? [], graph, ctx) };
    if (r.detail !== undefined) v.detail = r.detail;
    if (r.line !== undefined) v.line = r.line;
    if (r.node !== undefined) {
      const id = ctx.ids.get(r.node);
      if (id !== undefined) v.callId = id;
      const list = ctx.marks.get(r.node) ?? [];
      list.push({ graph, at: v.at, expected: r.expected, ok: OK_STATUSES.has(r.status) });
      ctx.marks.set(r.node, list);
    }
    return v;
  });
}

function idsOf(refs: readonly RootRef[], byLine: ReadonlyMap<number, CallNode>, ctx: GraphViewContext): string[] {
  return refs.flatMap((r) => {
    const n = byLine.get(r.line);
    const id = n !== undefined ? ctx.ids.get(n) : undefined;
    return id !== undefined ? [id] : [];
  });
}

function rootText(node: CallNode): string {
  return `${node.symbol} at line ${node.line}${node.task !== null ? ` (${node.task}-${node.pid ?? '?'}, cpu ${node.cpu ?? '?'})` : ''}`;
}

function pathView(spec: Extract<CellGraphSpec, { kind: 'path' }>, stored: GraphResult, index: number, ctx: GraphViewContext, byLine: Map<number, CallNode>): ReportGraph {
  const exp = spec.graph.expect[0]!;
  const view: ReportGraph = { result: stored, kind: 'path', expected: null, satisfied: [], failed: [], forbid: [...exp.forbid] };
  const verdict = matchExpectedGraph(ctx.trace, spec.graph, { kernelRelease: ctx.kernelRelease, ...(spec.step !== undefined ? { section: ctx.stepSection(spec.step) } : {}) });
  const rv = verdict.perRole[0]!;
  view.satisfied = idsOf(rv.satisfied, byLine, ctx);
  view.failed = idsOf(rv.failed, byLine, ctx);
  if (verdict.holds !== stored.holds) {
    view.note = `re-judged with the current scenario file the graph ${verdict.holds ? 'holds' : 'does not hold'}, but the run recorded that it ${stored.holds ? 'held' : 'did not hold'}: the scenario changed since the run; the run's verdict is shown`;
  }
  let root: CallNode | undefined;
  let reports: readonly StepReport[] | undefined;
  if (rv.holds) {
    root = rv.satisfied[0] !== undefined ? byLine.get(rv.satisfied[0].line) : undefined;
    if (root !== undefined) {
      const cache = new SequenceCache({ includeIrq: false, crossHooks: false, hookFns: new Set(hookTable(ctx.generation).keys()) });
      reports = explainPath(exp.path, cache.of(root), cache).reports;
    }
  } else {
    root = rv.bestNode ?? (rv.best !== undefined ? byLine.get(rv.best.line) : undefined);
    reports = rv.reports;
    if (reports === undefined && rv.mismatch !== undefined && view.note === undefined) view.note = rv.mismatch.message;
  }
  if (root !== undefined) {
    const id = ctx.ids.get(root);
    if (id !== undefined) view.rootId = id;
    view.rootText = rootText(root);
  }
  view.expected = reports !== undefined ? toViews(reports, index, ctx) : [];
  return view;
}

function orderView(spec: Extract<CellGraphSpec, { kind: 'order' }>, stored: GraphResult, index: number, ctx: GraphViewContext): ReportGraph {
  const view: ReportGraph = { result: stored, kind: 'order', expected: null, satisfied: [], failed: [], forbid: [] };
  let range = null;
  if (spec.step !== undefined) {
    const found = findSection(ctx.trace, ctx.stepSection(spec.step));
    if (!found.ok) {
      view.note = found.message;
      return view;
    }
    range = found.range;
  }
  const instances = findRoleInstances(ctx.trace, ctx.generation)
    .filter((i) => range === null || inSection(i.node.line, range))
    .sort((a, b) => a.node.line - b.node.line);
  let previous = -1;
  view.expected = spec.order.map((role, k) => {
    const key = parseRoleKey(role);
    const first = key !== null ? instances.find((i) => roleMatch(i, key) !== null) : undefined;
    const v: ExpectedStepView = { at: `order[${k}]`, expected: role, status: 'missing', inside: [] };
    if (first === undefined) {
      v.detail = key === null ? 'unknown role' : 'no hook call of this role in the section';
      return v;
    }
    v.line = first.node.line;
    v.status = first.node.line > previous ? 'matched' : 'out-of-order';
    v.detail = `first at line ${first.node.line}${first.nested ? ' (nested)' : ''}`;
    previous = Math.max(previous, first.node.line);
    const id = ctx.ids.get(first.node);
    if (id !== undefined) v.callId = id;
    const list = ctx.marks.get(first.node) ?? [];
    list.push({ graph: index, at: v.at, expected: `first ${role}`, ok: v.status === 'matched' });
    ctx.marks.set(first.node, list);
    return v;
  });
  return view;
}

/** One view per stored graph result; specs are the scenario's items in the same order (null: not available; a null item: invalid). */
export function graphViews(stored: readonly GraphResult[], specs: ReadonlyArray<CellGraphSpec | null> | null, ctx: GraphViewContext | null, unavailable?: string): ReportGraph[] {
  const byLine = ctx !== null ? nodeAtLine(ctx.trace) : new Map<number, CallNode>();
  const aligned = specs !== null && specs.length === stored.length;
  return stored.map((g, i) => {
    const spec = aligned ? (specs[i] ?? undefined) : undefined;
    const bare: ReportGraph = { result: g, kind: g.role.includes(' -> ') ? 'order' : 'unknown', expected: null, satisfied: [], failed: [], forbid: [] };
    if (ctx === null) return { ...bare, note: unavailable ?? 'no trace: the expected graph cannot be shown against observed calls' };
    if (spec === undefined) {
      if (aligned) return { ...bare, note: 'the scenario file has this graph no longer in a valid form' };
      return { ...bare, note: unavailable ?? (specs !== null ? `the scenario now has ${specs.length} graph(s), the run judged ${stored.length}: the scenario changed since the run` : 'the scenario file is not available') };
    }
    if (spec.step !== g.step) return { ...bare, note: `the scenario's graph ${i + 1} is for step ${spec.step ?? '(none)'}, the run's for ${g.step ?? '(none)'}: the scenario changed since the run` };
    return spec.kind === 'path' ? pathView(spec, g, i, ctx, byLine) : orderView(spec, g, i, ctx);
  });
}
