// The verdict of one expected graph, call by call, as the run stores it (results.json's
// cells[].graphs[].judged): each step of the expected path with the call it matched or failed on,
// the role's calls that satisfy it and those that do not. Made once, by the run's judge, from the
// matcher's verdict; the report only renders it (analysis/report/graph-view.ts).
import { SequenceCache } from './call-sequence.ts';
import type { ExpectedGraph } from './expected-graph-types.ts';
import { formatGraphPath } from './expected-graph-types.ts';
import type { RootRef, Verdict } from './expected-graph-match.ts';
import { callAt, type CallNode, type Trace } from './model.ts';
import { explainPath, notChecked, type StepReport } from './path-matcher.ts';
import type { JudgedGraph, JudgedStep, TraceCallRef } from './report/results.ts';
import type { RoleOrderVerdict } from './role-order.ts';
import { hookTable } from './roles.ts';

function judgedSteps(reports: readonly StepReport[]): JudgedStep[] {
  return reports.map((r) => {
    const s: JudgedStep = { at: formatGraphPath(r.at), expected: r.expected, status: r.status };
    if (r.line !== undefined) s.call = { line: r.line, fn: r.fn ?? '' };
    if (r.detail !== undefined) s.detail = r.detail;
    if (r.inside !== undefined) s.inside = judgedSteps(r.inside);
    return s;
  });
}

const ref = (r: RootRef | CallNode): TraceCallRef => ({ line: r.line, fn: r.fn });

/**
 * A graph item's expectation (one per item) as judged: on the first root that satisfies it the path
 * is walked again to find the call of every step; when it fails, the matcher's account of the
 * closest root is kept; without any root the steps are listed as not checked.
 */
export function judgedPath(trace: Trace, graph: ExpectedGraph, verdict: Verdict): JudgedGraph {
  const exp = graph.expect[0]!;
  const rv = verdict.perRole[0]!;
  const judged: JudgedGraph = { steps: [], satisfied: rv.satisfied.map(ref), failed: rv.failed.map(ref), forbid: [...exp.forbid] };
  let root: CallNode | undefined;
  let reports: readonly StepReport[] | undefined;
  if (rv.holds) {
    root = rv.satisfied[0] !== undefined ? callAt(trace)(rv.satisfied[0]) : undefined;
    if (root !== undefined) {
      const cache = new SequenceCache({ includeIrq: false, crossHooks: false, hookFns: new Set(hookTable(verdict.generation).keys()) });
      reports = explainPath(exp.path, cache.of(root), cache).reports;
    }
  } else {
    root = rv.bestNode ?? (rv.best !== undefined ? callAt(trace)(rv.best) : undefined);
    reports = rv.reports;
    if (reports === undefined) {
      reports = notChecked(exp.path);
      if (rv.mismatch !== undefined) judged.note = rv.mismatch.message;
    }
  }
  if (root !== undefined) judged.root = ref(root);
  judged.steps = judgedSteps(reports ?? []);
  return judged;
}

/** An order check as judged: the first call of each role, in order, or why it is missing or out of order. */
export function judgedOrder(verdict: RoleOrderVerdict): JudgedGraph {
  let previous = -1;
  const steps = verdict.firsts.map((f, k): JudgedStep => {
    const step: JudgedStep = { at: `order[${k}]`, expected: f.role, status: 'missing' };
    if (f.first === undefined) {
      step.detail = f.known ? 'no hook call of this role in the section' : 'unknown role';
      return step;
    }
    step.call = { line: f.first.line, fn: f.first.fn };
    step.status = f.first.line > previous ? 'matched' : 'out-of-order';
    step.detail = `first at line ${f.first.line}${f.first.nested ? ' (nested)' : ''}`;
    previous = Math.max(previous, f.first.line);
    return step;
  });
  return { steps, satisfied: [], failed: [], forbid: [] };
}
