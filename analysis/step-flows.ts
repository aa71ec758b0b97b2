// A trace's flows step by step: the hook calls between a step's two markers grouped into flows
// (analysis/flows.ts), and those outside every step (late packets, the kernel's own traffic) apart.
import { flowsOf, type Flow } from './flows.ts';
import type { CallNode, Trace } from './model.ts';
import { inSection } from './section.ts';
import { stepRanges, stepsInTrace, type StepSpan } from './step-markers.ts';

export interface StepFlows {
  /** null: calls outside every step. */
  step: string | null;
  flows: Flow[];
  /** Hook calls in this section without a packet (a trace without flow probes): not attributed. */
  unattributed: number;
}

const HOOK_RE = /^ip_vs_(in_hook|out_hook|forward_icmp(_v6)?|(remote_|local_)?request[46]|(local_)?reply[46])$/;

function countUnattributed(roots: readonly CallNode[]): number {
  let n = 0;
  const stack = [...roots];
  while (stack.length > 0) {
    const c = stack.pop()!;
    if (c.packet === undefined && HOOK_RE.test(c.fn)) n++;
    stack.push(...c.children);
  }
  return n;
}

/** Flows per step (the steps named, or those whose markers the trace holds), then those outside the steps when there are any. */
export function flowsByStep(trace: Trace, steps: readonly StepSpan[] = stepsInTrace(trace)): StepFlows[] {
  const ranges = stepRanges(trace, steps);
  const taken = new Set<CallNode>();
  const out: StepFlows[] = [];
  for (const { name, range } of ranges) {
    const roots = range === null ? [] : trace.roots.filter((r) => inSection(r.line, range) && !taken.has(r));
    roots.forEach((r) => taken.add(r));
    out.push({ step: name, flows: flowsOf(roots), unattributed: countUnattributed(roots) });
  }
  const rest = trace.roots.filter((r) => !taken.has(r));
  const restFlows = flowsOf(rest);
  if (restFlows.length > 0 || out.length === 0) out.push({ step: null, flows: restFlows, unattributed: countUnattributed(rest) });
  return out;
}
