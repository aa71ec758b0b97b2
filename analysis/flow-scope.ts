// Expected graphs scoped to one flow (`flow: pod1 -> vip:80/tcp` in a scenario's graph item): the
// trace narrowed to the hook calls of the flows the selector names, so a step's graph is judged on
// its own packets even when the kernel's own traffic (ND, MLD) or another connection interleaves.
// The calls keep their lines, so a verdict made on the narrowed trace places on the full one.
import { flowsOf, type Flow } from './flows.ts';
import type { CallNode, Trace } from './model.ts';

/** What a `flow:` names, addresses resolved (scenarios/flow-names.ts). */
export interface FlowSelector {
  /** As written: `pod1 -> vip:80/tcp`. */
  text: string;
  /** The client's address; absent: any client. */
  client?: string;
  /** The service's address (the VIP). */
  service: string;
  port?: number;
  proto?: string;
}

function addressOf(endpoint: string): string {
  const m = /^\[(.*)\]:\d+$/.exec(endpoint) ?? /^([^:]+):\d+$/.exec(endpoint);
  return m ? m[1]! : endpoint;
}

function portOf(endpoint: string): number | undefined {
  const m = /:(\d+)$/.exec(endpoint);
  return m && (endpoint.startsWith('[') || endpoint.split(':').length === 2) ? Number(m[1]) : undefined;
}

export function selectsFlow(sel: FlowSelector, f: Flow): boolean {
  if (f.kernelOwn !== null) return false;
  if (sel.proto !== undefined && f.proto !== sel.proto) return false;
  if (addressOf(f.service) !== sel.service) return false;
  if (sel.port !== undefined && portOf(f.service) !== sel.port) return false;
  return sel.client === undefined || addressOf(f.client) === sel.client;
}

/** The lines of the hook calls in flows the selector names. */
function flowCallLines(roots: readonly CallNode[], sel: FlowSelector): Set<number> {
  const lines = new Set<number>();
  for (const f of flowsOf(roots)) if (selectsFlow(sel, f)) for (const c of f.calls) lines.add(c.line);
  return lines;
}

/** A copy of the call without the hook calls of other flows below it (the rest of its tree kept). */
function prune(node: CallNode, keep: ReadonlySet<number>): CallNode {
  let changed = false;
  const children: CallNode[] = [];
  for (const c of node.children) {
    if (c.packet !== undefined && !keep.has(c.line)) {
      changed = true;
      continue;
    }
    const p = prune(c, keep);
    if (p !== c) changed = true;
    children.push(p);
  }
  return changed ? { ...node, children } : node;
}

function holdsKept(node: CallNode, keep: ReadonlySet<number>): boolean {
  return (node.packet !== undefined && keep.has(node.line)) || node.children.some((c) => holdsKept(c, keep));
}

/** A root stays when it is a hook call of the flow, or holds one (nf_hook_slow, a timer). */
function keepRoot(root: CallNode, keep: ReadonlySet<number>): CallNode | null {
  if (root.packet !== undefined) return keep.has(root.line) ? prune(root, keep) : null;
  return holdsKept(root, keep) ? prune(root, keep) : null;
}

/** The trace with only the calls of the selected flows (markers and diagnostics kept, marker positions recomputed). */
export function scopeToFlow(trace: Trace, sel: FlowSelector): { trace: Trace; flows: number } {
  const keep = flowCallLines(trace.roots, sel);
  const roots = trace.roots.map((r) => keepRoot(r, keep)).filter((r): r is CallNode => r !== null);
  const markers = trace.markers.map((m) => {
    const before = roots.findIndex((r) => r.line > m.line);
    return { ...m, insideRoot: null, beforeRoot: before < 0 ? roots.length : before };
  });
  const flows = flowsOf(trace.roots).filter((f) => selectsFlow(sel, f)).length;
  return { trace: { ...trace, roots, markers }, flows };
}
