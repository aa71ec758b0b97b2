// bpftrace output into the call-tree model. Maps keyed by kstack become trees: each stack is a path
// from the outermost frame to the innermost (bpftrace prints the innermost first), stacks are merged
// on common prefixes, and every frame counts the samples that went through it. Both the text output
// (`@[\n  frame\n  frame\n]: 3`) and `-f json` lines ({"type": "map", "data": {"@": {"<stack>": 3}}})
// are read; printf output becomes markers, lost events are counted.
import { Call } from './call-node.ts';
import { emptyTrace, type CallNode, type Trace } from './model.ts';
import { SymbolTable } from './normalise.ts';
import { finishTrace, type TraceAssembly } from './trace-assembly.ts';

// "ip_vs_in_hook+5", "ip_vs_in_hook+0x5 [ip_vs]", "ffffffffc0a1b2c3 ip_vs_in_hook+5 ([ip_vs])", "0xffffffffc0a1b2c3".
const FRAME_RE = /^(?:[0-9a-f]{8,16} +)?([^\s+]+)(?:\+(?:0x)?[0-9a-fA-F]+)?(?: +\(?\[([^\]]+)\]\)?)?$/;

class StackForest {
  readonly roots: Call[] = [];
  private readonly symbols = new SymbolTable();

  add(framesLeafFirst: readonly string[], count: number, line: number): boolean {
    const frames = framesLeafFirst
      .map((f) => FRAME_RE.exec(f.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .reverse();
    if (frames.length === 0) return false;
    let level: CallNode[] = this.roots;
    frames.forEach((m, depth) => {
      const module = m[2] && m[2] !== 'kernel.kallsyms' ? m[2] : null;
      const info = this.symbols.lookup(module ? `${m[1]} [${module}]` : m[1]!);
      let node = level.find((n) => n.symbol === info.symbol && n.module === info.module) as Call | undefined;
      if (node === undefined) {
        node = new Call(info.fn, info.symbol, info.module, null, null, null, line, depth, []);
        node.count = 0;
        level.push(node);
      }
      node.count = (node.count ?? 0) + count;
      level = node.children;
    });
    return true;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function looksLikeStack(key: string): boolean {
  return key.includes('\n');
}

/** Splits a map key into the stack frames and the other key parts (`comm,\n frames` in JSON). */
function stackOfKey(key: string): string[] {
  const nl = key.indexOf('\n');
  return key
    .slice(nl + 1)
    .split('\n')
    .map((f) => f.trim())
    .filter((f) => f !== '' && f !== ']');
}

function newAssembly(): TraceAssembly {
  return { trace: emptyTrace('bpftrace'), markerRoots: [], maxDiagnostics: 1000, suppressed: 0 };
}

function addMarker(asm: TraceAssembly, text: string, line: number): void {
  asm.trace.markers.push({ kind: 'printf', text, line, cpu: null, task: null, pid: null, timeUs: null, insideRoot: null, beforeRoot: -1 });
  asm.markerRoots.push(null);
}

function parseJson(lines: string[], asm: TraceAssembly, forest: StackForest): void {
  lines.forEach((raw, i) => {
    const line = i + 1;
    const text = raw.trim();
    if (text === '') return;
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      asm.trace.diagnostics.push({ line, severity: 'error', code: 'UNPARSED_LINE', message: 'not a bpftrace JSON message', text: text.slice(0, 200) });
      return;
    }
    // Any JSON value parses; only objects are bpftrace messages (null, numbers and lists are not).
    const m = (isObject(msg) ? msg : {}) as { type?: unknown; data?: unknown };
    if (m.type === 'printf' && typeof m.data === 'string') addMarker(asm, m.data.replace(/\n$/, ''), line);
    else if (m.type === 'lost_events') {
      const raw = isObject(m.data) ? asNumber(m.data['events'] ?? 0) : Number.NaN;
      const n = Number.isSafeInteger(raw) && raw >= 0 ? raw : null;
      if (n === null) asm.trace.diagnostics.push({ line, severity: 'warning', code: 'LOST_EVENTS', message: 'bpftrace lost an unknown number of events (no event count in the message)', text: text.slice(0, 200) });
      else asm.trace.lostEvents += n;
      asm.trace.lost.push({ line, cpu: null, count: n });
    } else if (m.type === 'map' && typeof m.data === 'object' && m.data !== null) {
      for (const [name, value] of Object.entries(m.data as Record<string, unknown>)) readJsonMap(name, value, line, asm, forest);
    }
  });
}

// JSON values as numbers and text without calling their methods: an object such as
// {"toString": false} makes Number() and String() throw (found by the fuzz tests).
const asNumber = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' || typeof v === 'boolean' ? Number(v) : Number.NaN);
const asText = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

function readJsonMap(name: string, value: unknown, line: number, asm: TraceAssembly, forest: StackForest): void {
  const entries: Array<[string, unknown]> = [];
  if (Array.isArray(value)) {
    // Newer bpftrace: [{"key": ..., "value": ...}]; a key may be a list of frames.
    for (const item of value as unknown[]) {
      if (!isObject(item)) continue;
      const e = item as { key?: unknown; value?: unknown };
      const key = Array.isArray(e.key) ? `\n${e.key.map(asText).join('\n')}` : asText(e.key);
      entries.push([key, e.value]);
    }
  } else if (typeof value === 'object' && value !== null) {
    entries.push(...Object.entries(value as Record<string, unknown>));
  }
  let stacks = 0;
  for (const [key, v] of entries) {
    const count = asNumber(v);
    if (!looksLikeStack(key) || !Number.isFinite(count)) continue;
    if (forest.add(stackOfKey(key), count, line)) stacks++;
  }
  if (stacks === 0) asm.trace.diagnostics.push({ line, severity: 'info', code: 'NOT_A_STACK_MAP', message: `map ${name} has no kstack key: not a call tree` });
}

function parseText(lines: string[], asm: TraceAssembly, forest: StackForest): void {
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!.replace(/\r$/, '');
    const line = i + 1;
    if (text.trim() === '' || /^Attaching \d+ probes?/.test(text)) continue;
    const lost = /^Lost (\d+) events/.exec(text);
    if (lost) {
      const n = Number(lost[1]);
      const count = Number.isSafeInteger(n) ? n : null;
      if (count !== null) asm.trace.lostEvents += count;
      asm.trace.lost.push({ line, cpu: null, count });
      continue;
    }
    const open = /^@[\w.]*\[(.*)$/.exec(text);
    if (open && !/\]: /.test(text)) {
      // Multi-line key: frames until "]: value".
      const frames: string[] = [];
      let j = i + 1;
      let value: number | null = null;
      for (; j < lines.length; j++) {
        const end = /^\]: (.*)$/.exec(lines[j]!.trim());
        if (end) {
          value = Number(end[1]);
          break;
        }
        frames.push(lines[j]!);
      }
      if (value === null || !Number.isFinite(value)) {
        asm.trace.diagnostics.push({ line, severity: 'error', code: 'UNTERMINATED_MAP_KEY', message: 'map key without "]: value"', text: text.slice(0, 200) });
        i = j;
        continue;
      }
      forest.add(frames, value, line);
      i = j;
      continue;
    }
    if (/^@[\w.]*(\[.*\])?: /.test(text)) continue; // scalar map entries: not call trees
    addMarker(asm, text, line);
  }
}

/** Parses bpftrace output (`-f json` or text). */
export function parseBpftrace(text: string): Trace {
  const asm = newAssembly();
  const forest = new StackForest();
  const lines = text.split('\n');
  const firstData = lines.find((l) => l.trim() !== '') ?? '';
  if (firstData.trim().startsWith('{')) parseJson(lines, asm, forest);
  else parseText(lines, asm, forest);
  asm.trace.roots = forest.roots;
  asm.trace.lines = lines.length - (text.endsWith('\n') ? 1 : 0);
  return finishTrace(asm, true);
}
