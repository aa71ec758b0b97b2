// Which parser a trace file needs, from its first bytes: function_graph text, bpftrace (-f json or
// text maps), or tracefs event lines (nop tracer with probe events). Files the harness cannot judge
// (the function tracer's flat lines, perf script output, trace-cmd's trace.dat, compressed or binary
// files) are recognised too, so they are refused with what they are and what to capture instead,
// rather than read as something else and judged on nothing.
import { parseBpftrace } from './bpftrace-parser.ts';
import { looksLikeBpftraceCalls, parseBpftraceCalls } from './bpftrace-calls.ts';
import { parseFunctionGraph } from './function-graph-parser.ts';
import { EVENT_LINE_RE, parseKprobeEvents } from './kprobe-events-parser.ts';
import type { Trace } from './model.ts';

export type TraceFormat = 'function_graph' | 'bpftrace-calls' | 'bpftrace-json' | 'bpftrace-text' | 'kprobe-events';

/** A file that is not a trace the harness reads: what it is, and what to capture instead. */
export interface UnsupportedTrace {
  kind: 'unsupported';
  what: string;
  instead: string;
  /** Not text at all (binary, compressed, empty): no --format makes it readable. */
  binary: boolean;
}

export type TraceRecognition = { kind: 'trace'; format: TraceFormat } | UnsupportedTrace | { kind: 'unknown' };

export const CAPTURE_FUNCTION_GRAPH =
  'capture with the function_graph tracer (echo function_graph > /sys/kernel/tracing/current_tracer, run the traffic, save /sys/kernel/tracing/trace), or let `ipvs-harness run` capture it';

const GRAPH_LINE_RE = /(\(\) \{|\);|\(\);|^\s*(\d+\)\s+)?.*\|\s+\}|\|\s+\/\*)/;
const GRAPH_PREFIX_RE = /^\s*(\d+\.\d+ \|\s+)?\d+\)\s/;
/** `comm pid [cpu] time:` (perf script): a space between comm and pid, where ftrace writes `comm-pid`. */
const PERF_SCRIPT_RE = /^\s*\S.*?\s+\d+(?:\/\d+)?\s+\[\d+\]\s+\d+\.\d+:\s/;
const PERF_CALLCHAIN_RE = /^\s+[0-9a-f]{8,16} \S.* \((?:\[kernel\.kallsyms\]|\/\S+|\[unknown\])\)$/;
/** The function tracer's body: `callee <-caller`. */
const FUNCTION_TRACER_BODY_RE = /^[\w.$]+ <-[\w.$]+\s*$/;

const unsupported = (what: string, instead: string, binary = false): UnsupportedTrace => ({ kind: 'unsupported', what, instead, binary });

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return magic.every((b, i) => bytes[i] === b);
}

/** Binary files by their magic numbers, and anything with NUL bytes. */
function recognizeBinary(head: Uint8Array): UnsupportedTrace | null {
  if (startsWith(head, [0x17, 0x08, 0x44, 0x74, 0x72, 0x61, 0x63, 0x69, 0x6e, 0x67])) {
    return unsupported("a trace-cmd binary file (trace.dat)", `${CAPTURE_FUNCTION_GRAPH}; with trace-cmd: \`trace-cmd start -p function_graph\`, run the traffic, \`trace-cmd show > trace.txt\``, true);
  }
  if (startsWith(head, [0x50, 0x45, 0x52, 0x46, 0x49, 0x4c, 0x45, 0x32])) return unsupported('a perf.data file (binary, from perf record)', CAPTURE_FUNCTION_GRAPH, true);
  if (startsWith(head, [0x1f, 0x8b])) return unsupported('a gzip-compressed file', 'decompress it first (zcat FILE > trace.txt)', true);
  if (startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return unsupported('an xz-compressed file', 'decompress it first (xzcat FILE > trace.txt)', true);
  if (startsWith(head, [0x28, 0xb5, 0x2f, 0xfd])) return unsupported('a zstd-compressed file', 'decompress it first (zstdcat FILE > trace.txt)', true);
  if (head.includes(0)) return unsupported('a binary file (it contains NUL bytes)', CAPTURE_FUNCTION_GRAPH, true);
  return null;
}

const utf8 = new TextDecoder('utf-8');

/** Looks at the first bytes (64 KiB are plenty) of a file. */
export function recognizeTrace(head: Uint8Array): TraceRecognition {
  if (head.length === 0) return unsupported('an empty file', CAPTURE_FUNCTION_GRAPH, true);
  const binary = recognizeBinary(head.subarray(0, 64 * 1024));
  if (binary) return binary;
  return recognizeTraceText(utf8.decode(head.subarray(0, 64 * 1024)));
}

/** The text form of recognizeTrace: looks at up to 200 non-empty lines. */
export function recognizeTraceText(text: string): TraceRecognition {
  const head = text.slice(0, 64 * 1024).split('\n');
  if (looksLikeBpftraceCalls(head)) return { kind: 'trace', format: 'bpftrace-calls' };
  const tracer = /^# tracer: (\S+)/.exec(head.find((l) => l.startsWith('# tracer:')) ?? '')?.[1];
  if (tracer === 'function_graph') return { kind: 'trace', format: 'function_graph' };
  if (tracer === 'function') return unsupported("ftrace's function tracer output (one flat line per call, no nesting to judge)", CAPTURE_FUNCTION_GRAPH);
  if (tracer !== undefined && tracer !== 'nop') return unsupported(`output of ftrace's ${tracer} tracer`, CAPTURE_FUNCTION_GRAPH);
  if (head.some((l) => /^# (captured on|perf version|cmdline) ?:/.test(l))) return unsupported('perf script output', CAPTURE_FUNCTION_GRAPH);
  let seen = 0;
  for (const raw of head) {
    const l = raw.replace(/\r$/, '');
    if (l.trim() === '' || l.startsWith('#')) continue;
    if (++seen > 200) break;
    const t = l.trim();
    if (t.startsWith('{') && t.includes('"type"')) return { kind: 'trace', format: 'bpftrace-json' };
    if (/^Attaching \d+ probes?/.test(t) || /^@[\w.]*(\[|: )/.test(t)) return { kind: 'trace', format: 'bpftrace-text' };
    const event = EVENT_LINE_RE.exec(l);
    if (event && !GRAPH_PREFIX_RE.test(l)) {
      if (FUNCTION_TRACER_BODY_RE.test(event[6]!)) return unsupported("ftrace's function tracer output (one flat line per call, no nesting to judge)", CAPTURE_FUNCTION_GRAPH);
      return { kind: 'trace', format: 'kprobe-events' };
    }
    if (PERF_SCRIPT_RE.test(l) || PERF_CALLCHAIN_RE.test(l)) return unsupported('perf script output', CAPTURE_FUNCTION_GRAPH);
    if (GRAPH_PREFIX_RE.test(l) || GRAPH_LINE_RE.test(l)) return { kind: 'trace', format: 'function_graph' };
  }
  if (tracer === 'nop') return { kind: 'trace', format: 'kprobe-events' };
  return { kind: 'unknown' };
}

/**
 * After parsing: event lines (the nop tracer) without a single kprobe event hold no call to judge,
 * e.g. a capture where the probes were never defined, or other tracepoints only.
 */
export function unsupportedParsedTrace(trace: Trace): UnsupportedTrace | null {
  if (trace.source !== 'kprobe-events' || trace.roots.length > 0 || trace.markers.some((m) => m.probe !== undefined)) return null;
  const events = [...new Set(trace.markers.filter((m) => m.kind !== 'marker').map((m) => /^([\w:.-]+):/.exec(m.text)?.[1]).filter((e): e is string => e !== undefined))];
  const what = events.length > 0 ? `tracefs event lines without a kprobe event (events: ${events.slice(0, 5).join(', ')})` : 'a nop-tracer trace without a kprobe event';
  return unsupported(what, `${CAPTURE_FUNCTION_GRAPH}; or define kprobe events on the ip_vs hooks first (docs/analysis.md)`);
}

/** Which parser text needs; null when nothing looks familiar or the file is of a kind the harness does not read. */
export function detectTraceFormat(text: string): TraceFormat | null {
  const r = recognizeTraceText(text);
  return r.kind === 'trace' ? r.format : null;
}

/** Parses any supported trace text; `format` skips detection. */
export function parseTrace(text: string, format?: TraceFormat): Trace {
  const f = format ?? detectTraceFormat(text) ?? 'function_graph';
  switch (f) {
    case 'bpftrace-calls':
      return parseBpftraceCalls(text);
    case 'bpftrace-json':
    case 'bpftrace-text':
      return parseBpftrace(text);
    case 'kprobe-events':
      return parseKprobeEvents(text);
    default:
      return parseFunctionGraph(text);
  }
}
