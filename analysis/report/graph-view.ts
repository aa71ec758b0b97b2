// Expected graphs as the report shows them: the verdict the run stored (results.json's
// graphs[].judged) placed on the parsed trace, so that each step of the expected path links to the
// call it matched or failed on, and that call carries a mark back. Nothing is judged here: a results
// folder renders the same wherever it is and whatever happened to the scenario files since.
import { callAt, type CallNode, type Trace } from '../model.ts';
import type { CallMark, ExpectedStepView, ReportGraph } from './model.ts';
import type { GraphResult, JudgedStep, TraceCallRef } from './results.ts';

export interface GraphViewContext {
  trace: Trace;
  ids: ReadonlyMap<CallNode, string>;
  /** Filled with the marks each call gets. */
  marks: Map<CallNode, CallMark[]>;
}

const OK_STATUSES = new Set(['matched', 'inlined', 'skipped']);

/** Graphs without the calls they matched: judged before results format 2, or a baseline comparison. */
const NOT_STORED = 'the run recorded this verdict without the calls it matched (results format 1); run the scenario again to see them';

interface Placing {
  graph: number;
  kind: GraphResult['kind'];
  find: (at: TraceCallRef) => CallNode | undefined;
  ctx: GraphViewContext;
}

function mark(node: CallNode, m: CallMark, ctx: GraphViewContext): void {
  const list = ctx.marks.get(node) ?? [];
  list.push(m);
  ctx.marks.set(node, list);
}

function stepViews(steps: readonly JudgedStep[], p: Placing): ExpectedStepView[] {
  return steps.map((s) => {
    const v: ExpectedStepView = { at: s.at, expected: s.expected, status: s.status, inside: stepViews(s.inside ?? [], p) };
    if (s.detail !== undefined) v.detail = s.detail;
    if (s.call !== undefined) {
      v.line = s.call.line;
      const node = p.find(s.call);
      if (node !== undefined) {
        const id = p.ctx.ids.get(node);
        if (id !== undefined) v.callId = id;
        mark(node, { graph: p.graph, at: s.at, expected: p.kind === 'order' ? `first ${s.expected}` : s.expected, ok: OK_STATUSES.has(s.status) }, p.ctx);
      }
    }
    return v;
  });
}

function rootText(node: CallNode): string {
  return `${node.symbol} at line ${node.line}${node.task !== null ? ` (${node.task}-${node.pid ?? '?'}, cpu ${node.cpu ?? '?'})` : ''}`;
}

function graphView(g: GraphResult, index: number, ctx: GraphViewContext, find: Placing['find']): ReportGraph {
  const view: ReportGraph = { result: g, kind: g.kind, expected: null, satisfied: [], failed: [], forbid: [] };
  const judged = g.judged;
  if (judged === undefined) return g.kind === 'baseline' ? view : { ...view, note: NOT_STORED };
  const ids = (refs: readonly TraceCallRef[]) => refs.flatMap((r) => {
    const node = find(r);
    const id = node !== undefined ? ctx.ids.get(node) : undefined;
    return id !== undefined ? [id] : [];
  });
  view.satisfied = ids(judged.satisfied);
  view.failed = ids(judged.failed);
  view.forbid = [...judged.forbid];
  const root = judged.root !== undefined ? find(judged.root) : undefined;
  if (root !== undefined) {
    const id = ctx.ids.get(root);
    if (id !== undefined) view.rootId = id;
    view.rootText = rootText(root);
  }
  // An order check whose section is missing has nothing to show but the reason.
  if (g.kind === 'path' || judged.steps.length > 0) view.expected = stepViews(judged.steps, { graph: index, kind: g.kind, find, ctx });
  if (judged.note !== undefined) view.note = judged.note;
  return view;
}

/** One view per stored graph result; without a trace (ctx null) the verdict is shown alone, with `unavailable` as the reason. */
export function graphViews(stored: readonly GraphResult[], ctx: GraphViewContext | null, unavailable?: string): ReportGraph[] {
  const find = ctx !== null ? callAt(ctx.trace) : () => undefined;
  return stored.map((g, i) => {
    if (ctx !== null) return graphView(g, i, ctx, find);
    const bare: ReportGraph = { result: g, kind: g.kind, expected: null, satisfied: [], failed: [], forbid: [] };
    return g.kind === 'baseline' ? bare : { ...bare, note: unavailable ?? 'no trace: the expected graph cannot be shown against observed calls' };
  });
}
