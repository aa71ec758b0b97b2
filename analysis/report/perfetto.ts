// Chrome trace event JSON (opens in ui.perfetto.dev and chrome://tracing) from function_graph
// traces: every call a complete ("X") slice on a track per CPU (process) and task (thread), with its
// real entry time (funcgraph-abstime) and duration; trace_marker lines as instant events; each step
// section as a slice on a "steps" track. Slices are clamped into their parent so that they nest
// exactly: the printed times are rounded to the microsecond while durations have nanoseconds.
import { flowsOf } from '../flows.ts';
import { walkCalls, type CallNode, type Trace } from '../model.ts';
import { findRoleInstances, resolveGeneration, type RoleInstance } from '../roles.ts';
import { findSection, type SectionSpec } from '../section.ts';
import { roleLabel } from './call-tree-view.ts';

export interface ChromeTraceEvent {
  name: string;
  ph: 'X' | 'i' | 'M';
  /** Microseconds. */
  ts?: number;
  dur?: number;
  pid: number;
  tid: number;
  cat?: string;
  s?: 't' | 'p' | 'g';
  args?: Record<string, unknown>;
}

export interface ChromeTrace {
  traceEvents: ChromeTraceEvent[];
  displayTimeUnit: 'ns';
  metadata: { source: string; synthetic_time: boolean; traces: string[] };
}

export interface PerfettoInput {
  trace: Trace;
  /** Shown in the process names: `debian:6.1 pod-to-vip`. */
  label: string;
  kernelRelease?: string | null;
  /** Step sections to draw on their own track. */
  steps?: ReadonlyArray<{ name: string; section: SectionSpec }>;
}

/** Integer nanoseconds: µs floats lose the nesting at the last digit. */
const ns = (us: number) => Math.round(us * 1000);
const us = (n: number) => n / 1000;

interface Track {
  pid: number;
  tid: number;
}

class Tracks {
  readonly events: ChromeTraceEvent[] = [];
  private readonly procs = new Map<string, number>();
  private readonly threads = new Set<string>();
  private nextPid = 1;

  process(name: string, sortIndex: number): number {
    let pid = this.procs.get(name);
    if (pid === undefined) {
      pid = this.nextPid++;
      this.procs.set(name, pid);
      this.events.push({ name: 'process_name', ph: 'M', pid, tid: 0, args: { name } });
      this.events.push({ name: 'process_sort_index', ph: 'M', pid, tid: 0, args: { sort_index: sortIndex } });
    }
    return pid;
  }

  thread(pid: number, tid: number, name: string): Track {
    const key = `${pid}/${tid}`;
    if (!this.threads.has(key)) {
      this.threads.add(key);
      this.events.push({ name: 'thread_name', ph: 'M', pid, tid, args: { name } });
    }
    return { pid, tid };
  }
}

interface Span {
  start: number;
  end: number;
}

/** Entry and exit of a call in ns; missing times come from the children or the parent. */
function spanOf(node: CallNode, parent: Span | null, prevEnd: number | null, clock: { t: number }): Span {
  let start = node.startUs !== null ? ns(node.startUs) : (prevEnd ?? parent?.start ?? clock.t);
  if (parent !== null) start = Math.max(start, parent.start);
  if (prevEnd !== null) start = Math.max(start, prevEnd);
  let end = node.durationUs !== null ? start + ns(node.durationUs) : start;
  if (parent !== null) end = Math.min(end, parent.end);
  if (end < start) end = start;
  return { start, end };
}

function emitCall(node: CallNode, parent: Span | null, prevEnd: number | null, track: Track, tracks: Tracks, roles: ReadonlyMap<CallNode, RoleInstance>, generation: ReturnType<typeof resolveGeneration>, clock: { t: number }): Span {
  const span = spanOf(node, parent, prevEnd, clock);
  // A call without a duration (never returned) still has to cover its children.
  let childPrev: number | null = null;
  const childSpans: Span[] = [];
  const open: Span = { start: span.start, end: node.durationUs !== null ? span.end : (parent?.end ?? Number.MAX_SAFE_INTEGER) };
  for (const c of node.children) {
    const s = emitCall(c, open, childPrev, track, tracks, roles, generation, clock);
    childSpans.push(s);
    childPrev = s.end;
  }
  if (node.durationUs === null) span.end = Math.max(span.end, childPrev ?? span.start);
  const inst = roles.get(node);
  const args: Record<string, unknown> = { line: node.line, symbol: node.symbol };
  if (node.module !== null) args['module'] = node.module;
  if (node.durationUs !== null) args['duration_us'] = node.durationUs;
  if (node.incomplete) args['incomplete'] = node.incomplete;
  if (inst !== undefined) args['role'] = roleLabel(inst, generation).text;
  tracks.events.push({
    name: inst !== undefined ? `${node.symbol} (${inst.roles.join('|') || 'no role'})` : node.symbol,
    cat: inst !== undefined ? 'ipvs-hook' : node.module ?? 'kernel',
    ph: 'X', ts: us(span.start), dur: us(span.end - span.start), pid: track.pid, tid: track.tid, args,
  });
  clock.t = Math.max(clock.t, span.end);
  return span;
}

/** Each flow (analysis/flows.ts) on a track of its own: its hook calls, the packet each saw and what IPVS did. */
function emitFlows(trace: Trace, tracks: Tracks, processName: string, sortIndex: number): void {
  const flows = flowsOf(trace.roots);
  if (flows.length === 0) return;
  const byLine = new Map<number, CallNode>();
  walkCalls(trace.roots, (n) => {
    if (n.packet !== undefined) byLine.set(n.line, n);
  });
  const pid = tracks.process(processName, sortIndex);
  for (const f of flows) {
    const track = tracks.thread(pid, f.id, `flow ${f.id}: ${f.story}`.slice(0, 200));
    // Clamped as the call tracks are: a top-level call starts after the previous one ends, a nested one inside its caller.
    const spans = new Map<number, Span>();
    // The end of the last call under each caller (-1: top level).
    const lastEnd = new Map<number, number>();
    for (const c of f.calls) {
      if (c.timeUs === null) continue;
      const parent = c.via !== null ? spans.get(c.via) ?? null : null;
      const under = parent === null ? -1 : c.via!;
      const span = spanOf({ startUs: c.timeUs, durationUs: byLine.get(c.line)?.durationUs ?? 0 } as CallNode, parent, lastEnd.get(under) ?? null, { t: 0 });
      spans.set(c.line, span);
      lastEnd.set(under, span.end);
      tracks.events.push({
        name: `${c.fn}@${c.hookName ?? '?'} ${c.summary}`, cat: 'ipvs-flow', ph: 'X', ts: us(span.start), dur: us(span.end - span.start), pid: track.pid, tid: track.tid,
        args: { line: c.line, action: c.action, ...(c.xmit ? { xmit: c.xmit } : {}), ...(c.skb ? { skb: c.skb } : {}), nested: c.nested },
      });
    }
  }
}

/** One or more traces as Chrome trace JSON. Calls without time stamps are laid out one after the other (metadata.synthetic_time). */
export function toChromeTrace(inputs: readonly PerfettoInput[]): ChromeTrace {
  const tracks = new Tracks();
  let synthetic = false;
  inputs.forEach((input, k) => {
    const { trace } = input;
    const generation = resolveGeneration(trace, input.kernelRelease ?? null);
    const roles = new Map(findRoleInstances(trace, generation).map((i) => [i.node, i]));
    const clock = { t: 0 };
    // Per track, the end of the last root: roots of one task never overlap.
    const lastEnd = new Map<string, number>();
    for (const root of trace.roots) {
      if (root.startUs === null) synthetic = true;
      const cpu = root.cpu ?? 0;
      const pid = tracks.process(`${input.label} CPU ${cpu}`, k * 1000 + cpu);
      const tid = root.pid ?? 0;
      const track = tracks.thread(pid, tid, root.task !== null ? `${root.task}-${root.pid ?? '?'}` : 'unknown task');
      const key = `${pid}/${tid}`;
      const span = emitCall(root, null, lastEnd.get(key) ?? null, track, tracks, roles, generation, clock);
      lastEnd.set(key, span.end);
    }
    const markerPid = tracks.process(`${input.label} markers`, k * 1000 + 999);
    const markerTrack = tracks.thread(markerPid, 1, 'trace_marker');
    for (const m of trace.markers) {
      if (m.timeUs === null) continue;
      tracks.events.push({ name: m.text.slice(0, 200), cat: m.kind, ph: 'i', s: 't', ts: us(ns(m.timeUs)), pid: markerTrack.pid, tid: markerTrack.tid, args: { line: m.line, task: m.task, cpu: m.cpu } });
    }
    emitFlows(trace, tracks, `${input.label} flows`, k * 1000 + 998);
    const stepTrack = tracks.thread(markerPid, 2, 'steps');
    for (const step of input.steps ?? []) {
      const found = findSection(trace, step.section);
      if (!found.ok || found.range.from.timeUs === null) continue;
      const start = ns(found.range.from.timeUs);
      const end = found.range.to?.timeUs != null ? ns(found.range.to.timeUs) : start;
      tracks.events.push({ name: `step ${step.name}`, cat: 'step', ph: 'X', ts: us(start), dur: us(Math.max(0, end - start)), pid: stepTrack.pid, tid: stepTrack.tid, args: { from_line: found.range.startLine, to_line: found.range.endLine } });
    }
  });
  return { traceEvents: tracks.events, displayTimeUnit: 'ns', metadata: { source: 'ipvs-harness', synthetic_time: synthetic, traces: inputs.map((i) => i.label) } };
}

export function toPerfettoJson(inputs: readonly PerfettoInput[]): string {
  return `${JSON.stringify(toChromeTrace(inputs))}\n`;
}
