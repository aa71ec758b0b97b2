// Scans one line of function_graph output into a reusable record, without regular expressions and
// without allocating anything but the strings a caller asks for. The layout follows
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
  private procRaw = '';
  private procTask = '';
  private procPid = -1;

  scan(s: string, start: number, end: number): void {
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

    while (end > start) {
      const c = s.charCodeAt(end - 1);
      if (c !== SP && c !== CR && c !== TAB) break;
      end--;
    }
    let i = start;
    while (i < end && s.charCodeAt(i) === SP) i++;
    if (i >= end) {
      this.kind = L_EMPTY;
      return;
    }
    const first = s.charCodeAt(i);
    if (first === HASH && i === start) {
      this.kind = L_HEADER;
      return;
    }
    if (first === DASH && s.startsWith('-----', i)) {
      this.kind = L_SEPARATOR;
      return;
    }
    if (first === 67 /* C */ && s.startsWith('CPU:', i)) {
      this.scanLost(s, i + 4, end);
      return;
    }
    if (first === LPAREN && s.startsWith('(Overruns:', i)) {
      this.kind = L_OVERRUN;
      this.count = this.readInt(s, i + 10, end);
      return;
    }

    // Time and CPU columns: "%5lu.%06lu |  ", "%9llu us |  ", " %*d) ".
    // `from` is where the function column starts: after the last column read, or the line start
    // (output without columns keeps its indentation there).
    let base = 0;
    let from = start;
    for (let guard = 0; guard < 3 && i < end && isDigit(s.charCodeAt(i)); guard++) {
      let n = 0;
      let j = i;
      while (j < end && isDigit(s.charCodeAt(j))) n = n * 10 + (s.charCodeAt(j++) - 48);
      const c = s.charCodeAt(j);
      if (c === RPAREN) {
        this.cpu = n;
        i = from = j + 1;
        base = 1;
        break;
      }
      if (c === DOT) {
        let frac = 0;
        let scale = 1;
        j++;
        while (j < end && isDigit(s.charCodeAt(j))) {
          frac = frac * 10 + (s.charCodeAt(j++) - 48);
          scale *= 10;
        }
        const bar = s.indexOf('|', j);
        if (bar < 0 || bar >= end) return; // not a column: unknown line
        this.timeUs = n * 1e6 + (frac * 1e6) / scale;
        i = from = bar + 1;
        base = 2;
      } else if (c === SP && s.startsWith(' us |', j)) {
        i = from = j + 5; // relative time column: kept out of the model (latency tracers only)
        base = 2;
      } else {
        break;
      }
      while (i < end && s.charCodeAt(i) === SP) i++;
    }

    let bar = s.indexOf('|', i);
    if (bar >= end) bar = -1;
    if (bar < 0) {
      const arrow = s.indexOf('=>', i);
      if (arrow >= 0 && arrow < end && this.scanTaskSwitch(s, i, arrow, end)) return;
    }

    // Proc, latency and duration columns, each closed by '|'. The duration column is always the last.
    let seenProc = false;
    let seenLat = false;
    while (bar >= 0) {
      const segEnd = bar;
      let a = i;
      while (a < segEnd && s.charCodeAt(a) === SP) a++;
      let b = segEnd;
      while (b > a && s.charCodeAt(b - 1) === SP) b--;
      if (a === b) {
        // FILL_FULL: an entry or comment line has an empty duration column.
        i = from = bar + 1;
        base = 2;
        break;
      }
      if (!seenProc && !seenLat && isDigit(s.charCodeAt(b - 1)) && this.scanProc(s, i, segEnd, a, b)) {
        seenProc = true;
        this.hasProc = true;
        i = from = bar + 1;
        base = 1;
      } else if (s.charCodeAt(b - 1) === 115 /* s */ && s.charCodeAt(b - 2) === 117 /* u */ && this.scanDuration(s, a, b - 2)) {
        i = from = bar + 1;
        base = 2;
        break;
      } else if (s.charCodeAt(a) === EQ || s.charCodeAt(a) === LT) {
        if (s.startsWith('==========>', a)) this.kind = L_IRQ_ENTER;
        else if (s.startsWith('<==========', a)) this.kind = L_IRQ_EXIT;
        else return;
        return;
      } else if (!seenLat && b - a >= 3 && b - a <= 6 && this.isLatencyField(s, a, b)) {
        seenLat = true;
        i = from = bar + 1;
        base = 1;
      } else {
        break; // the rest is content that happens to contain '|'
      }
      bar = s.indexOf('|', i);
      if (bar >= end) bar = -1;
    }
    this.scanContent(s, from, end, base);
  }

  private readInt(s: string, i: number, end: number): number {
    while (i < end && s.charCodeAt(i) === SP) i++;
    if (i >= end || !isDigit(s.charCodeAt(i))) return -1;
    let n = 0;
    while (i < end && isDigit(s.charCodeAt(i))) n = n * 10 + (s.charCodeAt(i++) - 48);
    return n;
  }

  private scanLost(s: string, i: number, end: number): void {
    // "CPU:%d [LOST %lu EVENTS]" or "CPU:%d [LOST EVENTS]" (trace.c, print_trace_line).
    const cpu = this.readInt(s, i, end);
    const at = s.indexOf('[LOST', i);
    if (cpu < 0 || at < 0 || at >= end) return;
    this.kind = L_LOST;
    this.cpu = cpu;
    this.count = this.readInt(s, at + 5, end);
  }

  private isLatencyField(s: string, a: number, b: number): boolean {
    for (let k = a; k < b; k++) if (!isLatencyChar(s.charCodeAt(k))) return false;
    return true;
  }

  /** comm-pid, centred in 14 columns; comm may itself contain '-' and spaces. */
  private scanProc(s: string, rawStart: number, rawEnd: number, a: number, b: number): boolean {
    const len = rawEnd - rawStart;
    if (len === this.procRaw.length && len > 0 && s.startsWith(this.procRaw, rawStart)) {
      this.task = this.procTask;
      this.pid = this.procPid;
      return true;
    }
    let d = b - 1;
    while (d > a && isDigit(s.charCodeAt(d))) d--;
    if (d <= a || s.charCodeAt(d) !== DASH) return false;
    let pid = 0;
    for (let k = d + 1; k < b; k++) pid = pid * 10 + (s.charCodeAt(k) - 48);
    this.procRaw = s.slice(rawStart, rawEnd);
    this.procTask = s.slice(a, d).trim();
    this.procPid = pid;
    this.task = this.procTask;
    this.pid = pid;
    return true;
  }

  /** "+ 36.425 us": optional overhead mark, then a decimal number (trace_print_graph_duration). */
  private scanDuration(s: string, a: number, b: number): boolean {
    let k = a;
    if (isDurationMark(s.charCodeAt(k))) {
      k++;
      while (k < b && s.charCodeAt(k) === SP) k++;
    }
    if (k >= b || !isDigit(s.charCodeAt(k))) return false;
    let n = 0;
    while (k < b && isDigit(s.charCodeAt(k))) n = n * 10 + (s.charCodeAt(k++) - 48);
    if (k < b && s.charCodeAt(k) === DOT) {
      k++;
      let frac = 0;
      let scale = 1;
      while (k < b && isDigit(s.charCodeAt(k))) {
        frac = frac * 10 + (s.charCodeAt(k++) - 48);
        scale *= 10;
      }
      n += frac / scale;
    }
    while (k < b && s.charCodeAt(k) === SP) k++;
    if (k !== b) return false;
    this.durationUs = n;
    return true;
  }

  private scanTaskSwitch(s: string, i: number, arrow: number, end: number): boolean {
    // " 0)     sh-303     =>    wget-308   " (verif_pid); both sides are comm-pid.
    const left = s.slice(i, arrow).trim();
    const right = s.slice(arrow + 2, end).trim();
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

  private scanContent(s: string, i: number, end: number, base: number): void {
    let c = i;
    while (c < end && s.charCodeAt(c) === SP) c++;
    const indent = c - i - base;
    this.depth = indent > 0 ? indent >> 1 : 0;
    if (c >= end) {
      this.kind = L_UNKNOWN;
      return;
    }
    const ch = s.charCodeAt(c);
    if (ch === RBRACE) {
      this.kind = L_EXIT;
      if (s.startsWith(' /* ', c + 1)) this.scanTail(s, c + 5, end);
      return;
    }
    if (ch === SLASH && s.charCodeAt(c + 1) === STAR) {
      this.kind = L_COMMENT;
      let a = c + 2;
      let b = end;
      if (s.charCodeAt(b - 1) === SLASH && s.charCodeAt(b - 2) === STAR && b - 2 >= a) b -= 2;
      while (a < b && s.charCodeAt(a) === SP) a++;
      while (b > a && s.charCodeAt(b - 1) === SP) b--;
      this.textStart = a;
      this.textEnd = b;
      return;
    }
    if (ch === EQ && s.startsWith('==========>', c)) {
      this.kind = L_IRQ_ENTER;
      return;
    }
    if (ch === LT && s.startsWith('<==========', c)) {
      this.kind = L_IRQ_EXIT;
      return;
    }
    this.scanCall(s, c, end);
  }

  /** `} /* name [mod] *\/`, `} /* name = 0x0 *\/` (6.5+), `} /* name ret=0x0 *\/` (6.13+). */
  private scanTail(s: string, a: number, end: number): void {
    let k = a;
    while (k < end && s.charCodeAt(k) !== SP) k++;
    this.nameStart = a;
    this.nameEnd = k;
    if (s.charCodeAt(k + 1) === 91 /* [ */) {
      const close = s.indexOf(']', k);
      if (close > 0 && close < end) {
        this.nameEnd = close + 1;
        k = close + 1;
      }
    }
    this.scanRetval(s, k, end);
  }

  private scanRetval(s: string, k: number, end: number): void {
    let stop = end;
    if (s.charCodeAt(stop - 1) === SLASH && s.charCodeAt(stop - 2) === STAR) stop -= 2;
    while (stop > k && s.charCodeAt(stop - 1) === SP) stop--;
    let at = s.indexOf(' = ', k);
    let skip = 3;
    if (at < 0 || at >= stop) {
      at = s.indexOf('ret=', k);
      skip = 4;
      if (at < 0 || at >= stop) {
        at = s.indexOf(' V=', k);
        skip = 3;
      }
    }
    if (at >= 0 && at < stop) {
      let r = at + skip;
      let e = r;
      while (e < stop && s.charCodeAt(e) !== SP) e++;
      if (e > r) {
        this.retStart = r;
        this.retEnd = e;
      }
    }
  }

  private scanCall(s: string, c: number, end: number): void {
    const paren = s.indexOf('(', c);
    if (paren <= c || paren >= end) return; // L_UNKNOWN
    // A name has no spaces except before a module suffix: "ip_vs_in_hook [ip_vs]".
    const space = s.indexOf(' ', c);
    if (space >= 0 && space < paren && (s.charCodeAt(space + 1) !== 91 || s.charCodeAt(paren - 1) !== 93)) return;
    // funcgraph-args prints "fn(a=1, b=2)"; find the matching parenthesis.
    let depth = 0;
    let q = paren;
    for (; q < end; q++) {
      const ch = s.charCodeAt(q);
      if (ch === LPAREN) depth++;
      else if (ch === RPAREN && --depth === 0) break;
    }
    if (q >= end) return;
    const next = s.charCodeAt(q + 1);
    this.nameStart = c;
    this.nameEnd = paren;
    if (next === SEMI) {
      this.kind = L_LEAF;
      if (q + 2 < end) this.scanRetval(s, q + 2, end);
    } else if (next === SP && s.charCodeAt(q + 2) === LBRACE) {
      this.kind = L_ENTRY;
    } else {
      this.nameStart = this.nameEnd = 0;
    }
  }
}
