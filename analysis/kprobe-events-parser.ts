// Event lines from tracefs `trace` / `trace_pipe` (nop tracer plus probe events), e.g.
//   wget-308     [000] d..1.   123.456789: in_hook: (ip_vs_in_hook+0x4/0x3b0 [ip_vs]) hook=3
//   wget-308     (    308) [000] .....   123.456789: ...          (with the record-tgid option)
// Each entry probe hit becomes a root call (the probed function, with hook/family from its arguments),
// so roles and counts work on a capture without function_graph; a return probe adds its value to the
// call it closes. Other events and trace_marker writes (`tracing_mark_write: text`) become markers.
import { Call, NO_CHILDREN } from './call-node.ts';
import { emptyTrace, type Trace } from './model.ts';
import { applyFlowInfo, classifyComment, probeFlowInfo } from './probe-event.ts';
import { finishTrace, type TraceAssembly } from './trace-assembly.ts';

export const EVENT_LINE_RE = /^\s*(.+?)-(\d+)\s+(?:\(\s*[\d-]+\)\s+)?\[(\d+)\]\s+(?:([.a-zA-Z0-9]{4,6})\s+)?(\d+\.\d+):\s+(.*)$/;
const LOST_RE = /^\s*CPU:(\d+) \[LOST(?: (\d+))? EVENTS\]/;

export function parseKprobeEvents(text: string): Trace {
  const asm: TraceAssembly = { trace: emptyTrace('kprobe-events'), markerRoots: [], maxDiagnostics: 1000, suppressed: 0 };
  const trace = asm.trace;
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  lines.forEach((raw, i) => {
    const line = i + 1;
    const s = raw.replace(/\r$/, '');
    if (s.trim() === '' || s.startsWith('#')) return;
    const lost = LOST_RE.exec(s);
    if (lost) {
      const count = lost[2] !== undefined ? Number(lost[2]) : null;
      trace.lost.push({ line, cpu: Number(lost[1]), count });
      if (count !== null) trace.lostEvents += count;
      return;
    }
    const m = EVENT_LINE_RE.exec(s);
    if (!m) {
      if (trace.diagnostics.length < asm.maxDiagnostics) trace.diagnostics.push({ line, severity: 'error', code: 'UNPARSED_LINE', message: 'not a trace event line', text: s.slice(0, 200) });
      else asm.suppressed++;
      return;
    }
    const task = m[1]!.trim();
    const pid = Number(m[2]);
    const cpu = Number(m[3]);
    const timeUs = Math.round(Number(m[5]) * 1e6);
    const body = m[6]!;
    const mark = /^tracing_mark_write: (.*)$/.exec(body);
    const { kind, probe } = mark ? { kind: 'marker' as const, probe: undefined } : classifyComment(body);
    const marker = { kind, text: mark ? mark[1]! : body, line, cpu, task, pid, timeUs, insideRoot: null, beforeRoot: -1 };
    if (probe === undefined) {
      trace.markers.push(marker);
      asm.markerRoots.push(null);
      return;
    }
    trace.markers.push({ ...marker, probe });
    asm.markerRoots.push(null);
    if (probe.retprobe) {
      // A return probe closes a call an entry probe may have opened: give it the return value
      // instead of counting the call twice.
      const ret = probe.args['ret'] ?? probe.args['retval'] ?? probe.args['arg1'];
      for (let k = trace.roots.length - 1; k >= 0; k--) {
        const r = trace.roots[k]!;
        if (r.fn === probe.fn && r.pid === pid) {
          if (ret !== undefined && r.retval === undefined) r.retval = ret;
          break;
        }
      }
      return;
    }
    const node = new Call(probe.fn, probe.symbol, probe.module, cpu, task, pid, line, 0, NO_CHILDREN);
    node.startUs = timeUs;
    node.endLine = line;
    applyFlowInfo(node, probeFlowInfo(probe));
    trace.roots.push(node);
  });
  trace.lines = lines.length;
  return finishTrace(asm, true);
}
