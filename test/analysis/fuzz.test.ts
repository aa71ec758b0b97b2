// Property tests: random, mutated-real and truncated input never throws and always yields the
// documented shape (analysis/model.ts). Run counts keep the file within a few seconds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBpftrace } from '../../analysis/bpftrace-parser.ts';
import { parseTrace } from '../../analysis/detect-format.ts';
import { matchExpectedGraph } from '../../analysis/expected-graph-match.ts';
import { parseExpectedGraph, parseExpectedGraphOrThrow } from '../../analysis/expected-graph-yaml.ts';
import { FunctionGraphParser, parseFunctionGraph } from '../../analysis/function-graph-parser.ts';
import { parseKprobeEvents } from '../../analysis/kprobe-events-parser.ts';
import { TRACE_FORMAT, TRACE_FORMAT_VERSION, type CallNode, type Trace } from '../../analysis/model.ts';
import { renderTreeText } from '../../analysis/render-text.ts';
import { capture, CASES, KERNELS } from './fixtures.ts';

const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const orNull = (v: unknown, check: (x: unknown) => boolean) => v === null || check(v);

function checkNode(n: CallNode, lines: number, problems: string[], depth = 0): void {
  if (depth > 10_000) return;
  const where = `node at line ${n.line}`;
  if (typeof n.fn !== 'string' || typeof n.symbol !== 'string') problems.push(`${where}: fn/symbol`);
  if (!orNull(n.module, (x) => typeof x === 'string')) problems.push(`${where}: module`);
  if (!orNull(n.cpu, isNum) || !orNull(n.pid, isNum) || !orNull(n.task, (x) => typeof x === 'string')) problems.push(`${where}: cpu/task/pid`);
  if (!orNull(n.durationUs, isNum) || !orNull(n.startUs, isNum)) problems.push(`${where}: times`);
  if (typeof n.complete !== 'boolean' || (!n.complete && n.incomplete !== 'no-entry' && n.incomplete !== 'no-return')) problems.push(`${where}: completeness`);
  if (!Number.isInteger(n.line) || n.line < 1 || n.line > lines) problems.push(`${where}: line out of range (${lines})`);
  if (!Array.isArray(n.children)) problems.push(`${where}: children`);
  for (const c of n.children) checkNode(c, lines, problems, depth + 1);
}

function checkTrace(t: Trace): void {
  const problems: string[] = [];
  if (t.format !== TRACE_FORMAT || t.version !== TRACE_FORMAT_VERSION) problems.push('format/version');
  if (!Number.isInteger(t.lines) || t.lines < 0) problems.push('lines');
  if (!isNum(t.lostEvents) || t.lostEvents < 0) problems.push('lostEvents');
  for (const r of t.roots) checkNode(r, t.lines, problems);
  for (let i = 1; i < t.roots.length; i++) if (t.roots[i - 1]!.line > t.roots[i]!.line) problems.push('roots not in file order');
  for (const m of t.markers) {
    if (typeof m.text !== 'string' || !Number.isInteger(m.line)) problems.push(`marker ${m.line}`);
    if (m.insideRoot !== null && (m.insideRoot < 0 || m.insideRoot >= t.roots.length)) problems.push(`marker ${m.line}: insideRoot`);
    if (m.beforeRoot < 0 || m.beforeRoot > t.roots.length) problems.push(`marker ${m.line}: beforeRoot`);
  }
  for (const d of t.diagnostics) if (!Number.isInteger(d.line) || typeof d.code !== 'string' || typeof d.message !== 'string') problems.push('diagnostic');
  expect(JSON.parse(JSON.stringify(t))).toBeTruthy(); // serialisable
  expect(problems).toEqual([]);
}

const realLines = KERNELS.flatMap((k) => CASES.slice(0, 4).map((c) => capture(k, c).split('\n')));

// Mutations a damaged capture can show: lines lost, repeated, reordered, cut, or with stray bytes.
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 10 }) }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), to: fc.nat() }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), pos: fc.nat(120) }),
  fc.record({ kind: fc.constant('noise' as const), at: fc.nat(), pos: fc.nat(120), text: fc.string({ maxLength: 8 }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(lines: string[], muts: Mutation[]): string[] {
  const out = [...lines];
  for (const m of muts) {
    if (out.length === 0) break;
    const at = m.at % out.length;
    if (m.kind === 'delete') out.splice(at, m.len);
    else if (m.kind === 'duplicate') out.splice(at, 0, ...out.slice(at, at + m.len));
    else if (m.kind === 'swap') [out[at], out[m.to % out.length]] = [out[m.to % out.length]!, out[at]!];
    else if (m.kind === 'cut') out[at] = out[at]!.slice(0, m.pos);
    else if (m.kind === 'noise') out[at] = out[at]!.slice(0, m.pos) + m.text + out[at]!.slice(m.pos);
  }
  return out;
}

const graph = parseExpectedGraphOrThrow(
  `version: 1
name: fuzz
expect:
  - role: local_request
    path: [ip_vs_conn_in_get, {call: tcp_conn_schedule, inside: [ip_vs_schedule]}, {anyOf: [ip_vs_nat_xmit, ip_vs_leave]}]
  - role: reply
    match: every
    path: [{call: ip_vs_conn_out_get, optional: true}]
    forbid: [ip_vs_leave]
`,
  'fuzz.yaml',
);

describe('property: parsers never throw and keep the documented shape', () => {
  it('on random text', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 120 }), { maxLength: 40 }), (lines) => {
        const text = lines.join('\n');
        checkTrace(parseFunctionGraph(text));
        checkTrace(parseBpftrace(text));
        checkTrace(parseKprobeEvents(text));
        checkTrace(parseTrace(text));
      }),
      { numRuns: 150 },
    );
  });

  it('on random text made of function_graph pieces', () => {
    const piece = fc.constantFrom(' 0)', ' 1)', '  sh-1  ', '|', '  ', '+ 1.0 us', '}', ' /* x */', 'f()', ' {', ';', '==========>', '<==========', '/*', '*/', 'CPU:0 [LOST 3 EVENTS]', ' => ', '-', '\t', '[ip_vs]');
    fc.assert(
      fc.property(fc.array(fc.array(piece, { maxLength: 12 }).map((p) => p.join('')), { maxLength: 60 }), (lines) => {
        const t = parseFunctionGraph(lines.join('\n'));
        checkTrace(t);
        renderTreeText(t);
        matchExpectedGraph(t, graph);
      }),
      { numRuns: 200 },
    );
  });

  it('on mutated real captures, with any chunking', () => {
    fc.assert(
      fc.property(fc.nat(realLines.length - 1), fc.array(mutation, { maxLength: 8 }), fc.integer({ min: 1, max: 4096 }), (which, muts, chunk) => {
        const text = mutate(realLines[which]!, muts).join('\n');
        const whole = parseFunctionGraph(text);
        checkTrace(whole);
        const p = new FunctionGraphParser();
        for (let i = 0; i < text.length; i += chunk) p.pushText(text.slice(i, i + chunk));
        expect(p.finish()).toEqual(whole);
        const v = matchExpectedGraph(whole, graph);
        expect(typeof v.diffText).toBe('string');
      }),
      { numRuns: 60 },
    );
  });

  it('on truncated captures: the prefix parses, calls open at the cut are marked never returned', () => {
    fc.assert(
      fc.property(fc.nat(realLines.length - 1), fc.double({ min: 0, max: 1, noNaN: true }), (which, frac) => {
        const text = realLines[which]!.join('\n');
        const t = parseFunctionGraph(text.slice(0, Math.floor(text.length * frac)));
        checkTrace(t);
        // A clean capture cut short: only calls still open at the cut are incomplete, at most one
        // root per task (captures interleave tasks on two CPUs), and never for a lost entry.
        const open = t.roots.filter((r) => !r.complete);
        expect(open.every((r) => r.incomplete === 'no-return')).toBe(true);
        const tasks = open.map((r) => `${r.pid}/${r.cpu}`);
        expect(new Set(tasks).size).toBe(tasks.length);
      }),
      { numRuns: 150 },
    );
  });

  it('expected graphs: random YAML-ish text never throws', () => {
    const piece = fc.constantFrom('version: 1\n', 'name: x\n', 'expect:\n', '  - role: reply\n', '    path:\n', '      - a\n', '      - call: [a, b]\n', '        inside: [c]\n', '      - anyOf: [x, [y, z]]\n', '    count: {min: 2}\n', ': :\n', '- - -\n', '{[\n', '  roots: -1\n');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 14 }), (pieces) => {
        const r = parseExpectedGraph(pieces.join(''), 'fuzz.yaml');
        expect(r.graph === null ? r.errors.length > 0 : r.errors.length === 0).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
