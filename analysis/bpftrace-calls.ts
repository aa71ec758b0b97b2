// bpftrace call events into the call-tree model (`run --tracer bpftrace`). The program the runner
// generates (scenarios/bpftrace-plan.ts) prints one line per event:
//
//   ipvs-harness bpftrace calls 1 <ns>                      its BEGIN probe: every probe is attached
//   > <ns> <cpu> <tid> <fn> <hook> <pf> <comm>              entry (hook, pf: -1 when not read)
//   < <ns> <cpu> <tid> <fn> <retval>                        return
//   M <ns> <cpu> <tid> <text>                               a runner marker (a write(2) of it)
//   Lost <n> events                                         bpftrace's own line for a full buffer
//
// Calls nest per task (the idle task per CPU): a softirq runs in the task it interrupted, so a packet
// received while a hook runs nests inside it, as function_graph shows it. bpftrace prints each CPU's
// buffer in turn, so events of different CPUs are not in time order in its output: the runner sorts
// the lines by time before it stores them (sortBpftraceCalls), and the parser, which reads line by
// line, reports lines that go back in time (OUT_OF_ORDER) rather than guessing.
import { Call } from './call-node.ts';
import { emptyTrace, type CallNode, type Trace } from './model.ts';
import { SymbolTable } from './normalise.ts';
import { finishTrace, type TraceAssembly } from './trace-assembly.ts';

/** The first line the program prints (in BEGIN, after every probe is attached), then the boot-time ns. */
export const BPFTRACE_CALLS_HEADER = 'ipvs-harness bpftrace calls 1';

// ns is a %llu (at most 20 digits), cpu and tid are %d: longer numbers are not events (and would
// give calls an infinite time or pid).
const ENTRY_RE = /^> (\d{1,20}) (\d{1,10}) (\d{1,10}) ([\w.]+) (-?\d+) (-?\d+)(?: (.*))?$/;
const RETURN_RE = /^< (\d{1,20}) (\d{1,10}) (\d{1,10}) ([\w.]+) (-?\d+)$/;
const MARKER_RE = /^M (\d{1,20}) (\d{1,10}) (\d{1,10}) (.*)$/;
const EVENT_TIME_RE = /^[<>M] (\d+) /;

/** Whether text is this format: the header among its first 200 lines (bpftrace's warnings come before it). */
export function looksLikeBpftraceCalls(head: readonly string[]): boolean {
  return head.slice(0, 200).some((l) => l.startsWith(BPFTRACE_CALLS_HEADER));
}

/**
 * Puts the event lines in time order (stable). The lines before the first event (bpftrace's
 * "Attaching N probes...", the header) stay first; any other line (`Lost N events`, a warning) goes
 * with the event printed before it, so a loss stays in the step where bpftrace reported it.
 */
export function sortBpftraceCalls(text: string): string {
  const lines = text.split('\n');
  const trailing = text.endsWith('\n') ? lines.pop() : undefined;
  const head: string[] = [];
  const events: Array<{ ns: bigint; i: number; lines: string[] }> = [];
  lines.forEach((line, i) => {
    const m = EVENT_TIME_RE.exec(line);
    if (m) events.push({ ns: BigInt(m[1]!), i, lines: [line] });
    else if (events.length === 0) head.push(line);
    else events[events.length - 1]!.lines.push(line);
  });
  events.sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : a.i - b.i));
  const out = [...head, ...events.flatMap((e) => e.lines)].join('\n');
  return trailing !== undefined ? `${out}\n` : out;
}

/**
 * Drops the events after the runner's final marker (`M ... <marker>`): bpftrace detaches its probes
 * one by one after SIGINT, so hook calls entered then lose their returns. The capture ends at the
 * marker, as function_graph's does (tracing goes off right after it). Other lines are kept.
 */
export function endAtMarker(text: string, marker: string): string {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => MARKER_RE.test(l) && l.endsWith(` ${marker}`));
  if (at < 0) return text;
  return [...lines.slice(0, at + 1), ...lines.slice(at + 1).filter((l) => !EVENT_TIME_RE.test(l))].join('\n');
}

const FAMILY: Record<number, 4 | 6> = { 2: 4, 10: 6 };

/** Reads bpftrace call events line by line; finish() returns the trace. */
export class BpftraceCallsParser {
  private readonly asm: TraceAssembly = { trace: emptyTrace('bpftrace'), markerRoots: [], maxDiagnostics: 1000, suppressed: 0 };
  private readonly symbols = new SymbolTable();
  /** Open calls per task, outermost first. */
  private readonly stacks = new Map<string, Call[]>();
  private line = 0;
  private lastNs = -1;
  private outOfOrder = 0;
  private header = false;
  /** Lines of program context still to skip after a located bpftrace message. */
  private context = 0;

  private diag(severity: 'error' | 'warning' | 'info', code: string, message: string, text?: string): void {
    const d = this.asm.trace.diagnostics;
    if (d.length >= this.asm.maxDiagnostics) {
      this.asm.suppressed++;
      return;
    }
    d.push({ line: this.line, severity, code, message, ...(text !== undefined ? { text: text.slice(0, 200) } : {}) });
  }

  private time(nsText: string, text: string): number {
    const ns = Number(nsText);
    if (ns < this.lastNs) {
      if (this.outOfOrder++ === 0) this.diag('warning', 'OUT_OF_ORDER', 'an event earlier than the line before it: the lines are not in time order (sort them by their second field first); nesting may be wrong', text);
    } else this.lastNs = ns;
    return ns;
  }

  push(raw: string): void {
    this.line++;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') return;
    const c = text.charCodeAt(0);
    if (c === 62 /* > */) {
      const m = ENTRY_RE.exec(text);
      if (m) return this.entry(m, text);
    } else if (c === 60 /* < */) {
      const m = RETURN_RE.exec(text);
      if (m) return this.exit(m, text);
    } else if (c === 77 /* M */) {
      const m = MARKER_RE.exec(text);
      if (m) return this.marker(m, text);
    }
    if (text.startsWith(BPFTRACE_CALLS_HEADER)) {
      this.header = true;
      return;
    }
    if (/^Attaching \d+ probes?/.test(text)) return;
    const lost = /^Lost (\d+) events/.exec(text);
    if (lost) {
      const n = Number(lost[1]);
      const count = Number.isSafeInteger(n) ? n : null;
      if (count !== null) this.asm.trace.lostEvents += count;
      this.asm.trace.lost.push({ line: this.line, cpu: null, count });
      this.diag('warning', 'LOST_EVENTS', `bpftrace lost ${count ?? 'an unknown number of'} events (its per-CPU buffers were full)`, text);
      return;
    }
    // bpftrace shows the program line and a ~~~ underline after a message about a place in it.
    if (this.context > 0 && !/^(WARNING|ERROR|HINT|stdin|\S+\.bt):/.test(text)) {
      this.context--;
      if (/^\s*~+\s*$/.test(text)) this.context = 0;
      return;
    }
    this.context = 0;
    if (/^HINT:/.test(text)) {
      this.diag('info', 'BPFTRACE_MESSAGE', `bpftrace said: ${text.slice(0, 200)}`, text);
      return;
    }
    if (/^(WARNING|ERROR|stdin|.*\.bt):/.test(text)) {
      if (/^[^:\s]+:\d+:[\d-]+: /.test(text)) this.context = 2;
      // A message about a place in the program has the place first: `calls.bt:3:1-27: WARNING: ...`.
      const warning = /^(?:[^:]*:[\d:-]+: )?WARNING:/.test(text);
      this.diag(warning ? 'warning' : 'error', 'BPFTRACE_MESSAGE', `bpftrace said: ${text.slice(0, 200)}`, text);
      return;
    }
    this.diag('error', 'UNPARSED_LINE', 'not a bpftrace call event', text);
  }

  private stackOf(tid: number, cpu: number): { key: string; stack: Call[] } {
    const key = tid === 0 ? `0/${cpu}` : String(tid);
    let stack = this.stacks.get(key);
    if (stack === undefined) {
      stack = [];
      this.stacks.set(key, stack);
    }
    return { key, stack };
  }

  private entry(m: RegExpExecArray, text: string): void {
    const ns = this.time(m[1]!, text);
    const cpu = Number(m[2]);
    const tid = Number(m[3]);
    const { stack } = this.stackOf(tid, cpu);
    const info = this.symbols.lookup(m[4]!);
    const node = new Call(info.fn, info.symbol, info.module, cpu, m[7] ?? null, tid, this.line, stack.length, []);
    node.startUs = ns / 1000;
    const hook = Number(m[5]);
    if (hook >= 0 && hook <= 4) node.hook = hook;
    const family = FAMILY[Number(m[6])];
    if (family !== undefined) node.family = family;
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(node);
    stack.push(node);
  }

  private exit(m: RegExpExecArray, text: string): void {
    const ns = this.time(m[1]!, text);
    const cpu = Number(m[2]);
    const tid = Number(m[3]);
    const { stack } = this.stackOf(tid, cpu);
    const fn = this.symbols.lookup(m[4]!).fn;
    let at = stack.length - 1;
    while (at >= 0 && stack[at]!.fn !== fn) at--;
    if (at < 0) {
      // Entered before the probes were attached, or its entry was lost: a call with no entry.
      this.diag('warning', 'ORPHAN_RETURN', `a return of ${fn} without its entry on task ${tid}`, text);
      const info = this.symbols.lookup(m[4]!);
      const node = new Call(info.fn, info.symbol, info.module, cpu, null, tid, this.line, stack.length, []);
      node.complete = false;
      node.incomplete = 'no-entry';
      node.endLine = this.line;
      node.retval = m[5]!;
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(node);
      else this.asm.trace.roots.push(node);
      return;
    }
    // Calls above it whose return was not seen (a kretprobe that missed): closed as incomplete.
    while (stack.length - 1 > at) this.close(stack, stack.pop()!, null, 'no-return');
    const node = stack.pop()!;
    node.durationUs = node.startUs !== null ? Math.max(0, ns / 1000 - node.startUs) : null;
    node.endLine = this.line;
    node.retval = m[5]!;
    this.close(stack, node, this.line, null);
  }

  private close(stack: Call[], node: Call, _endLine: number | null, reason: 'no-return' | null): void {
    if (reason !== null) {
      node.complete = false;
      node.incomplete = reason;
      this.diag('warning', 'MISSING_RETURN', `${node.fn} entered at line ${node.line} never returned in the capture`);
    }
    if (stack.length === 0) this.asm.trace.roots.push(node);
  }

  private marker(m: RegExpExecArray, text: string): void {
    const ns = this.time(m[1]!, text);
    const cpu = Number(m[2]);
    const tid = Number(m[3]);
    const stack = this.stacks.get(tid === 0 ? `0/${cpu}` : String(tid));
    this.asm.trace.markers.push({ kind: 'marker', text: m[4]!.trimEnd(), line: this.line, cpu, task: null, pid: tid, timeUs: ns / 1000, insideRoot: null, beforeRoot: -1 });
    this.asm.markerRoots.push((stack?.[0] as CallNode | undefined) ?? null);
  }

  finish(): Trace {
    for (const stack of this.stacks.values()) {
      while (stack.length > 0) this.close(stack, stack.pop()!, null, 'no-return');
    }
    if (!this.header && this.line > 0) this.diag('warning', 'NO_HEADER', `no "${BPFTRACE_CALLS_HEADER}" line: bpftrace may not have attached its probes`);
    if (this.outOfOrder > 1) this.diag('warning', 'OUT_OF_ORDER', `${this.outOfOrder} events in all were earlier than the line before them`);
    this.asm.trace.lines = this.line;
    return finishTrace(this.asm, true);
  }
}

/** Parses the call events of a bpftrace capture (see the top of this file). */
export function parseBpftraceCalls(text: string): Trace {
  const p = new BpftraceCallsParser();
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  for (const l of lines) p.push(l);
  return p.finish();
}
