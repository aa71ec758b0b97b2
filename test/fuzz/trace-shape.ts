// The documented shape of a parsed trace (analysis/model.ts), as a list of problems: a parser that
// returns anything else, or throws, fails the property tests that use this.
import type { CallNode, Trace } from '../../analysis/model.ts';
import { TRACE_FORMAT, TRACE_FORMAT_VERSION } from '../../analysis/model.ts';

const isCount = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const nullOr = (v: unknown, ok: (x: unknown) => boolean) => v === null || ok(v);
const isStr = (v: unknown) => typeof v === 'string';

export function traceProblems(t: Trace): string[] {
  const p: string[] = [];
  if (t.format !== TRACE_FORMAT || t.version !== TRACE_FORMAT_VERSION) p.push('format/version');
  if (!['function_graph', 'bpftrace', 'kprobe-events'].includes(t.source)) p.push(`source ${String(t.source)}`);
  if (!nullOr(t.kernelRelease, isStr)) p.push('kernelRelease');
  if (!Number.isInteger(t.lines) || t.lines < 0) p.push(`lines ${t.lines}`);
  if (!isCount(t.lostEvents)) p.push(`lostEvents ${t.lostEvents}`);
  for (const l of t.lost) if (!Number.isInteger(l.line) || !nullOr(l.count, isCount) || !nullOr(l.cpu, isCount)) p.push(`lost at ${l.line}`);
  for (let i = 1; i < t.roots.length; i++) if (t.roots[i - 1]!.line > t.roots[i]!.line) p.push(`roots not in line order at ${t.roots[i]!.line}`);
  // Iterative walk: a hostile input may nest deeply, and the check itself must not overflow the stack.
  const stack: CallNode[] = [...t.roots];
  while (stack.length > 0 && p.length < 20) {
    const n = stack.pop()!;
    const at = `call at line ${n.line}`;
    if (!isStr(n.fn) || !isStr(n.symbol) || !nullOr(n.module, isStr)) p.push(`${at}: names`);
    if (!nullOr(n.cpu, isCount) || !nullOr(n.pid, isCount) || !nullOr(n.task, isStr)) p.push(`${at}: cpu/pid/task`);
    if (!nullOr(n.durationUs, isCount) || !nullOr(n.startUs, isCount)) p.push(`${at}: times ${n.durationUs} ${n.startUs}`);
    if (typeof n.complete !== 'boolean' || (!n.complete && n.incomplete !== 'no-entry' && n.incomplete !== 'no-return')) p.push(`${at}: completeness`);
    if (!Number.isInteger(n.line) || n.line < 1 || (t.lines > 0 && n.line > t.lines)) p.push(`${at}: line outside 1..${t.lines}`);
    if (!Number.isInteger(n.depth) || n.depth < 0) p.push(`${at}: depth ${n.depth}`);
    if (n.count !== undefined && !Number.isFinite(n.count)) p.push(`${at}: count ${n.count}`);
    if (!Array.isArray(n.children)) p.push(`${at}: children`);
    else stack.push(...n.children);
  }
  for (const m of t.markers) {
    if (!isStr(m.text) || !Number.isInteger(m.line)) p.push(`marker at ${m.line}`);
    if (m.insideRoot !== null && (m.insideRoot < 0 || m.insideRoot >= t.roots.length)) p.push(`marker at ${m.line}: insideRoot ${m.insideRoot}`);
    // -1: the parser does not place markers among the roots (it keeps none).
    if (!Number.isInteger(m.beforeRoot) || m.beforeRoot < -1 || m.beforeRoot > t.roots.length) p.push(`marker at ${m.line}: beforeRoot ${m.beforeRoot}`);
  }
  for (const d of t.diagnostics) {
    if (!Number.isInteger(d.line) || !isStr(d.code) || !isStr(d.message) || !['error', 'warning', 'info'].includes(d.severity)) p.push(`diagnostic at ${d.line}`);
    // A diagnostic points at a line of the input (or its last line, for what the end of it showed).
    else if (d.line < 1 || d.line > t.lines) p.push(`diagnostic ${d.code} at line ${d.line} outside 1..${t.lines}`);
  }
  // The stored format is JSON: it must round-trip.
  if (JSON.stringify(JSON.parse(JSON.stringify(t))) !== JSON.stringify(t)) p.push('not JSON-serialisable');
  return p;
}
