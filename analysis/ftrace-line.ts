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

export const L_EMPTY = 0;
export const L_HEADER = 1;
export const L_SEPARATOR = 2;
export const L_TASK_SWITCH = 3;
export const L_LOST = 4;
export const L_OVERRUN = 5;
export const L_IRQ_ENTER = 6;
export const L_IRQ_EXIT = 7;
export const L_ENTRY = 8;
export const L_LEAF = 9;
export const L_EXIT = 10;
export const L_COMMENT = 11;
export const L_UNKNOWN = 12;

const SP = 32;
const TAB = 9;
const CR = 13;
const PIPE = 124;
const DASH = 45;
const DOT = 46;
const LPAREN = 40;
const RPAREN = 41;
const SEMI = 59;
const LBRACE = 123;
const RBRACE = 125;
const SLASH = 47;
const STAR = 42;
const EQ = 61;
const LT = 60;
const HASH = 35;

// Lines are parsed in place inside large chunks, so every search is bounded by the line end: an
// unbounded String.indexOf would scan the rest of the chunk when the needle is not on the line.
export function findChar(s: Uint8Array, ch: number, from: number, end: number): number {
  for (let i = from; i < end; i++) if (s[i] === ch) return i;
  return -1;
}

/** ASCII needle as bytes, for hasAt / findText. */
export function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

export function hasAt(s: Uint8Array, i: number, end: number, needle: Uint8Array): boolean {
  if (i + needle.length > end) return false;
  for (let k = 0; k < needle.length; k++) if (s[i + k] !== needle[k]) return false;
  return true;
}

export function findText(s: Uint8Array, needle: Uint8Array, from: number, end: number): number {
  const first = needle[0];
  const last = end - needle.length;
  for (let i = from; i <= last; i++) if (s[i] === first && hasAt(s, i, end, needle)) return i;
  return -1;
}

const utf8 = new TextDecoder('utf-8');

/** Decodes a byte range (names, task names, marker texts). */
export function decode(s: Uint8Array, a: number, b: number): string {
  return utf8.decode(s.subarray(a, b));
}

const DASHES = ascii('-----');
const CPU_COLON = ascii('CPU:');
const OVERRUNS = ascii('(Overruns:');
const US_BAR = ascii(' us |');
const ARROW = ascii('=>');
const LOST = ascii('[LOST');
const IRQ_IN = ascii('==========>');
const IRQ_OUT = ascii('<==========');
const COMMENT_OPEN = ascii(' /* ');
const RET_EQ = ascii(' = ');
const RET_KEY = ascii('ret=');
const RET_V = ascii(' V=');

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isDurationMark(c: number): boolean {
  // trace_find_mark(): '+' > 10us, '!' > 100us, '#' > 1ms, '*' > 10ms, '@' > 100ms, '$' > 1s.
  return c === 43 || c === 33 || c === HASH || c === STAR || c === 64 || c === 36;
}

function isLatencyChar(c: number): boolean {
  // irqs-off, need-resched, hardirq/softirq, preempt-depth, migrate-disable columns.
  return c === DOT || (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

export class FtraceLineScanner {
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
          this.scanContent(s, b0 + 1, end, 2);
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
    this.scanContent(s, from, end, base);
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

  private scanContent(s: Uint8Array, i: number, end: number, base: number): void {
    let c = i;
    while (c < end && s[c]! === SP) c++;
    const indent = c - i - base;
    this.depth = indent > 0 ? indent >> 1 : 0;
    if (c >= end) {
      this.kind = L_UNKNOWN;
      return;
    }
    const ch = s[c]!;
    if (ch === RBRACE) {
      this.kind = L_EXIT;
      if (hasAt(s, c + 1, end, COMMENT_OPEN)) this.scanTail(s, c + 5, end);
      return;
    }
    if (ch === SLASH && s[c + 1]! === STAR) {
      this.kind = L_COMMENT;
      let a = c + 2;
      let b = end;
      if (s[b - 1]! === SLASH && s[b - 2]! === STAR && b - 2 >= a) b -= 2;
      while (a < b && s[a]! === SP) a++;
      while (b > a && s[b - 1]! === SP) b--;
      this.textStart = a;
      this.textEnd = b;
      return;
    }
    if (ch === EQ && hasAt(s, c, end, IRQ_IN)) {
      this.kind = L_IRQ_ENTER;
      return;
    }
    if (ch === LT && hasAt(s, c, end, IRQ_OUT)) {
      this.kind = L_IRQ_EXIT;
      return;
    }
    this.scanCall(s, c, end);
  }

  /** `} /* name [mod] *\/`, `} /* name = 0x0 *\/` (6.5+), `} /* name ret=0x0 *\/` (6.13+). */
  private scanTail(s: Uint8Array, a: number, end: number): void {
    // A tail always ends with "*/"; without it the line was cut (end of a truncated capture).
    this.tailCut = !(s[end - 1] === SLASH && s[end - 2] === STAR);
    let k = a;
    while (k < end && s[k]! !== SP) k++;
    this.nameStart = a;
    this.nameEnd = k;
    if (s[k + 1]! === 91 /* [ */) {
      const close = findChar(s, 93 /* ] */, k, end);
      if (close > 0) {
        this.nameEnd = close + 1;
        k = close + 1;
      }
    }
    this.scanRetval(s, k, end);
  }

  private scanRetval(s: Uint8Array, k: number, end: number): void {
    let stop = end;
    if (s[stop - 1]! === SLASH && s[stop - 2]! === STAR) stop -= 2;
    while (stop > k && s[stop - 1]! === SP) stop--;
    if (findChar(s, EQ, k, stop) < 0) return; // the common case: no return value on the line
    let at = findText(s, RET_EQ, k, stop);
    let skip = 3;
    if (at < 0) {
      at = findText(s, RET_KEY, k, stop);
      skip = 4;
      if (at < 0) {
        at = findText(s, RET_V, k, stop);
        skip = 3;
      }
    }
    if (at >= 0) {
      let r = at + skip;
      let e = r;
      while (e < stop && s[e]! !== SP) e++;
      if (e > r) {
        this.retStart = r;
        this.retEnd = e;
      }
    }
  }

  private scanCall(s: Uint8Array, c: number, end: number): void {
    // One pass to the '(' that also hashes the name (FNV-1a) for the symbol table and notes a space:
    // a name has none except before a module suffix ("ip_vs_in_hook [ip_vs]").
    let h = 0x811c9dc5;
    let space = -1;
    let paren = c;
    for (; paren < end; paren++) {
      const ch = s[paren]!;
      if (ch === LPAREN) break;
      if (ch === SP && space < 0) space = paren;
      h = Math.imul(h ^ ch, 0x01000193);
    }
    if (paren === c || paren >= end) return; // L_UNKNOWN
    if (space >= 0 && (s[space + 1] !== 91 || s[paren - 1] !== 93)) return;
    // funcgraph-args prints "fn(a=1, b=2)"; find the matching parenthesis.
    let q = paren + 1;
    if (s[q] !== RPAREN) {
      let depth = 1;
      for (; q < end; q++) {
        const ch = s[q]!;
        if (ch === LPAREN) depth++;
        else if (ch === RPAREN && --depth === 0) break;
      }
      if (q >= end) return;
    }
    const next = s[q + 1];
    this.nameStart = c;
    this.nameEnd = paren;
    this.nameHash = h;
    if (next === SEMI) {
      this.kind = L_LEAF;
      if (q + 2 < end) this.scanRetval(s, q + 2, end);
    } else if (next === SP && s[q + 2] === LBRACE) {
      this.kind = L_ENTRY;
    } else {
      this.nameStart = this.nameEnd = 0;
    }
  }
}
