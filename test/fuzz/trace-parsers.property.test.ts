// Property tests of the trace parsers (function_graph, bpftrace stacks and call events, format
// detection) at volume: random text, mutated real captures and captures cut at any byte never throw
// and always give the documented shape (test/fuzz/trace-shape.ts). test/analysis/fuzz.test.ts holds the
// finer properties of the function_graph parser (chunking, truncation semantics); the call events get
// theirs here: a generated well-formed capture (test/fuzz/bpftrace-events.ts) round-trips to its trees.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBpftraceCalls, sortBpftraceCalls } from '../../analysis/bpftrace-calls.ts';
import { parseBpftrace } from '../../analysis/bpftrace-parser.ts';
import { parseTrace } from '../../analysis/detect-format.ts';
import { FunctionGraphParser, parseFunctionGraph } from '../../analysis/function-graph-parser.ts';
import type { CallNode } from '../../analysis/model.ts';
import { bpftraceCaptures, capture, CASES, KERNELS } from '../analysis/fixtures.ts';
import { generatedCapture, type ExpectedCall } from './bpftrace-events.ts';
import { lineMutations, mutateLines } from './mutations.ts';
import { traceProblems } from './trace-shape.ts';

const captures = KERNELS.flatMap((k) => CASES.map((c) => capture(k, c)));
const captureLines = captures.map((c) => c.split('\n'));
const allRealLines = captureLines.flat();

function expectShape(text: string, parse: (t: string) => ReturnType<typeof parseTrace>): void {
  const problems = traceProblems(parse(text));
  expect(problems, text.slice(0, 400)).toEqual([]);
}

// Pieces of function_graph lines, so random lines often get past the first checks of the scanner.
const graphPiece = fc.constantFrom(
  ' 0)', ' 1)', '12.345678 |', '  sh-1  ', '  socat-249    ', '|', '  ', '+ 1.0 us', '! 267.416 us', '# 1234.5 us', '}', ' /* x */', ' /* ip_vs_in_hook [ip_vs] */',
  'ip_vs_in_hook [ip_vs]()', 'f()', ' {', ';', '==========>', '<==========', '/*', '*/', 'CPU:0 [LOST 3 EVENTS]', 'CPU:1 [LOST EVENTS]', ' => ', '-', '\t', '[ip_vs]',
  '(Overruns: 9)', '------------------------------------------', 'in_hook: (ip_vs_in_hook+0x0/0x620 [ip_vs]) hook=3', '\u00ff', '\r', '99999999999999999999',
);
const graphLine = fc.array(graphPiece, { maxLength: 14 }).map((p) => p.join(''));

describe('function_graph parser: never throws, always the documented shape', () => {
  it('random text (2000 cases)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 600, unit: 'binary' }), (text) => expectShape(text, parseFunctionGraph)), { numRuns: 2000 });
  });

  it('lines made of function_graph pieces (2000 cases)', () => {
    fc.assert(fc.property(fc.array(graphLine, { maxLength: 60 }), (lines) => expectShape(lines.join('\n'), parseFunctionGraph)), { numRuns: 2000 });
  });

  it('mutated real captures: lines lost, repeated, swapped, cut, garbled, borrowed from other captures (1000 cases)', () => {
    fc.assert(
      fc.property(fc.nat(captureLines.length - 1), lineMutations(allRealLines), (which, muts) => {
        expectShape(mutateLines(captureLines[which]!, muts).join('\n'), parseFunctionGraph);
      }),
      { numRuns: 1000 },
    );
  });

  it('captures cut at any byte, parsed whole and in byte chunks (1000 cases)', () => {
    fc.assert(
      fc.property(fc.nat(captures.length - 1), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 8192 }), (which, frac, chunk) => {
        const bytes = Buffer.from(captures[which]!, 'utf8');
        const cut = bytes.subarray(0, Math.floor(bytes.length * frac));
        const whole = parseFunctionGraph(cut.toString('utf8'));
        expect(traceProblems(whole)).toEqual([]);
        const p = new FunctionGraphParser();
        for (let i = 0; i < cut.length; i += chunk) p.pushBytes(cut.subarray(i, i + chunk));
        expect(traceProblems(p.finish())).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });
});

// bpftrace -f json messages: the documented types with well-formed and malformed data.
const jsonMessage = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.record({ type: fc.constantFrom('map', 'printf', 'lost_events', 'attached_probes', 'time', 'hist'), data: fc.jsonValue() }).map((v) => JSON.stringify(v)),
  fc.record({
    type: fc.constant('map'),
    data: fc.dictionary(fc.constantFrom('@', '@calls', '@x'), fc.oneof(
      fc.dictionary(fc.oneof(fc.string(), fc.array(graphPiece).map((f) => `\n${f.join('\n')}\n`)), fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null))),
      fc.array(fc.oneof(fc.constant(null), fc.jsonValue(), fc.record({ key: fc.oneof(fc.array(fc.jsonValue()), fc.jsonValue()), value: fc.jsonValue() }))),
    )),
  }).map((v) => JSON.stringify(v)),
  fc.record({ type: fc.constant('lost_events'), data: fc.oneof(fc.constant(null), fc.record({ events: fc.jsonValue() })) }).map((v) => JSON.stringify(v)),
);

const bpftraceTextLine = fc.oneof(
  fc.constantFrom('Attaching 1 probe...', '@[', '@[wget, ', ']: 3', ']: x', ']: -1', '@total: 8', 'Lost 12 events', 'Lost 99999999999999999999999 events', '    ip_vs_conn_new+1 [ip_vs]', '    ffffffffc0a1b2c3 ip_vs_in_hook+0x5 ([ip_vs])', '    0xffffffff', ''),
  fc.string({ maxLength: 80 }),
);

describe('bpftrace parser: never throws, always the documented shape', () => {
  it('-f json lines, well-formed and not (1000 cases)', () => {
    fc.assert(fc.property(fc.array(jsonMessage, { minLength: 1, maxLength: 12 }), (lines) => expectShape(lines.join('\n'), parseBpftrace)), { numRuns: 1000 });
  });

  it('text output, well-formed and not (2000 cases)', () => {
    fc.assert(fc.property(fc.array(bpftraceTextLine, { maxLength: 40 }), (lines) => expectShape(lines.join('\n'), parseBpftrace)), { numRuns: 2000 });
  });

  it('random text, also through format detection (2000 cases)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (text) => {
      expectShape(text, parseBpftrace);
      expectShape(text, (t) => parseTrace(t));
    }), { numRuns: 2000 });
  });
});

// bpftrace call events (analysis/bpftrace-calls.ts): real captures, lines made of the format's fields
// with hostile values, and generated well-formed captures.
const callCaptures = bpftraceCaptures().map((c) => readFileSync(`${c.base}.bpftrace.txt`, 'utf8'));
const callCaptureLines = callCaptures.map((c) => c.split('\n'));

const num = fc.oneof(fc.nat(), fc.constantFrom('-1', '0', '00', '-0', '99999999999999999999', '9'.repeat(400), '1e3', '0x10', '', '-'));
const word = fc.constantFrom('ip_vs_in_hook', 'handle_response.isra.0', '__proto__', 'constructor', 'a b', 'x\u00ff', '', ' ', '\r');
const callEventLine = fc.oneof(
  fc.tuple(num, num, num, word, num, num, fc.option(word, { nil: undefined })).map(([ns, cpu, tid, fn, hook, pf, comm]) => `> ${ns} ${cpu} ${tid} ${fn} ${hook} ${pf}${comm !== undefined ? ` ${comm}` : ''}`),
  fc.tuple(num, num, num, word, num).map(([ns, cpu, tid, fn, ret]) => `< ${ns} ${cpu} ${tid} ${fn} ${ret}`),
  fc.tuple(num, num, num, fc.string({ maxLength: 30 })).map(([ns, cpu, tid, t]) => `M ${ns} ${cpu} ${tid} ${t}`),
  fc.constantFrom('ipvs-harness bpftrace calls 1 5', 'ipvs-harness bpftrace calls 1', 'Attaching 3 probes...', 'Lost 4 events', `Lost ${'9'.repeat(400)} events`, 'WARNING: x', 'calls.bt:1:1-5: WARNING: y', 'stdin:1:1-2: ERROR: z', 'ERROR: w', '~~~~', ''),
  fc.string({ maxLength: 60 }),
);

/** The parsed trees in the shape of ExpectedCall (the fields the call-event format carries). */
function asExpected(nodes: readonly CallNode[]): ExpectedCall[] {
  return nodes.map((n) => ({
    symbol: n.symbol,
    ...(n.hook !== undefined ? { hook: n.hook } : {}),
    ...(n.family !== undefined ? { family: n.family } : {}),
    retval: n.retval ?? '(none)',
    cpu: n.cpu ?? -1,
    pid: n.pid ?? -1,
    task: n.task ?? '(none)',
    startUs: n.startUs ?? -1,
    durationUs: n.durationUs ?? -1,
    complete: n.complete,
    children: asExpected(n.children),
  }));
}

describe('bpftrace call-event parser: never throws, always the documented shape', () => {
  it('random text, also through format detection (1000 cases)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 600, unit: 'binary' }), (text) => {
      expectShape(text, parseBpftraceCalls);
      expectShape(`ipvs-harness bpftrace calls 1 0\n${text}`, (t) => parseTrace(t));
    }), { numRuns: 1000 });
  });

  it('lines made of the format\'s fields, with hostile values, sorted or not (2000 cases)', () => {
    fc.assert(fc.property(fc.array(callEventLine, { maxLength: 40 }), (lines) => {
      const text = lines.join('\n');
      expectShape(text, parseBpftraceCalls);
      expectShape(sortBpftraceCalls(text), parseBpftraceCalls);
    }), { numRuns: 2000 });
  });

  it('mutated real captures: lines lost, repeated, swapped, cut, garbled, borrowed (500 cases)', () => {
    fc.assert(
      fc.property(fc.nat(callCaptureLines.length - 1), lineMutations(callCaptureLines.flat()), (which, muts) => {
        const text = mutateLines(callCaptureLines[which]!, muts).join('\n');
        expectShape(text, parseBpftraceCalls);
        expectShape(sortBpftraceCalls(text), parseBpftraceCalls);
      }),
      { numRuns: 500 },
    );
  });
});

describe('bpftrace call-event parser: generated captures', () => {
  it('a well-formed capture printed out of time order sorts back and round-trips to its trees and markers (300 cases)', () => {
    fc.assert(
      fc.property(generatedCapture, (g) => {
        const sorted = sortBpftraceCalls(g.printed);
        expect(sorted).toBe(g.inTimeOrder);
        const t = parseBpftraceCalls(sorted);
        expect(t.diagnostics).toEqual([]);
        expect(asExpected(t.roots)).toEqual(g.roots);
        expect(t.markers.map((m) => ({ text: m.text, cpu: m.cpu!, pid: m.pid!, timeUs: m.timeUs!, insideRoot: m.insideRoot, beforeRoot: m.beforeRoot }))).toEqual(g.markers);
        expect(traceProblems(t)).toEqual([]);
        // Unsorted, the parser says so exactly when the printed order is not the time order.
        const unsorted = parseBpftraceCalls(g.printed);
        expect(traceProblems(unsorted)).toEqual([]);
        expect(unsorted.diagnostics.some((d) => d.code === 'OUT_OF_ORDER')).toBe(g.printed !== g.inTimeOrder);
      }),
      { numRuns: 300 },
    );
  });

  it('sorting is idempotent, and keeps every line (1000 cases)', () => {
    const text = fc.oneof(
      generatedCapture.map((g) => g.printed),
      fc.array(callEventLine, { maxLength: 30 }).map((l) => l.join('\n')),
      fc.constantFrom(...callCaptures),
    );
    fc.assert(
      fc.property(text, fc.boolean(), (t, crlf) => {
        const input = crlf ? t.replace(/\n/g, '\r\n') : t;
        const once = sortBpftraceCalls(input);
        expect(sortBpftraceCalls(once)).toBe(once);
        expect(once.split('\n').sort()).toEqual(input.split('\n').sort());
      }),
      { numRuns: 1000 },
    );
  });
});
