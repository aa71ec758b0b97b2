// A scenario's `graphs:` items, read once when the scenario is parsed (parse-scenario.ts): an item is
// one expectation in the analyzer's format plus `step` and `name`, or an `order` check of roles. Pure.
import { validateExpectedGraph } from '../analysis/expected-graph-validate.ts';
import type { ExpectedGraph } from '../analysis/expected-graph-types.ts';
import { knownRoleKeys, parseRoleKey } from '../analysis/roles.ts';
import type { FlowSelector } from '../analysis/flow-scope.ts';

interface ItemCommon {
  role: string;
  step?: string;
  name?: string;
  label?: string;
  /** Judge only the calls of this flow (`flow: pod1 -> vip:80/tcp`), addresses resolved. */
  flow?: FlowSelector;
}

export type GraphItem =
  | ({ kind: 'path'; graph: ExpectedGraph } & ItemCommon)
  | ({ kind: 'order'; order: string[] } & ItemCommon);

/** Resolves a `flow:` against the scenario: the selector, or what is wrong. */
export type FlowResolver = (text: string) => FlowSelector | string;

export interface GraphItemProblem {
  path: (string | number)[];
  message: string;
}

const ORDER_KEYS = ['order', 'step', 'name', 'label', 'flow'];

function common(item: Record<string, unknown>): { step?: string; name?: string; label?: string } {
  const out: { step?: string; name?: string; label?: string } = {};
  if (typeof item['step'] === 'string') out.step = item['step'];
  if (typeof item['name'] === 'string') out.name = item['name'];
  if (typeof item['label'] === 'string') out.label = item['label'];
  return out;
}

function orderProblems(item: Record<string, unknown>): GraphItemProblem[] {
  const problems: GraphItemProblem[] = [];
  const order = item['order'];
  if (!Array.isArray(order) || order.length < 2) problems.push({ path: ['order'], message: 'expected a list of at least two roles, e.g. [remote_request, local_request]' });
  else order.forEach((r, i) => {
    if (typeof r !== 'string' || parseRoleKey(r) === null) problems.push({ path: ['order', i], message: `unknown role ${JSON.stringify(r)}; known: ${knownRoleKeys().join(', ')}` });
  });
  for (const key of Object.keys(item)) {
    if (!ORDER_KEYS.includes(key)) problems.push({ path: [key], message: `unknown field "${key}" in an order check; expected ${ORDER_KEYS.join(', ')}` });
  }
  // The same bounds as an expectation's label and a graph's name (analysis/expected-graph-validate.ts).
  const label = item['label'];
  if (label !== undefined && (typeof label !== 'string' || label.length > 200)) problems.push({ path: ['label'], message: 'expected a short description (at most 200 characters)' });
  const name = item['name'];
  if (typeof name === 'string' && name.length > 100) problems.push({ path: ['name'], message: 'expected a short name (at most 100 characters)' });
  return problems;
}

/** Reads one item; `problems` is empty when it is valid. */
export function readGraphItem(item: Record<string, unknown>, scenarioName: string, resolveFlow?: FlowResolver): { item: GraphItem | null; problems: GraphItemProblem[] } {
  const base: Omit<ItemCommon, 'role'> = common(item);
  const problems: GraphItemProblem[] = [];
  const flowText = item['flow'];
  if (flowText !== undefined) {
    const sel = typeof flowText !== 'string' ? 'expected a flow such as "pod1 -> vip:80/tcp"' : resolveFlow ? resolveFlow(flowText) : 'flows are resolved against a scenario';
    if (typeof sel === 'string') problems.push({ path: ['flow'], message: sel });
    else base.flow = sel;
  }
  for (const key of ['step', 'name'] as const) {
    if (item[key] !== undefined && typeof item[key] !== 'string') problems.push({ path: [key], message: `expected a ${key} name` });
  }
  if (item['order'] !== undefined) {
    problems.push(...orderProblems(item));
    if (problems.length > 0) return { item: null, problems };
    const order = (item['order'] as unknown[]).map(String);
    return { item: { kind: 'order', order, role: order.join(' -> '), ...base }, problems };
  }
  const { step: _step, name, flow: _flow, ...expectation } = item;
  const { graph, errors } = validateExpectedGraph({ version: 1, name: typeof name === 'string' ? name : scenarioName, expect: [expectation] });
  problems.push(...errors.map((e) => ({
    // The graph is wrapped as `expect[0]`; paths are reported relative to the item.
    path: e.path.slice(2) as (string | number)[],
    message: `${e.problem}${e.expected ? `; expected ${e.expected}` : ''}`,
  })));
  if (graph === null || problems.length > 0) return { item: null, problems };
  return { item: { kind: 'path', graph, role: String(item['role'] ?? item['root'] ?? '?'), ...base }, problems };
}

/** Every item in file order, typed; the problems carry the path below `graphs`. */
export function readGraphItems(items: ReadonlyArray<Record<string, unknown>>, scenarioName: string, resolveFlow?: FlowResolver): { items: GraphItem[]; problems: GraphItemProblem[] } {
  const out: GraphItem[] = [];
  const problems: GraphItemProblem[] = [];
  items.forEach((raw, i) => {
    const read = readGraphItem(raw, scenarioName, resolveFlow);
    if (read.item !== null) out.push(read.item);
    problems.push(...read.problems.map((p) => ({ path: [i, ...p.path], message: p.message })));
  });
  return { items: out, problems };
}
