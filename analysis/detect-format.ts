// Which parser a trace file needs, from its first lines: function_graph text, bpftrace (-f json or
// text maps), or tracefs event lines (nop tracer with probe events).
import { parseBpftrace } from './bpftrace-parser.ts';
import { parseFunctionGraph } from './function-graph-parser.ts';
import { EVENT_LINE_RE, parseKprobeEvents } from './kprobe-events-parser.ts';
import type { Trace } from './model.ts';

export type TraceFormat = 'function_graph' | 'bpftrace-json' | 'bpftrace-text' | 'kprobe-events';

const GRAPH_LINE_RE = /(\(\) \{|\);|\(\);|^\s*(\d+\)\s+)?.*\|\s+\}|\|\s+\/\*)/;
const GRAPH_PREFIX_RE = /^\s*(\d+\.\d+ \|\s+)?\d+\)\s/;

/** Looks at up to 200 non-empty lines; null when nothing looks familiar. */
export function detectTraceFormat(text: string): TraceFormat | null {
  const head = text.slice(0, 64 * 1024).split('\n');
  const tracer = head.find((l) => l.startsWith('# tracer:'));
  if (tracer !== undefined) return tracer.includes('function_graph') ? 'function_graph' : 'kprobe-events';
  let seen = 0;
  for (const raw of head) {
    const l = raw.replace(/\r$/, '');
    if (l.trim() === '' || l.startsWith('#')) continue;
    if (++seen > 200) break;
    const t = l.trim();
    if (t.startsWith('{') && t.includes('"type"')) return 'bpftrace-json';
    if (/^Attaching \d+ probes?/.test(t) || /^@[\w.]*(\[|: )/.test(t)) return 'bpftrace-text';
    if (EVENT_LINE_RE.test(l) && !GRAPH_PREFIX_RE.test(l)) return 'kprobe-events';
    if (GRAPH_PREFIX_RE.test(l) || GRAPH_LINE_RE.test(l)) return 'function_graph';
  }
  return null;
}

/** Parses any supported trace text; `format` skips detection. */
export function parseTrace(text: string, format?: TraceFormat): Trace {
  const f = format ?? detectTraceFormat(text) ?? 'function_graph';
  switch (f) {
    case 'bpftrace-json':
    case 'bpftrace-text':
      return parseBpftrace(text);
    case 'kprobe-events':
      return parseKprobeEvents(text);
    default:
      return parseFunctionGraph(text);
  }
}
