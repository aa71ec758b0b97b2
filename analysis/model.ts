// The call-tree model every parser produces and every consumer (matcher, renderers, `analyze --json`)
// reads. It is plain data: JSON.stringify(trace) is the stored format, versioned by TRACE_FORMAT_VERSION.

import type { PacketHeader } from './packet-header.ts';

export const TRACE_FORMAT = 'ipvs-harness/trace';
/** Bump when a field changes meaning or disappears; adding optional fields keeps the version. */
export const TRACE_FORMAT_VERSION = 1;

export type TraceSource = 'function_graph' | 'bpftrace' | 'kprobe-events';

/** Why a call is not complete: its entry line was lost (wrapped buffer) or it never returned in the capture. */
export type IncompleteReason = 'no-entry' | 'no-return';

export interface CallNode {
  /** Normalised name: compiler clone suffixes (.part.N, .isra.N, .constprop.N, .cold, .llvm.N) dropped. */
  fn: string;
  /** The name as printed, without the module suffix (e.g. `ip_vs_out.part.0`). */
  symbol: string;
  /** Module the symbol lives in (`ip_vs`), null for the core kernel. */
  module: string | null;
  cpu: number | null;
  task: string | null;
  pid: number | null;
  /** Duration as printed (function_graph), null when unknown (entry never closed, events without timing). */
  durationUs: number | null;
  /** Absolute entry time in microseconds when the trace carries time stamps (funcgraph-abstime, event lines). */
  startUs: number | null;
  complete: boolean;
  incomplete?: IncompleteReason;
  /** 1-based line of the entry; for a call whose entry was lost, the line of its first child or closing brace. */
  line: number;
  /** Line of the closing brace, when the call has one. */
  endLine?: number;
  /** Call depth as printed by ftrace (indentation / 2); 0 for roots of a clean capture. */
  depth: number;
  children: CallNode[];
  /** Return value as printed by funcgraph-retval (`0x0`, `-22`). */
  retval?: string;
  /** Netfilter hook number (1 LOCAL_IN, 2 FORWARD, 3 LOCAL_OUT) when a probe event reported it. */
  hook?: number;
  /** Address family (4 or 6) when a probe event reported `pf`. */
  family?: 4 | 6;
  /** The skb the hook was called with (`0xff42...`), when a flow probe reported it: one packet's identity. */
  skb?: string;
  /** Inode number of the network namespace the hook ran in (net.ns.inum), when a flow probe reported it. */
  netns?: number;
  /** The packet as the hook saw it (addresses, protocol, ports), when a flow probe reported its bytes. */
  packet?: PacketHeader;
  /** The call started inside an interrupt (after a `==========>` arrow). */
  irq?: boolean;
  /** bpftrace stacks: how many samples went through this frame. */
  count?: number;
}

export type MarkerKind = 'marker' | 'kprobe' | 'event' | 'printf';

export interface ProbeEvent {
  /** Event name (`in_hook`, or `ipvs/in_hook` when the group is printed). */
  event: string;
  /** Normalised probed function (for a kretprobe: the function that returned). */
  fn: string;
  symbol: string;
  module: string | null;
  /** `+0x4/0x3b0` as printed, or null. */
  offset: string | null;
  retprobe: boolean;
  args: Record<string, string>;
}

export interface TraceMarker {
  kind: MarkerKind;
  /** The text between `/* ` and ` *\/`, or the event body. */
  text: string;
  line: number;
  cpu: number | null;
  task: string | null;
  pid: number | null;
  timeUs: number | null;
  /** Index in roots[] of the root the marker was printed inside (same task/CPU, call open), else null. */
  insideRoot: number | null;
  /** Index in roots[] of the first root that starts after the marker (roots.length when none). */
  beforeRoot: number;
  probe?: ProbeEvent;
}

export type DiagnosticSeverity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  line: number;
  severity: DiagnosticSeverity;
  /** Stable code, e.g. `UNPARSED_LINE`, `LOST_EVENTS`, `ORPHAN_RETURN`. */
  code: string;
  message: string;
  /** The offending line (truncated), when there is one. */
  text?: string;
}

export interface LostEvents {
  line: number;
  cpu: number | null;
  /** Null when ftrace printed `[LOST EVENTS]` without a count. */
  count: number | null;
}

export interface Trace {
  format: typeof TRACE_FORMAT;
  version: typeof TRACE_FORMAT_VERSION;
  source: TraceSource;
  /** Kernel release when the trace says so (latency-format header), else null. */
  kernelRelease: string | null;
  /** Call trees in file order of their first line. */
  roots: CallNode[];
  markers: TraceMarker[];
  /** Sum of the counts of all `[LOST N EVENTS]` lines. */
  lostEvents: number;
  lost: LostEvents[];
  diagnostics: Diagnostic[];
  /** Number of input lines read. */
  lines: number;
}

export function emptyTrace(source: TraceSource): Trace {
  return {
    format: TRACE_FORMAT,
    version: TRACE_FORMAT_VERSION,
    source,
    kernelRelease: null,
    roots: [],
    markers: [],
    lostEvents: 0,
    lost: [],
    diagnostics: [],
    lines: 0,
  };
}

/** Calls `visit` on every node of the trees in pre-order (document order). */
export function walkCalls(roots: readonly CallNode[], visit: (node: CallNode, parent: CallNode | null) => void): void {
  const stack: Array<[CallNode, CallNode | null]> = [];
  for (let i = roots.length - 1; i >= 0; i--) stack.push([roots[i]!, null]);
  while (stack.length > 0) {
    const [node, parent] = stack.pop()!;
    visit(node, parent);
    for (let i = node.children.length - 1; i >= 0; i--) stack.push([node.children[i]!, node]);
  }
}

/**
 * Finds a call by the line of its entry and its name, as stored references name it (a call whose
 * entry was lost shares its first child's line, so the name decides).
 */
export function callAt(trace: Trace): (at: { line: number; fn: string }) => CallNode | undefined {
  const byLine = new Map<number, CallNode[]>();
  walkCalls(trace.roots, (n) => {
    const list = byLine.get(n.line);
    if (list === undefined) byLine.set(n.line, [n]);
    else list.push(n);
  });
  return (at) => {
    const nodes = byLine.get(at.line);
    return nodes?.find((n) => n.fn === at.fn) ?? nodes?.[0];
  };
}
