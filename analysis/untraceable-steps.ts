// A required call the kernel cannot trace is not a call the kernel skipped: when a missing step of an
// expected path names only functions that are not among the kernel's traceable functions (what the
// trace filter selected: results.json kernels[].traceable), the verdict says so, on the step and in
// the graph's notes, so that "missing ip_vs_conn_fill_param_proto" on 7.3 reads as "inlined there".
import type { GraphResult, JudgedStep } from './report/results.ts';
import { normaliseSymbol } from './normalise.ts';

/** Function names in a step's expectation (`ip_vs_conn_new`, `anyOf(tcp_conn_schedule | udp_conn_schedule)`). */
export function namesOf(expected: string): string[] {
  return expected.match(/[A-Za-z_][A-Za-z0-9_.]*/g)?.filter((n) => n !== 'anyOf' && n !== 'allOf' && n !== 'not') ?? [];
}

export function untraceableNote(fns: readonly string[]): string {
  return `${fns.join(', ')} cannot be traced on this kernel (not among its traceable functions: inlined, or not in its text); the trace cannot show ${fns.length === 1 ? 'it' : 'them'}`;
}

/** Marks the missing steps of failed path graphs whose functions `traceable` lacks; returns the graphs changed in place. */
export function markUntraceable(graphs: GraphResult[], traceable: readonly string[]): void {
  const names = new Set(traceable.map(normaliseSymbol));
  for (const g of graphs) {
    if (g.holds || g.kind !== 'path' || g.judged === undefined) continue;
    const found: string[] = [];
    const visit = (steps: JudgedStep[]): void => {
      for (const s of steps) {
        if (s.status === 'missing') {
          const fns = namesOf(s.expected);
          if (fns.length > 0 && fns.every((f) => !names.has(normaliseSymbol(f)))) {
            s.detail = s.detail ? `${s.detail}; ${untraceableNote(fns)}` : untraceableNote(fns);
            found.push(...fns);
          }
        }
        if (s.inside) visit(s.inside);
      }
    };
    visit(g.judged.steps);
    if (found.length > 0) g.notes = [...new Set([...(g.notes ?? []), untraceableNote([...new Set(found)])])];
  }
}
