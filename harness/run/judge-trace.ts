// Judges a scenario's trace with the analyzer: parse, cut it into step sections by their markers,
// match each expected graph on its step, and state plainly what the hook calls did.
import type { CellResult, GraphResult } from '../../analysis/report/results.ts';
import { matchExpectedGraph } from '../../analysis/expected-graph-match.ts';
import { validateExpectedGraph } from '../../analysis/expected-graph-validate.ts';
import { formatGraphPath, type ExpectedGraph } from '../../analysis/expected-graph-types.ts';
import { parseFunctionGraph } from '../../analysis/function-graph-parser.ts';
import type { Trace } from '../../analysis/model.ts';
import { describeRoleInstances } from '../../analysis/role-observations.ts';
import { findRoleInstances, knownRoleKeys, parseRoleKey, resolveGeneration } from '../../analysis/roles.ts';
import { checkRoleOrder } from '../../analysis/role-order.ts';
import { findSection, sliceSection, type SectionSpec } from '../../analysis/section.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import { stepMarker } from '../../scenarios/trace-plan.ts';

export interface Judged {
  graphs: GraphResult[];
  observations: string[];
  summary: NonNullable<CellResult['trace']>;
}

export type JudgeTrace = (traceText: string, scenario: Scenario, kernelRelease: string) => Judged;

/** Keys a scenario adds to an expectation of the analyzer's format. */
const SCENARIO_KEYS = ['step', 'name'] as const;

/** `order: [role, role, ...]`: the first instances of these roles appear in this order. */
function orderOf(item: Record<string, unknown>): string[] | undefined {
  const order = item['order'];
  return Array.isArray(order) ? order.map(String) : undefined;
}

function splitItem(item: Record<string, unknown>): { step?: string; name?: string; expectation: Record<string, unknown> } {
  const { step, name, ...expectation } = item;
  return {
    expectation,
    ...(typeof step === 'string' ? { step } : {}),
    ...(typeof name === 'string' ? { name } : {}),
  };
}

function asGraph(scenario: string, item: Record<string, unknown>): { graph: ExpectedGraph | null; errors: { path: (string | number)[]; message: string }[] } {
  const { expectation, name } = splitItem(item);
  const { graph, errors } = validateExpectedGraph({ version: 1, name: name ?? scenario, expect: [expectation] });
  return {
    graph,
    errors: errors.map((e) => ({
      path: e.path.slice(2) as (string | number)[],
      message: `${e.problem}${e.expected ? `; expected ${e.expected}` : ''}`,
    })),
  };
}

/** Validation hook for scenario files: each graph item is one expectation plus `step` and `name`. */
export function checkGraphForScenario(item: Record<string, unknown>): { path: (string | number)[]; message: string }[] {
  if (item['order'] !== undefined) return checkOrderItem(item);
  const problems = asGraph('check', item).errors;
  for (const key of SCENARIO_KEYS) {
    if (item[key] !== undefined && typeof item[key] !== 'string') problems.push({ path: [key], message: `expected a ${key} name` });
  }
  return problems;
}

function checkOrderItem(item: Record<string, unknown>): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const order = item['order'];
  if (!Array.isArray(order) || order.length < 2) problems.push({ path: ['order'], message: 'expected a list of at least two roles, e.g. [remote_request, local_request]' });
  else order.forEach((r, i) => {
    if (typeof r !== 'string' || parseRoleKey(r) === null) problems.push({ path: ['order', i], message: `unknown role ${JSON.stringify(r)}; known: ${knownRoleKeys().join(', ')}` });
  });
  for (const key of Object.keys(item)) {
    if (!['order', 'step', 'name', 'label'].includes(key)) problems.push({ path: [key], message: `unknown field "${key}" in an order check; expected order, step, name, label` });
  }
  return problems;
}

export function stepSection(step: string): SectionSpec {
  return { from: stepMarker(step, 'begin'), to: stepMarker(step, 'end') };
}

export const judgeTrace: JudgeTrace = (traceText, scenario, kernelRelease) => {
  const trace = parseFunctionGraph(traceText);
  const graphs: GraphResult[] = scenario.graphs.map((item) => judgeItem(trace, scenario, item, kernelRelease));
  return {
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
};

function judgeItem(trace: Trace, scenario: Scenario, item: Record<string, unknown>, kernelRelease: string): GraphResult {
  const { step } = splitItem(item);
  const order = orderOf(item);
  if (order) return judgeOrder(trace, item, order, kernelRelease, step);
  const { graph, errors } = asGraph(scenario.name, item);
  const role = String(item['role'] ?? item['root'] ?? '?');
  const label = typeof item['label'] === 'string' ? item['label'] : undefined;
  const name = typeof item['name'] === 'string' ? item['name'] : `${step ?? 'trace'}/${role}`;
  if (!graph) {
    return { name, role, holds: false, diff: errors.map((e) => `${formatGraphPath(e.path)}: ${e.message}`).join('\n'), ...(step ? { step } : {}) };
  }
  const verdict = matchExpectedGraph(trace, graph, { kernelRelease, ...(step ? { section: stepSection(step) } : {}) });
  const notes = [...verdict.notes, ...verdict.perRole.flatMap((r) => r.notes)];
  return {
    name: label ? `${name}: ${label}` : name,
    role,
    holds: verdict.holds,
    ...(step ? { step } : {}),
    ...(verdict.holds ? {} : { diff: verdict.diffText }),
    ...(notes.length ? { notes: [...new Set(notes)] } : {}),
  };
}

function judgeOrder(trace: Trace, item: Record<string, unknown>, order: string[], kernelRelease: string, step: string | undefined): GraphResult {
  let scope = trace;
  if (step) {
    const found = findSection(trace, stepSection(step));
    if (!found.ok) return { name: `${step}/order`, role: order.join(' -> '), holds: false, step, diff: found.message };
    scope = sliceSection(trace, found.range);
  }
  const v = checkRoleOrder(scope, order, kernelRelease);
  const label = typeof item['label'] === 'string' ? `: ${item['label']}` : '';
  return {
    name: `${typeof item['name'] === 'string' ? item['name'] : `${step ?? 'trace'}/order`}${label}`,
    role: order.join(' -> '),
    holds: v.holds,
    ...(step ? { step } : {}),
    ...(v.holds ? {} : { diff: v.diffText }),
    notes: v.found.map((f) => `first ${f}`),
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
