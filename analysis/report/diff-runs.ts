// Picks what to compare for a call-graph diff: one kernel's cells of one run against another
// kernel's cells (of the same run or of another), scenario by scenario, saying which cells could not
// be compared and why.
import { diffCallGraphs, type CallGraphDiff } from './callgraph-diff.ts';
import type { CallGraphEntry } from './callgraph-summary.ts';
import type { RunResults } from './results.ts';

export interface RunSide {
  results: RunResults;
  /** Indexes of results.cells whose trace was parsed. */
  traced: ReadonlySet<number>;
  /** Canonical call graphs of the run (all kernels). */
  entries: readonly CallGraphEntry[];
  kernel: string;
  label: string;
}

function cellIndex(side: RunSide, scenario: string): number {
  return side.results.cells.findIndex((c) => c.kernel === side.kernel && c.scenario === scenario);
}

export function diffRunSides(a: RunSide, b: RunSide): CallGraphDiff {
  const info = (s: RunSide) => {
    const k = s.results.kernels.find((x) => x.spec === s.kernel);
    const release = k?.release ?? s.results.cells.find((c) => c.kernel === s.kernel)?.kernelRelease ?? null;
    const generation = s.entries.find((e) => e.kernel === s.kernel)?.generation ?? 'unknown';
    return { label: s.label, kernel: s.kernel, release, generation };
  };
  const names = [...new Set([...a.results.scenarios.map((s) => s.name), ...b.results.scenarios.map((s) => s.name)])];
  const scenarios: string[] = [];
  const notCompared: string[] = [];
  for (const name of names) {
    const ia = cellIndex(a, name);
    const ib = cellIndex(b, name);
    if (ia < 0 && ib < 0) continue;
    if (ia < 0 || ib < 0) {
      notCompared.push(`${name}: run on ${ia < 0 ? b.label : a.label} only`);
      continue;
    }
    const missing = [
      !a.traced.has(ia) ? `${a.label} (${a.results.cells[ia]!.status})` : null,
      !b.traced.has(ib) ? `${b.label} (${b.results.cells[ib]!.status})` : null,
    ].filter((x): x is string => x !== null);
    // function_graph sees every ip_vs function under a hook, bpftrace only the hooks and what the graphs
    // name: their trees differ by the tracer, not by the kernel.
    const tracerOf = (s: RunSide, i: number) => (s.results.cells[i]!.tracer === 'bpftrace' ? 'bpftrace' : 'ftrace');
    if (missing.length > 0) notCompared.push(`${name}: no trace on ${missing.join(' and ')}`);
    else if (tracerOf(a, ia) !== tracerOf(b, ib)) notCompared.push(`${name}: traced by ${tracerOf(a, ia)} on ${a.label} and by ${tracerOf(b, ib)} on ${b.label}; compare runs of one tracer (--tracer)`);
    else scenarios.push(name);
  }
  const traceable = (s: RunSide) => s.results.kernels.find((x) => x.spec === s.kernel)?.traceable?.functions;
  const steps = (s: RunSide) => new Map(s.results.cells.filter((c) => c.kernel === s.kernel).map((c) => [c.scenario, c.steps] as const));
  return diffCallGraphs(
    { side: info(a), entries: a.entries.filter((e) => e.kernel === a.kernel), traceable: traceable(a), steps: steps(a) },
    { side: info(b), entries: b.entries.filter((e) => e.kernel === b.kernel), traceable: traceable(b), steps: steps(b) },
    scenarios,
    notCompared,
  );
}
