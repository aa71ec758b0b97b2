// A trace's flows step by step: the hook calls between a step's two markers grouped into flows
// (analysis/flows.ts), and those outside every step (late packets, the kernel's own traffic) apart.
import type { ConnTable } from './conn-table.ts';
import { flowPairs, flowsOf, nameFlow, type Flow } from './flows.ts';
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
  // Late packets of a step's connection (after its end marker) continue that step's flow.
  for (const f of restFlows) {
    if (f.kernelOwn !== null) continue;
    const pairs = flowPairs(f);
    for (const s of out) {
      const match = s.flows.find((g) => g.kernelOwn === null && [...flowPairs(g)].some((p) => pairs.has(p)));
      if (match) {
        f.continues = { step: s.step!, flow: match.id };
        f.story = `late packets of step ${s.step}'s flow ${match.id}: ${f.story}`;
      }
    }
  }
  if (restFlows.length > 0 || out.length === 0) out.push({ step: null, flows: restFlows, unattributed: countUnattributed(rest) });
  return out;
}

/**
 * Each flow's IPVS connection from the table after its step (`ipvsadm -Lnc` prints source, virtual,
 * destination): its state and timeout, and the real server where no packet showed it (DR, where the
 * request keeps the VIP as destination).
 */
export function attachConnections(steps: StepFlows[], tables: ReadonlyArray<{ name: string; connections?: { after: ConnTable } }>): void {
  for (const s of steps) {
    const table = tables.find((t) => t.name === s.step)?.connections?.after;
    if (!table) continue;
    for (const f of s.flows) {
      const entry = table.entries.find((e) => e.source === f.client && e.virtual === f.service && e.proto.toLowerCase() === f.proto);
      if (!entry) continue;
      f.connection = entry;
      if (f.realServer === null) {
        f.realServer = entry.destination;
        f.story = f.story.replace(/: (new connection scheduled|existing connection)/, `: $1 to ${entry.destination}`);
      } else if (entry.destination !== f.realServer && entry.destination.startsWith(`${f.realServer.includes(':') ? `[${f.realServer}]` : f.realServer}:`)) {
        // A tunnel's outer header names the real server's address; the table adds its port.
        f.story = f.story.replace(` to ${f.realServer} `, ` to ${entry.destination} `);
        f.realServer = entry.destination;
      }
    }
  }
}

/** Each flow's hosts by the scenario's names (`pod1 -> VIP:80 -> rs1`), the kernel's own packets left alone. */
export function attachNames(steps: StepFlows[], names: Readonly<Record<string, string>> | undefined): void {
  if (names === undefined) return;
  for (const s of steps) for (const f of s.flows) if (f.kernelOwn === null) f.who = nameFlow(f, names);
}
