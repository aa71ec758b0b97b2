// Streaming parser for ftrace function_graph text: lines in, call trees out.
//
// Memory is constant per open call: a root is handed to `onRoot` (and dropped unless kept) as soon as
// it returns. Calls are stacked per task (pid), because a task keeps its return stack when it migrates
// between CPUs; the idle task (pid 0, one per CPU) and output without a TASK/PID column use one stack
// per CPU, as ftrace's own printer does. The printed depth (indentation) reconciles the stacks when
// the output is damaged: a call that never returned is closed when a line appears at its depth or
// above; a closing brace without its entry (a wrapped ring buffer) becomes an incomplete node that
// adopts the deeper calls printed before it.

import { ByteLineSplitter } from './byte-lines.ts';
import { Call, NO_CHILDREN } from './call-node.ts';
import {
  ascii,
  decode,
  findText,
  FtraceLineScanner,
  L_COMMENT,
  L_EMPTY,
  L_ENTRY,
  L_EXIT,
  L_HEADER,
  L_IRQ_ENTER,
  L_IRQ_EXIT,
  L_LEAF,
  L_LOST,
  L_OVERRUN,
  L_SEPARATOR,
  L_TASK_SWITCH,
} from './ftrace-line.ts';
import { emptyTrace, type CallNode, type Diagnostic, type DiagnosticSeverity, type Trace, type TraceMarker } from './model.ts';
import { SymbolTable } from './normalise.ts';
import { applyFlowInfo, classifyComment, probeFlowInfo, type ProbeFlowInfo } from './probe-event.ts';
import { finishTrace, type TraceAssembly } from './trace-assembly.ts';

export interface FunctionGraphParserOptions {
  /** Called with each root as soon as it is complete (or at finish() for calls that never returned). */
  onRoot?: (root: CallNode) => void;
  /** Keep roots for finish()'s Trace. Default: true, or false when onRoot is given. */
  keepRoots?: boolean;
  /** Called with each marker (trace_marker text, probe or other event) as it is read. */
  onMarker?: (marker: TraceMarker) => void;
  /** Keep markers for finish()'s Trace. Default: true, or false when onMarker is given. */
  keepMarkers?: boolean;
  /** Diagnostics kept before the rest are only counted. Default 1000. */
  maxDiagnostics?: number;
}

interface PendingProbe extends ProbeFlowInfo {
  fn: string;
}

interface TaskState {
  open: Call[];
  /** Finished calls printed deeper than 0 with no open parent: a later orphan return may adopt them. */
  pending: CallNode[];
  probe: PendingProbe | null;
  irqNext: boolean;
  lastLine: number;
}

const MAX_PENDING = 1000;
const MAX_LINE = 1 << 20;
const SP = 32;
const LATENCY_TRACE = ascii(' latency trace v');
const ON = ascii(' on ');

export class FunctionGraphParser {
  private readonly scanner = new FtraceLineScanner();
  private readonly symbols = new SymbolTable();
  private readonly tasks = new Map<number, TaskState>();
  private lastKey = Number.NaN;
  private lastState: TaskState | null = null;
  private readonly cpuTask = new Map<number, { task: string; pid: number }>();
  private readonly asm: TraceAssembly;
  private readonly onRoot: ((root: CallNode) => void) | undefined;
  private readonly keepRoots: boolean;
  private readonly onMarker: ((marker: TraceMarker) => void) | undefined;
  private readonly keepMarkers: boolean;
  private readonly encoder = new TextEncoder();
  private lineNo = 0;
  private readonly lines = new ByteLineSplitter(
    (s, start, end) => {
      this.lineNo++;
      this.handle(s, start, end);
    },
    (head) => {
      this.lineNo++;
      this.diag(this.lineNo, 'error', 'LINE_TOO_LONG', `line longer than ${MAX_LINE} bytes skipped`, decode(head, 0, head.length));
    },
    MAX_LINE,
  );

  constructor(options: FunctionGraphParserOptions = {}) {
    this.onRoot = options.onRoot;
    this.keepRoots = options.keepRoots ?? options.onRoot === undefined;
    this.onMarker = options.onMarker;
    this.keepMarkers = options.keepMarkers ?? options.onMarker === undefined;
    this.asm = {
      trace: emptyTrace('function_graph'),
      markerRoots: [],
      maxDiagnostics: options.maxDiagnostics ?? 1000,
      suppressed: 0,
    };
  }

  /** One line, without its newline. */
  push(line: string): void {
    const bytes = this.encoder.encode(line);
    this.lineNo++;
    this.handle(bytes, 0, bytes.length);
  }

  /** Any chunk of text; lines may span chunks. */
  pushText(chunk: string): void {
    this.pushBytes(this.encoder.encode(chunk));
  }

  /**
   * Any chunk of UTF-8 bytes (e.g. a Buffer from a file stream); lines may span chunks. Lines are
   * parsed in place, without copying or decoding them: the fast path for large traces.
   */
  pushBytes(chunk: Uint8Array): void {
    this.lines.push(chunk);
  }

  finish(): Trace {
    this.lines.flush();
    for (const st of this.tasks.values()) {
      while (st.open.length > 0) this.closeUnreturned(st);
      this.flushPending(st);
    }
    this.asm.trace.lines = this.lineNo;
    return finishTrace(this.asm, this.keepRoots);
  }

  private diag(line: number, severity: DiagnosticSeverity, code: string, message: string, text?: string): void {
    const a = this.asm;
    if (a.trace.diagnostics.length >= a.maxDiagnostics) {
      a.suppressed++;
      return;
    }
    const d: Diagnostic = { line, severity, code, message };
    if (text !== undefined) d.text = text.length > 200 ? `${text.slice(0, 200)}…` : text;
    a.trace.diagnostics.push(d);
  }

  private state(key: number): TaskState {
    if (key === this.lastKey && this.lastState !== null) return this.lastState;
    let st = this.tasks.get(key);
    if (st === undefined) {
      st = { open: [], pending: [], probe: null, irqNext: false, lastLine: 0 };
      this.tasks.set(key, st);
    }
    this.lastKey = key;
    this.lastState = st;
    return st;
  }

  /** Stack key: the pid, or one stack per CPU for the idle task and output without a TASK/PID column. */
  private key(): number {
    const sc = this.scanner;
    if (sc.hasProc && sc.pid > 0) return sc.pid;
    return -2 - sc.cpu;
  }

  private handle(s: Uint8Array, start: number, end: number): void {
    const sc = this.scanner;
    sc.scan(s, start, end);
    switch (sc.kind) {
      case L_ENTRY:
      case L_LEAF:
        this.onCall(s);
        return;
      case L_EXIT:
        this.onExit(s);
        return;
      case L_EMPTY:
      case L_SEPARATOR:
      case L_IRQ_EXIT:
        return;
      case L_HEADER:
        this.onHeader(s, start, end);
        return;
      case L_TASK_SWITCH:
        this.cpuTask.set(sc.cpu, { task: sc.task, pid: sc.pid });
        return;
      case L_IRQ_ENTER:
        this.state(this.key()).irqNext = true;
        return;
      case L_COMMENT:
        this.onComment(s);
        return;
      case L_LOST: {
        const count = sc.count >= 0 ? sc.count : null;
        this.asm.trace.lost.push({ line: this.lineNo, cpu: sc.cpu, count });
        if (count !== null) this.asm.trace.lostEvents += count;
        this.diag(this.lineNo, 'warning', 'LOST_EVENTS', `CPU ${sc.cpu} lost ${count ?? 'an unknown number of'} events: calls around here may be incomplete`);
        return;
      }
      case L_OVERRUN:
        this.diag(this.lineNo, 'info', 'OVERRUN', `return stack overrun: ${sc.count} calls were not traced`);
        return;
      default:
        this.diag(this.lineNo, 'error', 'UNPARSED_LINE', 'not a function_graph line', decode(s, start, Math.min(end, start + 400)));
    }
  }

  private onHeader(s: Uint8Array, start: number, end: number): void {
    // "# function_graph latency trace v1.1.5 on 6.1.0-56-cloud-amd64" (latency-format header).
    if (this.asm.trace.kernelRelease !== null) return;
    const at = findText(s, LATENCY_TRACE, start, end);
    if (at < 0) return;
    const on = findText(s, ON, at, end);
    if (on > 0) this.asm.trace.kernelRelease = decode(s, on + 4, end).trim().split(/\s+/)[0] ?? null;
  }

  private taskOf(): { task: string | null; pid: number | null } {
    const sc = this.scanner;
    if (sc.hasProc) return { task: sc.task, pid: sc.pid };
    const known = this.cpuTask.get(sc.cpu);
    return known ? { task: known.task, pid: known.pid } : { task: null, pid: null };
  }

  private onCall(s: Uint8Array): void {
    const sc = this.scanner;
    const st = this.state(this.key());
    const depth = sc.depth;
    const open = st.open;
    while (open.length > 0 && open[open.length - 1]!.depth >= depth) this.closeUnreturned(st);
    if (open.length === 0 && depth === 0 && st.pending.length > 0) this.flushPending(st);

    const info = this.symbols.lookupHashed(s, sc.nameStart, sc.nameEnd, sc.nameHash);
    const leaf = sc.kind === L_LEAF;
    const task = sc.hasProc ? sc.task : (this.cpuTask.get(sc.cpu)?.task ?? null);
    const pid = sc.hasProc ? sc.pid : (this.cpuTask.get(sc.cpu)?.pid ?? null);
    const node = new Call(info.fn, info.symbol, info.module, sc.cpu >= 0 ? sc.cpu : null, task, pid, this.lineNo, depth, leaf ? NO_CHILDREN : []);
    if (sc.timeUs === sc.timeUs) node.startUs = sc.timeUs;
    if (leaf) {
      if (sc.durationUs === sc.durationUs) node.durationUs = sc.durationUs;
      if (sc.retStart >= 0) node.retval = decode(s, sc.retStart, sc.retEnd);
      node.endLine = this.lineNo;
    }
    if (st.irqNext) {
      node.irq = true;
      st.irqNext = false;
    }
    if (st.probe !== null) {
      if (st.probe.fn === node.fn) applyProbe(node, st.probe);
      st.probe = null;
    }
    st.lastLine = this.lineNo;
    if (open.length > 0) {
      open[open.length - 1]!.children.push(node);
      if (!leaf) open.push(node);
    } else if (leaf) {
      this.completeTopLevel(st, node);
    } else {
      open.push(node);
    }
  }

  private tailMatches(s: Uint8Array, node: Call): boolean {
    const sc = this.scanner;
    const sym = node.symbol;
    const after = sc.nameStart + sym.length;
    if (sc.tailCut) {
      // The capture ends inside the tail: what is left of the name must begin the symbol.
      const len = Math.min(sym.length, sc.nameEnd - sc.nameStart);
      for (let k = 0; k < len; k++) if (sym.charCodeAt(k) !== s[sc.nameStart + k]) return false;
      return true;
    }
    if (after > sc.nameEnd) return false;
    // Symbols are ASCII: compare code units to bytes without decoding the tail.
    for (let k = 0; k < sym.length; k++) if (sym.charCodeAt(k) !== s[sc.nameStart + k]) return false;
    return after === sc.nameEnd || s[after] === SP;
  }

  private onExit(s: Uint8Array): void {
    const sc = this.scanner;
    const st = this.state(this.key());
    const depth = sc.depth;
    const open = st.open;
    const hasTail = sc.nameEnd > sc.nameStart;
    while (open.length > 0 && open[open.length - 1]!.depth > depth) this.closeUnreturned(st);
    let top = open.length > 0 ? open[open.length - 1]! : null;
    if (top !== null && top.depth === depth) {
      if (!hasTail || this.tailMatches(s, top)) {
        open.pop();
        if (sc.durationUs === sc.durationUs) top.durationUs = sc.durationUs;
        if (sc.retStart >= 0) top.retval = decode(s, sc.retStart, sc.retEnd);
        top.endLine = this.lineNo;
        if (open.length === 0) this.completeTopLevel(st, top);
        return;
      }
      // Same depth, another name: this call lost its return and the closing one lost its entry.
      this.closeUnreturned(st);
      top = open.length > 0 ? open[open.length - 1]! : null;
    }
    this.onOrphanReturn(s, st, top);
  }

  /** A return whose entry is gone: synthesise the call around the deeper calls printed before it. */
  private onOrphanReturn(s: Uint8Array, st: TaskState, top: Call | null): void {
    const sc = this.scanner;
    const depth = sc.depth;
    const container = top !== null ? top.children : st.pending;
    let k = container.length;
    while (k > 0 && container[k - 1]!.depth > depth) k--;
    const adopted = container.splice(k);
    const info = sc.nameEnd > sc.nameStart ? this.symbols.lookupBytes(s, sc.nameStart, sc.nameEnd) : { fn: '?', symbol: '?', module: null };
    const { task, pid } = this.taskOf();
    const line = adopted.length > 0 ? adopted[0]!.line : this.lineNo;
    const node = new Call(info.fn, info.symbol, info.module, sc.cpu >= 0 ? sc.cpu : null, task, pid, line, depth, adopted);
    node.complete = false;
    node.incomplete = 'no-entry';
    node.endLine = this.lineNo;
    if (sc.durationUs === sc.durationUs) {
      node.durationUs = sc.durationUs;
      if (sc.timeUs === sc.timeUs) node.startUs = sc.timeUs - sc.durationUs;
    }
    if (sc.retStart >= 0) node.retval = decode(s, sc.retStart, sc.retEnd);
    this.diag(this.lineNo, 'warning', 'ORPHAN_RETURN', `return of ${info.symbol} without its entry (wrapped buffer or lost events): kept as an incomplete call around ${adopted.length} earlier call(s)`);
    if (top !== null) top.children.push(node);
    else this.completeTopLevel(st, node);
  }

  private closeUnreturned(st: TaskState): void {
    const node = st.open.pop()!;
    node.complete = false;
    node.incomplete = 'no-return';
    this.diag(node.line, 'warning', 'NO_RETURN', `${node.symbol} never returned in this capture`);
    if (st.open.length === 0) this.completeTopLevel(st, node);
  }

  private completeTopLevel(st: TaskState, node: CallNode): void {
    if (node.depth === 0) {
      this.emit(node);
      return;
    }
    st.pending.push(node);
    if (st.pending.length > MAX_PENDING) {
      // Calls that keep printing deeper than 0 are roots of their own (e.g. another fgraph user shifts depth).
      const old = st.pending.splice(0, MAX_PENDING >> 1);
      for (const n of old) this.emit(n);
    }
  }

  private flushPending(st: TaskState): void {
    const pending = st.pending;
    if (pending.length === 0) return;
    st.pending = [];
    for (const n of pending) this.emit(n);
  }

  private emit(root: CallNode): void {
    if (this.keepRoots) this.asm.trace.roots.push(root);
    if (this.onRoot !== undefined) this.onRoot(root);
  }

  private onComment(s: Uint8Array): void {
    const sc = this.scanner;
    const text = decode(s, sc.textStart, sc.textEnd);
    const { kind, probe } = classifyComment(text);
    const st = this.state(this.key());
    const { task, pid } = this.taskOf();
    const marker: TraceMarker = {
      kind,
      text,
      line: this.lineNo,
      cpu: sc.cpu >= 0 ? sc.cpu : null,
      task,
      pid,
      timeUs: sc.timeUs === sc.timeUs ? sc.timeUs : null,
      insideRoot: null,
      beforeRoot: -1,
    };
    if (probe) marker.probe = probe;
    if (this.keepMarkers) {
      this.asm.trace.markers.push(marker);
      // Remember the enclosing root only when roots are kept: a streaming parser must not retain them.
      this.asm.markerRoots.push(this.keepRoots && st.open.length > 0 ? st.open[0]! : null);
    }
    if (this.onMarker !== undefined) this.onMarker(marker);
    if (probe === undefined || probe.retprobe) return;
    const hook: PendingProbe = { fn: probe.fn, ...probeFlowInfo(probe) };
    const top = st.open.length > 0 ? st.open[st.open.length - 1]! : null;
    // The probe fires at function entry: ftrace prints it right after the entry line (inside the call)
    // or right before it, depending on which ftrace_ops was registered last.
    if (top !== null && top.fn === probe.fn && top.children.length === 0 && top.line === st.lastLine) applyProbe(top, hook);
    else st.probe = hook;
  }
}

function applyProbe(node: Call, probe: PendingProbe): void {
  applyFlowInfo(node, probe);
}

/** Parses a whole function_graph text (or its UTF-8 bytes). */
export function parseFunctionGraph(text: string | Uint8Array): Trace {
  const parser = new FunctionGraphParser();
  if (typeof text === 'string') parser.pushText(text);
  else parser.pushBytes(text);
  return parser.finish();
}
