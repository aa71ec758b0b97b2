// vitest matchers for users' own tests: `expect(trace).toHaveCallPath(graph)` fails with the matcher's
// diff; `expect(trace).toHaveCall('ip_vs_leave', { count: 0 })` checks single calls. Install once, e.g.
// in a setup file: `import { installCallGraphMatchers } from 'ipvs-harness/analysis'; installCallGraphMatchers();`
import { expect } from 'vitest';
import { expandNames } from './call-sequence.ts';
import { parseTrace } from './detect-format.ts';
import { matchExpectedGraph, type MatchOptions } from './expected-graph-match.ts';
import type { CountSpec, ExpectationInput, ExpectedGraph, ExpectedGraphInput } from './expected-graph-types.ts';
import { defineExpectedGraph } from './expected-graph-validate.ts';
import { walkCalls, type CallNode, type Trace } from './model.ts';
import { countOk, describeCount } from './path-matcher.ts';
import { findRoleInstances, parseRoleKey, resolveGeneration, roleMatch } from './roles.ts';

/** A graph, a graph input, or a single expectation (`{ role, path }`) as shorthand. */
export type GraphLike = ExpectedGraph | ExpectedGraphInput | ExpectationInput;

export interface ToHaveCallOptions {
  /** How many calls: a number (exactly) or {min, max}. Default: at least one. */
  count?: number | CountSpec;
  /** Only count calls under hook calls of this role (e.g. `local_request`). */
  role?: string;
  kernelRelease?: string;
}

function toTrace(received: unknown): Trace {
  if (typeof received === 'string') return parseTrace(received);
  if (typeof received === 'object' && received !== null && Array.isArray((received as Trace).roots)) return received as Trace;
  throw new TypeError('expected a Trace (from parseTrace / parseFunctionGraph) or trace text');
}

export function toGraph(graph: GraphLike): ExpectedGraph {
  if ('expect' in graph && Array.isArray(graph.expect)) {
    const g = graph as ExpectedGraph | ExpectedGraphInput;
    return 'file' in g && g.version === 1 && g.expect.every((e) => 'at' in e) ? (g as ExpectedGraph) : defineExpectedGraph(g as ExpectedGraphInput, 'toHaveCallPath');
  }
  return defineExpectedGraph({ version: 1, name: 'inline expectation', expect: [graph as ExpectationInput] }, 'toHaveCallPath');
}

function callsUnder(trace: Trace, role: string | undefined, kernelRelease: string | undefined): CallNode[] {
  if (role === undefined) {
    const all: CallNode[] = [];
    walkCalls(trace.roots, (n) => all.push(n));
    return all;
  }
  const key = parseRoleKey(role);
  if (key === null) throw new TypeError(`unknown role "${role}"`);
  const out: CallNode[] = [];
  for (const i of findRoleInstances(trace, resolveGeneration(trace, kernelRelease))) {
    if (roleMatch(i, key) !== null) walkCalls([i.node], (n) => out.push(n));
  }
  return out;
}

export const callGraphMatchers = {
  toHaveCallPath(received: unknown, graph: GraphLike, options: MatchOptions = {}) {
    const verdict = matchExpectedGraph(toTrace(received), toGraph(graph), options);
    return {
      pass: verdict.holds,
      message: () => (verdict.holds ? `expected graph "${verdict.graph}" not to hold, but it does:\n${verdict.diffText}` : verdict.diffText),
    };
  },

  toHaveCall(received: unknown, fn: string, options: ToHaveCallOptions = {}) {
    const trace = toTrace(received);
    const names = expandNames([fn]);
    const calls = callsUnder(trace, options.role, options.kernelRelease).filter((n) => names.has(n.fn));
    const count: CountSpec = typeof options.count === 'number' ? { min: options.count, max: options.count } : (options.count ?? { min: 1 });
    const pass = countOk(count, calls.length);
    const where = options.role ? ` under role ${options.role}` : '';
    const lines = calls.slice(0, 10).map((n) => n.line).join(', ');
    return {
      pass,
      message: () =>
        pass
          ? `expected ${fn}${where} not to be called ${describeCount(count)} time(s), but it was called ${calls.length} time(s) (lines ${lines})`
          : `expected ${fn}${where} to be called ${describeCount(count)} time(s), but it was called ${calls.length} time(s)${calls.length > 0 ? ` (lines ${lines})` : ''}`,
    };
  },
};

export function installCallGraphMatchers(): void {
  expect.extend(callGraphMatchers);
}

interface CallGraphMatchers<R = unknown> {
  toHaveCallPath(graph: GraphLike, options?: MatchOptions): R;
  toHaveCall(fn: string, options?: ToHaveCallOptions): R;
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Assertion<T = any> extends CallGraphMatchers<T> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AsymmetricMatchersContaining extends CallGraphMatchers {}
}
