// Scans one line of function_graph output into a reusable record, without regular expressions and
// without allocating anything but the strings a caller asks for. It reads bytes (UTF-8), not strings:
// a trace is ASCII except for task names and marker texts, and skipping the decode of every line is
// most of the parser's speed. The layout follows
// kernel/trace/trace_functions_graph.c (print_graph_prologue, print_graph_duration, print_graph_irq):
//
//   [abstime "%5lu.%06lu |  "] [reltime "%9llu us |  "] [cpu " %*d) "] [proc "comm-pid" centred + " | "]
//   [latency flags " d..1. | "] [duration "+ 36.425 us   |  " or 14 spaces + "|  "] indent content
//
// content: `fn [mod]() {` (entry), `fn [mod]();` (leaf), `}` / `} /* fn [mod] */` (exit, funcgraph-tail),
// optional retval comments (`/* = 0x0 */`, `/* ret=0x0 */`), `/* text */` (trace_marker or event),
// `==========>` / `<==========` (funcgraph-irqs). Special lines: `# ...` headers, ` ------` separators,
// ` 0)  sh-303  =>  wget-308 ` task switches, `CPU:0 [LOST 12 EVENTS]`, ` (Overruns: 3)`.

import {
  ascii,
  DASH,
  decode,
  DOT,
  findChar,
  findText,
  HASH,
  hasAt,
  isDigit,
  isDurationMark,
  isLatencyChar,
  LPAREN,
  LT,
  EQ,
  PIPE,
  RPAREN,
  SP,
  TAB,
  CR,
} from './ftrace-bytes.ts';
import { scanContent } from './ftrace-content.ts';
import {
  L_EMPTY,
  L_HEADER,
  L_IRQ_ENTER,
  L_IRQ_EXIT,
  L_LOST,
  L_OVERRUN,
  L_SEPARATOR,
  L_TASK_SWITCH,
  L_UNKNOWN,
  type ContentFields,
} from './ftrace-line-kinds.ts';

export * from './ftrace-line-kinds.ts';
export { ascii, decode, findText } from './ftrace-bytes.ts';

const DASHES = ascii('-----');
const CPU_COLON = ascii('CPU:');
const OVERRUNS = ascii('(Overruns:');
const US_BAR = ascii(' us |');
const ARROW = ascii('=>');
const LOST = ascii('[LOST');
const IRQ_IN = ascii('==========>');
const IRQ_OUT = ascii('<==========');


export class FtraceLineScanner implements ContentFields {
  kind = L_EMPTY;
  cpu = -1;
  /** Absolute time stamp in microseconds (funcgraph-abstime), NaN when absent. */
  timeUs = NaN;
  hasProc = false;
  task = '';
  pid = -1;
  durationUs = NaN;
  depth = 0;
  /** Printed name range (entry, leaf, exit tail); nameEnd === nameStart when absent. */
  nameStart = 0;
  nameEnd = 0;
  /** FNV-1a hash of the name bytes of an entry or leaf (for SymbolTable.lookupHashed). */
  nameHash = 0;
  /** The `} /* name *\/` tail was cut short (no closing `*\/`): the name may be a prefix. */
  tailCut = false;
  retStart = -1;
  retEnd = -1;
  /** Comment text range. */
  textStart = 0;
  textEnd = 0;
  /** Lost-event count (-1: not given), overruns. */
  count = -1;
  /** Task switch: the previous task (the new one is in task/pid). */
  prevTask = '';
  prevPid = -1;

  // The proc column repeats on consecutive lines; comparing raw text avoids re-parsing and allocating.
  private procRaw: Uint8Array = new Uint8Array(0);
  private fpRest: Uint8Array | null = null;
  private fpBar2 = 0;
  private fpCpu = -1;
  private fpTask = '';
  private fpPid = -1;
  private procTask = '';
  private procPid = -1;

  scan(s: Uint8Array, start: number, end: number): void {
    this.kind = L_UNKNOWN;
    this.cpu = -1;
    this.timeUs = NaN;
    this.hasProc = false;
    this.pid = -1;
    this.task = '';
    this.durationUs = NaN;
    this.depth = 0;
    this.nameStart = this.nameEnd = 0;
    this.retStart = this.retEnd = -1;
    this.count = -1;
    this.tailCut = false;

    while (end > start) {
      const c = s[end - 1]!;
      if (c !== SP && c !== CR && c !== TAB) break;
      end--;
    }
    let i = start;
    while (i < end && s[i]! === SP) i++;
    if (i >= end) {
      this.kind = L_EMPTY;
      return;
    }
    const first = s[i]!;
    if (first === HASH && i === start) {
      this.kind = L_HEADER;
      return;
    }
    if (first === DASH && hasAt(s, i, end, DASHES)) {
      this.kind = L_SEPARATOR;
      return;
    }
    if (first === 67 /* C */ && hasAt(s, i, end, CPU_COLON)) {
      this.scanLost(s, i + 4, end);
      return;
    }
    if (first === LPAREN && hasAt(s, i, end, OVERRUNS)) {
      this.kind = L_OVERRUN;
      this.count = this.readInt(s, i + 10, end);
      return;
    }

    // Time and CPU columns: "%5lu.%06lu |  ", "%9llu us |  ", " %*d) ".
    // `from` is where the function column starts: after the last column read, or the line start
    // (output without columns keeps its indentation there).
    let base = 0;
    let from = start;
    let cpuStart = -1;
    for (let guard = 0; guard < 3 && i < end && isDigit(s[i]!); guard++) {
      // Fast path: the CPU and TASK/PID columns repeat the previous line's bytes and the duration
      // column ends where it did (all fixed width in ftrace's output).
      const fp = this.fpRest;
      if (fp !== null && s[i + this.fpBar2] === PIPE && hasAt(s, i, end, fp)) {
        const b0 = i + this.fpBar2;
        let a = i + fp.length;
        while (a < b0 && s[a] === SP) a++;
        let b = b0;
        while (b > a && s[b - 1] === SP) b--;
        if (a === b || (s[b - 1] === 115 /* s */ && s[b - 2] === 117 /* u */ && this.scanDuration(s, a, b - 2))) {
          this.cpu = this.fpCpu;
          this.task = this.fpTask;
          this.pid = this.fpPid;
          this.hasProc = true;
          scanContent(this, s, b0 + 1, end, 2);
          return;
        }
        this.durationUs = NaN; // not the usual layout after all: read the line the long way
      }
      let n = 0;
      let j = i;
      while (j < end && isDigit(s[j]!)) n = n * 10 + (s[j++]! - 48);
      const c = s[j]!;
      if (c === RPAREN) {
        this.cpu = n;
        cpuStart = i;
        i = from = j + 1;
        base = 1;
        break;
      }
      if (c === DOT) {
        let frac = 0;
        let scale = 1;
        j++;
        while (j < end && isDigit(s[j]!)) {
          frac = frac * 10 + (s[j++]! - 48);
          scale *= 10;
        }
        const bar = findChar(s, PIPE, j, end);
        if (bar < 0) return; // not a column: unknown line
        this.timeUs = n * 1e6 + (frac * 1e6) / scale;
        i = from = bar + 1;
        base = 2;
      } else if (c === SP && hasAt(s, j, end, US_BAR)) {
        i = from = j + 5; // relative time column: kept out of the model (latency tracers only)
        base = 2;
      } else {
        break;
      }
      while (i < end && s[i]! === SP) i++;
    }

    let bar = findChar(s, PIPE, i, end);
    if (bar < 0) {
      const arrow = findText(s, ARROW, i, end);
      if (arrow >= 0 && this.scanTaskSwitch(s, i, arrow, end)) return;
    }

    // Proc, latency and duration columns, each closed by '|'. The duration column is always the last.
    let seenProc = false;
    let seenLat = false;
    let procBar = -1;
    while (bar >= 0) {
      const segEnd = bar;
      let a = i;
      while (a < segEnd && s[a]! === SP) a++;
      let b = segEnd;
      while (b > a && s[b - 1]! === SP) b--;
      if (a === b) {
        // FILL_FULL: an entry or comment line has an empty duration column.
        if (seenProc && !seenLat) this.learnLayout(s, cpuStart, procBar, bar);
        i = from = bar + 1;
        base = 2;
        break;
      }
      if (!seenProc && !seenLat && isDigit(s[b - 1]!) && this.scanProc(s, i, segEnd, a, b)) {
        seenProc = true;
        this.hasProc = true;
        procBar = bar;
        i = from = bar + 1;
        base = 1;
      } else if (s[b - 1]! === 115 /* s */ && s[b - 2]! === 117 /* u */ && this.scanDuration(s, a, b - 2)) {
        if (seenProc && !seenLat) this.learnLayout(s, cpuStart, procBar, bar);
        i = from = bar + 1;
        base = 2;
        break;
      } else if (s[a]! === EQ || s[a]! === LT) {
        if (hasAt(s, a, end, IRQ_IN)) this.kind = L_IRQ_ENTER;
        else if (hasAt(s, a, end, IRQ_OUT)) this.kind = L_IRQ_EXIT;
        else return;
        return;
      } else if (!seenLat && b - a >= 3 && b - a <= 6 && this.isLatencyField(s, a, b)) {
        seenLat = true;
        i = from = bar + 1;
        base = 1;
      } else {
        break; // the rest is content that happens to contain '|'
      }
      bar = findChar(s, PIPE, i, end);
    }
    scanContent(this, s, from, end, base);
  }

  /** Remembers the CPU + TASK/PID bytes and where the duration column ends, for the fast path. */
  private learnLayout(s: Uint8Array, colStart: number, procBar: number, durationBar: number): void {
    // From the CPU number on (any time column before it changes on every line).
    if (colStart < 0) return;
    const fp = this.fpRest;
    const len = procBar + 1 - colStart;
    if (fp !== null && fp.length === len && this.fpBar2 === durationBar - colStart && hasAt(s, colStart, procBar + 1, fp)) return;
    this.fpRest = s.slice(colStart, procBar + 1);
    this.fpBar2 = durationBar - colStart;
    this.fpCpu = this.cpu;
    this.fpTask = this.task;
    this.fpPid = this.pid;
  }

  private readInt(s: Uint8Array, i: number, end: number): number {
    while (i < end && s[i]! === SP) i++;
    if (i >= end || !isDigit(s[i]!)) return -1;
    let n = 0;
    while (i < end && isDigit(s[i]!)) n = n * 10 + (s[i++]! - 48);
    return n;
  }

  private scanLost(s: Uint8Array, i: number, end: number): void {
    // "CPU:%d [LOST %lu EVENTS]" or "CPU:%d [LOST EVENTS]" (trace.c, print_trace_line).
    const cpu = this.readInt(s, i, end);
    const at = findText(s, LOST, i, end);
    if (cpu < 0 || at < 0) return;
    this.kind = L_LOST;
    this.cpu = cpu;
    this.count = this.readInt(s, at + 5, end);
  }

  private isLatencyField(s: Uint8Array, a: number, b: number): boolean {
    for (let k = a; k < b; k++) if (!isLatencyChar(s[k]!)) return false;
    return true;
  }

  /** comm-pid, centred in 14 columns; comm may itself contain '-' and spaces. */
  private scanProc(s: Uint8Array, rawStart: number, rawEnd: number, a: number, b: number): boolean {
    const len = rawEnd - rawStart;
    if (len === this.procRaw.length && len > 0 && hasAt(s, rawStart, rawEnd, this.procRaw)) {
      this.task = this.procTask;
      this.pid = this.procPid;
      return true;
    }
    let d = b - 1;
    while (d > a && isDigit(s[d]!)) d--;
    if (d <= a || s[d]! !== DASH) return false;
    let pid = 0;
    for (let k = d + 1; k < b; k++) pid = pid * 10 + (s[k]! - 48);
    this.procRaw = s.slice(rawStart, rawEnd);
    this.procTask = decode(s, a, d).trim();
    this.procPid = pid;
    this.task = this.procTask;
    this.pid = pid;
    return true;
  }

  /** "+ 36.425 us": optional overhead mark, then a decimal number (trace_print_graph_duration). */
  private scanDuration(s: Uint8Array, a: number, b: number): boolean {
    let k = a;
    if (isDurationMark(s[k]!)) {
      k++;
      while (k < b && s[k]! === SP) k++;
    }
    if (k >= b || !isDigit(s[k]!)) return false;
    let n = 0;
    while (k < b && isDigit(s[k]!)) n = n * 10 + (s[k++]! - 48);
    if (k < b && s[k]! === DOT) {
      k++;
      let frac = 0;
      let scale = 1;
      while (k < b && isDigit(s[k]!)) {
        frac = frac * 10 + (s[k++]! - 48);
        scale *= 10;
      }
      n += frac / scale;
    }
    while (k < b && s[k]! === SP) k++;
    if (k !== b) return false;
    this.durationUs = n;
    return true;
  }

  private scanTaskSwitch(s: Uint8Array, i: number, arrow: number, end: number): boolean {
    // " 0)     sh-303     =>    wget-308   " (verif_pid); both sides are comm-pid.
    const left = decode(s, i, arrow).trim();
    const right = decode(s, arrow + 2, end).trim();
    const l = left.lastIndexOf('-');
    const r = right.lastIndexOf('-');
    if (l <= 0 || r <= 0) return false;
    const prevPid = Number(left.slice(l + 1));
    const pid = Number(right.slice(r + 1));
    if (!Number.isInteger(prevPid) || !Number.isInteger(pid) || left.slice(l + 1) === '' || right.slice(r + 1) === '') return false;
    this.kind = L_TASK_SWITCH;
    this.prevTask = left.slice(0, l);
    this.prevPid = prevPid;
    this.task = right.slice(0, r);
    this.pid = pid;
    return true;
  }




}
