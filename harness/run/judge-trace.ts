// The run's judge, the only place a trace is judged against the scenario's graphs: parse, cut it
// into step sections by their markers, match each expected graph on its step, keep the complete
// verdict (down to the call each step matched) for results.json, and state plainly what the hook
// calls did. Everything after the run renders this verdict.
import type { CellResult, GraphResult } from '../../analysis/report/results.ts';
import { matchExpectedGraph } from '../../analysis/expected-graph-match.ts';
import { judgedOrder, judgedPath } from '../../analysis/judged-graph.ts';
import { parseFunctionGraph } from '../../analysis/function-graph-parser.ts';
import { parseBpftraceCalls } from '../../analysis/bpftrace-calls.ts';
import { walkCalls, type Trace } from '../../analysis/model.ts';
import { scopeToFlow } from '../../analysis/flow-scope.ts';
import { markUntraceable } from '../../analysis/untraceable-steps.ts';
import { describeRoleInstances } from '../../analysis/role-observations.ts';
import { findRoleInstances, resolveGeneration } from '../../analysis/roles.ts';
import { checkRoleOrder } from '../../analysis/role-order.ts';
import { findSection, sliceSection } from '../../analysis/section.ts';
import { stepSection } from '../../analysis/step-markers.ts';
import { holesIn, incompleteRootsIn, missingSectionHole } from '../../analysis/trace-gaps.ts';
import type { GraphItem } from '../../scenarios/graph-items.ts';
import type { Scenario } from '../../scenarios/schema.ts';

export interface Judged {
  /** The parsed trace the verdict is about (not stored: for the agreement of two tracers). */
  trace: Trace;
  graphs: GraphResult[];
  observations: string[];
  summary: NonNullable<CellResult['trace']>;
}

export interface JudgeOptions {
  /** The marker the runner writes last: when it is missing the trace was cut off, and no graph that fails on it can be judged. */
  finalMarker?: string;
  /** What the kernel could trace (the filter's functions): a missing step naming none of them says so. */
  traceable?: readonly string[];
  /** Why the capture may be cut short (a tracer killed at its deadline): every graph that fails is incomplete for it. */
  cutShort?: string;
  /** The tracer that wrote the text: function_graph (default) or bpftrace's call events. */
  tracer?: 'ftrace' | 'bpftrace';
}

export function judgeTrace(traceText: string, scenario: Scenario, kernelRelease: string, options: JudgeOptions = {}): Judged {
  const trace = options.tracer === 'bpftrace' ? parseBpftraceCalls(traceText) : parseFunctionGraph(traceText);
  const graphs: GraphResult[] = scenario.graphs.map((item) => judgeItem(trace, item, kernelRelease));
  if (options.traceable !== undefined) markUntraceable(graphs, options.traceable);
  const final = options.finalMarker;
  if (final !== undefined && !trace.markers.some((m) => m.kind === 'marker' && m.text === final)) {
    for (const g of graphs) if (!g.holds) g.incomplete ??= `the trace is cut off: its last event, the marker "${final}", is missing`;
  }
  if (options.cutShort !== undefined) for (const g of graphs) if (!g.holds) g.incomplete ??= options.cutShort;
  return {
    trace,
    graphs,
    observations: observe(trace, scenario, kernelRelease),
    summary: {
      lines: trace.lines,
      roots: trace.roots.length,
      lostEvents: trace.lostEvents,
      diagnostics: trace.diagnostics.length,
      hooksWithNumber: countHooksWithNumber(trace),
    },
  };
}

/** The trace an item is judged on: its flow's calls only when it names one (and the trace has the flow probes). */
function scopeOf(trace: Trace, item: GraphItem): { trace: Trace; notes: string[]; suffix: string } {
  if (!item.flow) return { trace, notes: [], suffix: '' };
  const suffix = ` [flow ${item.flow.text}]`;
  let probed = false;
  walkCalls(trace.roots, (n) => {
    if (n.packet !== undefined) probed = true;
  });
  if (!probed) return { trace, notes: [`flow ${item.flow.text}: the trace has no flow probes (no packet on any hook call): judged on all calls`], suffix };
  const scoped = scopeToFlow(trace, item.flow);
  return { trace: scoped.trace, notes: [`flow ${item.flow.text}: ${scoped.flows} flow(s) of the trace selected`], suffix };
}

function judgeItem(full: Trace, item: GraphItem, kernelRelease: string): GraphResult {
  if (item.kind === 'order') return judgeOrder(full, item, kernelRelease);
  const { step, label } = item;
  const scope = scopeOf(full, item);
  const trace = scope.trace;
  const name = (item.name ?? `${step ?? 'trace'}/${item.role}`) + scope.suffix;
  const verdict = matchExpectedGraph(trace, item.graph, { kernelRelease, ...(step ? { section: stepSection(step) } : {}) });
  const notes = [...scope.notes, ...verdict.notes, ...verdict.perRole.flatMap((r) => r.notes)];
  return {
    name: label ? `${name}: ${label}` : name,
    role: item.role,
    kind: 'path',
    holds: verdict.holds,
    ...(step ? { step } : {}),
    ...(verdict.incomplete !== undefined ? { incomplete: verdict.incomplete } : {}),
    ...(verdict.holds ? {} : { diff: verdict.diffText }),
    ...(notes.length ? { notes: [...new Set(notes)] } : {}),
    judged: judgedPath(trace, item.graph, verdict),
  };
}

function judgeOrder(full: Trace, item: Extract<GraphItem, { kind: 'order' }>, kernelRelease: string): GraphResult {
  const { order, step } = item;
  const flowScope = scopeOf(full, item);
  const trace = flowScope.trace;
  let scope = trace;
  if (step) {
    const found = findSection(trace, stepSection(step));
    if (!found.ok) {
      const hole = missingSectionHole(trace, stepSection(step));
      return {
        name: `${step}/order`, role: order.join(' -> '), kind: 'order', holds: false, step, ...(hole !== null ? { incomplete: hole } : {}), diff: found.message,
        judged: { steps: [], satisfied: [], failed: [], forbid: [], note: found.message },
      };
    }
    scope = sliceSection(trace, found.range);
  }
  const v = checkRoleOrder(scope, order, kernelRelease);
  const label = item.label ? `: ${item.label}` : '';
  // An order that fails where the section lost events or holds calls cut off may have missed the first call of a role.
  const hole = v.holds ? null : holesIn(scope, null, incompleteRootsIn(scope, null));
  return {
    name: `${item.name ?? `${step ?? 'trace'}/order`}${flowScope.suffix}${label}`,
    role: order.join(' -> '),
    kind: 'order',
    holds: v.holds,
    ...(step ? { step } : {}),
    ...(hole !== null ? { incomplete: hole } : {}),
    ...(v.holds ? {} : { diff: v.diffText }),
    notes: [...flowScope.notes, ...v.found.map((f) => `first ${f}`)],
    judged: judgedOrder(v),
  };
}

/** Per step: which hook roles ran, in which order, nested where, and whether they did any work. */
function observe(trace: Trace, scenario: Scenario, kernelRelease: string): string[] {
  const generation = resolveGeneration(trace, kernelRelease);
  const out: string[] = [];
  for (const step of scenario.steps) {
    const found = findSection(trace, stepSection(step.name));
    if (!found.ok) continue;
    const section = sliceSection(trace, found.range);
    const lines = describeRoleInstances(findRoleInstances(section, generation), section.roots);
    for (const line of lines) out.push(`step ${step.name}: ${line}`);
  }
  if (trace.lostEvents > 0) out.push(`the trace buffer lost ${trace.lostEvents} events: graphs may be incomplete`);
  return out;
}

function countHooksWithNumber(trace: Trace): number {
  let n = 0;
  const visit = (nodes: Trace['roots']) => {
    for (const c of nodes) {
      if (c.hook !== undefined) n++;
      visit(c.children);
    }
  };
  visit(trace.roots);
  return n;
}
