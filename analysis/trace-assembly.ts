// Final assembly shared by the parsers: roots in file order, marker positions as root indices, and the
// count of diagnostics that were dropped to keep memory bounded on garbage input.
import type { CallNode, Trace } from './model.ts';

export interface TraceAssembly {
  trace: Trace;
  /** For each marker, the root it was printed inside (same task, call open), if any. */
  markerRoots: Array<CallNode | null>;
  maxDiagnostics: number;
  suppressed: number;
}

/** Index of the first root whose first line is after `line` (roots sorted by line). */
export function firstRootAfter(roots: readonly CallNode[], line: number): number {
  let lo = 0;
  let hi = roots.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (roots[mid]!.line <= line) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function finishTrace(asm: TraceAssembly, rootsKept: boolean): Trace {
  const trace = asm.trace;
  // Roots are emitted when they complete; interleaved CPUs complete out of order.
  trace.roots.sort((a, b) => a.line - b.line);
  if (rootsKept) {
    const index = new Map<CallNode, number>();
    trace.roots.forEach((r, i) => index.set(r, i));
    trace.markers.forEach((m, i) => {
      const inside = asm.markerRoots[i];
      m.insideRoot = inside ? (index.get(inside) ?? null) : null;
      m.beforeRoot = firstRootAfter(trace.roots, m.line);
    });
  }
  if (asm.suppressed > 0) {
    trace.diagnostics.push({
      line: trace.lines,
      severity: 'info',
      code: 'DIAGNOSTICS_SUPPRESSED',
      message: `${asm.suppressed} further diagnostics were not kept`,
    });
  }
  return trace;
}
