// Hand-made edge cases of the bpftrace call-event parser (analysis/bpftrace-calls.ts), each in the
// line format its header comment defines and the program of scenarios/bpftrace-plan.ts prints:
// `> ns cpu tid fn hook pf comm`, `< ns cpu tid fn retval`, `M ns cpu tid text`.
import { describe, expect, it } from 'vitest';
import { BPFTRACE_CALLS_HEADER, endAtMarker, parseBpftraceCalls, sortBpftraceCalls } from '../../analysis/bpftrace-calls.ts';
import type { CallNode, Trace } from '../../analysis/model.ts';
import { findRoleInstances, resolveGeneration } from '../../analysis/roles.ts';
import { findSection, sliceSection } from '../../analysis/section.ts';
import { stepSection } from '../../analysis/step-markers.ts';

const HEADER = `${BPFTRACE_CALLS_HEADER} 34993803364`;
const text = (...lines: string[]) => `${lines.join('\n')}\n`;
/** A capture as the runner stores it: the header on line 1, the events from line 2. */
const capture = (...events: string[]) => text(HEADER, ...events);
const names = (nodes: readonly CallNode[]): unknown[] => nodes.map((n) => (n.children.length > 0 ? [n.fn, names(n.children)] : n.fn));
const shape = (t: Trace) => names(t.roots);
const codes = (t: Trace) => t.diagnostics.map((d) => [d.line, d.severity, d.code]);

describe('bpftrace calls: nesting', () => {
  it('nests calls per task (tid), whatever the other CPUs print in between', () => {
    const t = parseBpftraceCalls(
      capture(
        '> 36713411967 0 308 ip_vs_out_hook 1 2 wget',
        '> 36713500000 1 311 ip_vs_in_hook 1 2 httpd',
        '> 36715676704 0 308 ip_vs_conn_out_get -1 -1 wget',
        '> 36715700000 1 311 ip_vs_conn_in_get -1 -1 httpd',
        '< 36715800000 1 311 ip_vs_conn_in_get 0',
        '< 36716153679 0 308 ip_vs_conn_out_get 0',
        '< 36716200000 1 311 ip_vs_in_hook 1',
        '< 36716775334 0 308 ip_vs_out_hook 1',
      ),
    );
    expect(t.diagnostics).toEqual([]);
    expect(t.source).toBe('bpftrace');
    expect(t.lines).toBe(9);
    expect(shape(t)).toEqual([['ip_vs_out_hook', ['ip_vs_conn_out_get']], ['ip_vs_in_hook', ['ip_vs_conn_in_get']]]);
    expect(t.roots[0]).toMatchObject({ fn: 'ip_vs_out_hook', symbol: 'ip_vs_out_hook', module: null, cpu: 0, task: 'wget', pid: 308, line: 2, endLine: 9, depth: 0, complete: true, retval: '1' });
    expect(t.roots[1]).toMatchObject({ cpu: 1, task: 'httpd', pid: 311, line: 3, endLine: 8, depth: 0 });
    expect(t.roots[0]!.children[0]).toMatchObject({ line: 4, endLine: 7, depth: 1, retval: '0' });
  });

  it('gives durations and start times in microseconds from the nanosecond stamps', () => {
    const t = parseBpftraceCalls(capture('> 36713411967 0 308 ip_vs_out_hook 1 2 wget', '> 36715676704 0 308 ip_vs_conn_out_get -1 -1 wget', '< 36716153679 0 308 ip_vs_conn_out_get 0', '< 36716775334 0 308 ip_vs_out_hook 1'));
    const root = t.roots[0]!;
    const child = root.children[0]!;
    expect(root.startUs).toBeCloseTo(36713411.967, 6);
    expect(root.durationUs).toBeCloseTo(3363.367, 6);
    expect(child.startUs).toBeCloseTo(36715676.704, 6);
    expect(child.durationUs).toBeCloseTo(476.975, 6);
  });

  it('follows a task that migrates to another CPU inside a call (the task decides, not the CPU)', () => {
    const t = parseBpftraceCalls(capture('> 1000 0 308 a -1 -1 wget', '< 2000 1 308 a 0'));
    expect(t.diagnostics).toEqual([]);
    expect(t.roots.map((r) => [r.fn, r.complete, r.cpu])).toEqual([['a', true, 0]]);
  });

  it('keeps the idle task (tid 0) apart per CPU', () => {
    const t = parseBpftraceCalls(capture('> 1000 0 0 ip_vs_in_hook 1 2 swapper/0', '> 1100 1 0 ip_vs_out_hook 1 2 swapper/1', '< 1200 0 0 ip_vs_in_hook 1', '< 1300 1 0 ip_vs_out_hook 1'));
    expect(t.diagnostics).toEqual([]);
    expect(t.roots.map((r) => [r.fn, r.cpu, r.pid, r.complete, r.children.length])).toEqual([['ip_vs_in_hook', 0, 0, true, 0], ['ip_vs_out_hook', 1, 0, true, 0]]);
  });

  it('nests a hook call run by a softirq inside the hook call it interrupted on the same task', () => {
    // A reply received while the request is transmitted: the softirq runs in the sender's task.
    const t = parseBpftraceCalls(
      capture(
        '> 67144668528 0 972 ip_vs_in_hook 3 2 socat',
        '> 67149537438 0 972 ip_vs_nat_xmit -1 -1 socat',
        '> 67153292689 0 972 ip_vs_out_hook 1 2 socat',
        '> 67153404429 0 972 ip_vs_conn_out_get -1 -1 socat',
        '< 67153564569 0 972 ip_vs_conn_out_get -55977805050988352',
        '< 67155000000 0 972 ip_vs_out_hook 1',
        '< 67156000000 0 972 ip_vs_nat_xmit 2',
        '< 67157000000 0 972 ip_vs_in_hook 2',
      ),
    );
    expect(t.diagnostics).toEqual([]);
    expect(shape(t)).toEqual([['ip_vs_in_hook', [['ip_vs_nat_xmit', [['ip_vs_out_hook', ['ip_vs_conn_out_get']]]]]]]);
    const instances = findRoleInstances(t, resolveGeneration(t, '6.12.48+deb13-cloud-amd64'));
    expect(instances.map((i) => [i.node.fn, i.roles, i.hook, i.hookSource, i.family, i.familySource, i.nested])).toEqual([
      ['ip_vs_in_hook', ['local_request'], 3, 'probe', 4, 'probe', false],
      ['ip_vs_out_hook', ['reply'], 1, 'probe', 4, 'probe', true],
    ]);
    expect(t.roots[0]!.children[0]!.children[0]!.children[0]!.retval).toBe('-55977805050988352');
  });
});

describe('bpftrace calls: hook numbers, family, markers', () => {
  it('keeps hook numbers 0..4 and drops -1 (not read) and anything else; pf 2 is IPv4, 10 IPv6', () => {
    const t = parseBpftraceCalls(
      capture(
        ...[['0', '2'], ['1', '10'], ['2', '2'], ['3', '10'], ['4', '2'], ['-1', '-1'], ['5', '7']].flatMap(([hook, pf], i) => [
          `> ${1000 + i * 10} 0 308 f${i} ${hook} ${pf} wget`,
          `< ${1005 + i * 10} 0 308 f${i} 0`,
        ]),
      ),
    );
    expect(t.diagnostics).toEqual([]);
    expect(t.roots.map((r) => [r.fn, r.hook, r.family])).toEqual([
      ['f0', 0, 4], ['f1', 1, 6], ['f2', 2, 4], ['f3', 3, 6], ['f4', 4, 4], ['f5', undefined, undefined], ['f6', undefined, undefined],
    ]);
    // Not even present as keys: the stored JSON has no hook or family for them.
    expect(Object.keys(t.roots[5]!)).not.toContain('hook');
    expect(Object.keys(t.roots[5]!)).not.toContain('family');
  });

  it('reads an entry without comm, and normalises compiler clone suffixes', () => {
    const t = parseBpftraceCalls(capture('> 1000 0 308 handle_response.isra.0 -1 -1', '< 2000 0 308 handle_response.isra.0 1'));
    expect(t.diagnostics).toEqual([]);
    expect(t.roots.map((r) => [r.fn, r.symbol, r.task, r.complete])).toEqual([['handle_response', 'handle_response.isra.0', null, true]]);
  });

  // Step x: one call inside, one before and one after; markers between and inside the calls.
  const STEP = capture(
    '> 900 0 308 ip_vs_conn_new -1 -1 wget', // 2: before the step
    '< 950 0 308 ip_vs_conn_new 0',
    'M 1000 0 303 ipvs-harness step x begin', // 4
    '> 2000 0 308 ip_vs_out_hook 1 2 wget', // 5: root 1
    'M 2500 0 308 inside marker  ', // 6: same task, call open
    '< 3000 0 308 ip_vs_out_hook 1',
    '> 3500 1 0 ip_vs_in_hook 1 2 swapper/1', // 8: root 2, the idle task of CPU 1
    'M 3600 1 0 idle marker', // 9: inside root 2
    'M 3650 0 0 other idle marker', // 10: the idle task of CPU 0 runs nothing
    '< 3700 1 0 ip_vs_in_hook 1',
    'M 4000 0 303 ipvs-harness step x end', // 12
    '> 5000 0 308 ip_vs_conn_new -1 -1 wget', // 13: root 3, after the step
    '< 5100 0 308 ip_vs_conn_new 0',
  );

  it('keeps markers with their time, task and place among the roots', () => {
    const t = parseBpftraceCalls(STEP);
    expect(t.diagnostics).toEqual([]);
    expect(t.markers.map((m) => [m.kind, m.text, m.line, m.cpu, m.task, m.pid, m.timeUs, m.insideRoot, m.beforeRoot])).toEqual([
      ['marker', 'ipvs-harness step x begin', 4, 0, null, 303, 1, null, 1],
      ['marker', 'inside marker', 6, 0, null, 308, 2.5, 1, 2],
      ['marker', 'idle marker', 9, 1, null, 0, 3.6, 2, 3],
      ['marker', 'other idle marker', 10, 0, null, 0, 3.65, null, 3],
      ['marker', 'ipvs-harness step x end', 12, 0, null, 303, 4, null, 3],
    ]);
  });

  it("cuts a step's roots with findSection / sliceSection and the step markers", () => {
    const t = parseBpftraceCalls(STEP);
    const found = findSection(t, stepSection('x'));
    expect(found.ok).toBe(true);
    if (!found.ok) return;
    expect(found.range).toMatchObject({ startLine: 4, endLine: 12 });
    const s = sliceSection(t, found.range);
    expect(s.roots.map((r) => [r.fn, r.line])).toEqual([['ip_vs_out_hook', 5], ['ip_vs_in_hook', 8]]);
    expect(s.markers.map((m) => [m.text, m.insideRoot, m.beforeRoot])).toEqual([
      ['ipvs-harness step x begin', null, 0],
      ['inside marker', 0, 1],
      ['idle marker', 1, 2],
      ['other idle marker', null, 2],
      ['ipvs-harness step x end', null, 2],
    ]);
    expect(findSection(t, stepSection('y')).ok).toBe(false);
  });
});

const STEP_LIKE = capture('M 1000 0 303 ipvs-harness step x begin', '> 2000 0 308 ip_vs_out_hook 1 2 wget', 'M 2500 0 308 inside', '< 3000 0 308 ip_vs_out_hook 1', 'Lost 2 events', 'M 4000 0 303 ipvs-harness step x end');

describe('bpftrace calls: damaged captures', () => {
  it('makes a return without its entry an incomplete call (ORPHAN_RETURN), at the top or inside an open call', () => {
    const t = parseBpftraceCalls(capture('< 1000 0 308 ip_vs_in_hook 1', '> 2000 0 308 ip_vs_out_hook 1 2 wget', '< 2100 0 308 ip_vs_conn_out_get 0', '< 2200 0 308 ip_vs_out_hook 1'));
    expect(shape(t)).toEqual(['ip_vs_in_hook', ['ip_vs_out_hook', ['ip_vs_conn_out_get']]]);
    expect(t.roots[0]).toMatchObject({ complete: false, incomplete: 'no-entry', line: 2, endLine: 2, depth: 0, retval: '1', startUs: null, durationUs: null, cpu: 0, pid: 308 });
    expect(t.roots[1]!.complete).toBe(true);
    expect(t.roots[1]!.durationUs).toBeCloseTo(0.2, 9);
    expect(t.roots[1]!.children[0]).toMatchObject({ complete: false, incomplete: 'no-entry', line: 4, depth: 1, retval: '0' });
    expect(codes(t)).toEqual([[2, 'warning', 'ORPHAN_RETURN'], [4, 'warning', 'ORPHAN_RETURN']]);
    expect(t.diagnostics[0]!.message).toContain('ip_vs_in_hook');
  });

  it('marks entries that never return (MISSING_RETURN), inner and outer', () => {
    const t = parseBpftraceCalls(capture('> 1000 0 308 ip_vs_in_hook 3 2 wget', '> 1100 0 308 ip_vs_nat_xmit -1 -1 wget'));
    expect(shape(t)).toEqual([['ip_vs_in_hook', ['ip_vs_nat_xmit']]]);
    expect(t.roots[0]).toMatchObject({ complete: false, incomplete: 'no-return', durationUs: null, startUs: 1 });
    expect(t.roots[0]!.children[0]).toMatchObject({ complete: false, incomplete: 'no-return' });
    expect(codes(t)).toEqual([[3, 'warning', 'MISSING_RETURN'], [3, 'warning', 'MISSING_RETURN']]);
    expect(t.diagnostics.map((d) => d.message)).toEqual([expect.stringContaining('ip_vs_nat_xmit entered at line 3'), expect.stringContaining('ip_vs_in_hook entered at line 2')]);
  });

  it('closes an open inner call as never returned when its caller returns past it', () => {
    const t = parseBpftraceCalls(capture('> 1000 0 308 ip_vs_in_hook 1 2 wget', '> 1100 0 308 ip_vs_conn_in_get -1 -1 wget', '< 1300 0 308 ip_vs_in_hook 1'));
    expect(shape(t)).toEqual([['ip_vs_in_hook', ['ip_vs_conn_in_get']]]);
    expect(t.roots[0]).toMatchObject({ complete: true, endLine: 4 });
    expect(t.roots[0]!.durationUs).toBeCloseTo(0.3, 9);
    expect(t.roots[0]!.children[0]).toMatchObject({ complete: false, incomplete: 'no-return', durationUs: null });
    expect(codes(t)).toEqual([[4, 'warning', 'MISSING_RETURN']]);
  });

  it("counts bpftrace's `Lost N events` lines", () => {
    const t = parseBpftraceCalls(capture('> 1000 0 308 a -1 -1 wget', 'Lost 12 events', '< 2000 0 308 a 0', 'Lost 99999999999999999999 events', 'Lost 3 events'));
    expect(t.lostEvents).toBe(15);
    expect(t.lost).toEqual([{ line: 3, cpu: null, count: 12 }, { line: 5, cpu: null, count: null }, { line: 6, cpu: null, count: 3 }]);
    expect(t.roots.map((r) => [r.fn, r.complete])).toEqual([['a', true]]);
  });

  it("reports bpftrace's own messages (BPFTRACE_MESSAGE): warnings as warnings, with or without a program location", () => {
    const t = parseBpftraceCalls(
      text(
        'Attaching 29 probes...',
        'WARNING: could not attach 1 probe',
        '/run/ipvs-harness/calls.bt:3:1-27: WARNING: ip_vs_leave is not traceable',
        'kprobe:ip_vs_leave { printf("x"); }',
        '~~~~~~~~~~~~~~~~~~~',
        'stdin:1:1-10: ERROR: unknown function',
        'ERROR: map lookup failed',
        HEADER,
      ),
    );
    // The program line and the underline after a located message are its context, not garbage.
    expect(codes(t)).toEqual([[2, 'warning', 'BPFTRACE_MESSAGE'], [3, 'warning', 'BPFTRACE_MESSAGE'], [6, 'error', 'BPFTRACE_MESSAGE'], [7, 'error', 'BPFTRACE_MESSAGE']]);
    expect(t.diagnostics[0]).toMatchObject({ message: 'bpftrace said: WARNING: could not attach 1 probe', text: 'WARNING: could not attach 1 probe' });
  });

  it('turns other lines into UNPARSED_LINE with their line number and keeps going', () => {
    const t = parseBpftraceCalls(capture('> 1000 0 308 a -1 -1 wget', 'garbage here', '> 1100 0 308 b x y wget', '< 1200 0 308 a', '< 1300 0 308 a 0', 'M 1400 zero 1 text'));
    expect(t.roots.map((r) => [r.fn, r.complete])).toEqual([['a', true]]);
    expect(codes(t)).toEqual([[3, 'error', 'UNPARSED_LINE'], [4, 'error', 'UNPARSED_LINE'], [5, 'error', 'UNPARSED_LINE'], [7, 'error', 'UNPARSED_LINE']]);
    expect(t.diagnostics[0]!.text).toBe('garbage here');
    expect(t.markers).toEqual([]);
  });

  it('takes no numbers longer than bpftrace prints (ns 20 digits, cpu and tid 10): no infinite times or pids', () => {
    const huge = '9'.repeat(400);
    const t = parseBpftraceCalls(capture(`> ${huge} 0 308 a -1 -1 wget`, `> 1000 ${huge} 308 b -1 -1 wget`, `M 1000 0 ${huge} text`, '> 99999999999999999999 0 4294967295 c -1 -1 wget'));
    expect(codes(t)).toEqual([[2, 'error', 'UNPARSED_LINE'], [3, 'error', 'UNPARSED_LINE'], [4, 'error', 'UNPARSED_LINE'], [5, 'warning', 'MISSING_RETURN']]);
    expect(t.roots.map((r) => [r.fn, r.startUs, r.pid])).toEqual([['c', 99999999999999999999 / 1000, 4294967295]]);
  });

  it('reports lines that go back in time (OUT_OF_ORDER) once, and how many in all', () => {
    const once = parseBpftraceCalls(capture('> 1000 0 308 a -1 -1 wget', '< 3000 0 308 a 0', '> 2000 1 311 b -1 -1 httpd', '< 4000 1 311 b 0'));
    expect(codes(once)).toEqual([[4, 'warning', 'OUT_OF_ORDER']]);
    expect(once.diagnostics[0]!.text).toBe('> 2000 1 311 b -1 -1 httpd');
    const twice = parseBpftraceCalls(capture('> 1000 0 308 a -1 -1 wget', '< 3000 0 308 a 0', '> 2000 1 311 b -1 -1 httpd', '< 2500 1 311 b 0', 'M 5000 0 303 end'));
    expect(codes(twice)).toEqual([[4, 'warning', 'OUT_OF_ORDER'], [6, 'warning', 'OUT_OF_ORDER']]);
    expect(twice.diagnostics[1]!.message).toMatch(/^2 events in all/);
  });

  it('warns when the header is missing (NO_HEADER), not on empty input', () => {
    const t = parseBpftraceCalls(text('> 1000 0 308 a -1 -1 wget', '< 2000 0 308 a 0'));
    expect(codes(t)).toEqual([[2, 'warning', 'NO_HEADER']]);
    expect(t.roots.map((r) => [r.fn, r.complete])).toEqual([['a', true]]);
    expect(parseBpftraceCalls(capture()).diagnostics).toEqual([]);
    expect(parseBpftraceCalls(text('Attaching 29 probes...', HEADER, '', '')).diagnostics).toEqual([]);
  });

  it('accepts CRLF line ends', () => {
    const lf = parseBpftraceCalls(STEP_LIKE);
    const crlf = parseBpftraceCalls(STEP_LIKE.replace(/\n/g, '\r\n'));
    expect(crlf.diagnostics.map((d) => d.code)).toEqual(['LOST_EVENTS']);
    expect(crlf).toEqual(lf);
  });
});

describe('sortBpftraceCalls', () => {
  // bpftrace prints each CPU's buffer in turn: CPU 0's events, then CPU 1's.
  const PRINTED = text(
    'Attaching 29 probes...',
    HEADER,
    'M 1000 0 303 ipvs-harness step x begin',
    '> 2000 0 308 ip_vs_out_hook 1 2 wget',
    '< 2600 0 308 ip_vs_out_hook 1',
    'M 9000 0 303 ipvs-harness step x end',
    '> 2100 1 0 ip_vs_in_hook 1 2 swapper/1',
    '> 2200 1 0 ip_vs_conn_in_get -1 -1 swapper/1',
    '< 2300 1 0 ip_vs_conn_in_get 0',
    '< 2400 1 0 ip_vs_in_hook 1',
    '',
  );

  it('puts the events in time order, the lines before the first event first, and keeps the trailing newline', () => {
    const sorted = sortBpftraceCalls(PRINTED);
    expect(sorted.split('\n')).toEqual([
      'Attaching 29 probes...',
      HEADER,
      'M 1000 0 303 ipvs-harness step x begin',
      '> 2000 0 308 ip_vs_out_hook 1 2 wget',
      '> 2100 1 0 ip_vs_in_hook 1 2 swapper/1',
      '> 2200 1 0 ip_vs_conn_in_get -1 -1 swapper/1',
      '< 2300 1 0 ip_vs_conn_in_get 0',
      '< 2400 1 0 ip_vs_in_hook 1',
      '',
      '< 2600 0 308 ip_vs_out_hook 1',
      'M 9000 0 303 ipvs-harness step x end',
      '',
    ]);
    expect(sortBpftraceCalls('> 2 0 1 a -1 -1 x\n> 1 0 1 b -1 -1 x')).toBe('> 1 0 1 b -1 -1 x\n> 2 0 1 a -1 -1 x');
    expect(sortBpftraceCalls('')).toBe('');
  });

  it('keeps a Lost line with the event printed before it, so the loss stays in its step', () => {
    const printed = text(HEADER, 'M 1000 0 3 ipvs-harness step x begin', '> 3000 0 8 a -1 -1 w', 'Lost 4 events', '< 3100 0 8 a 0', 'M 9000 0 3 ipvs-harness step x end', '> 2000 1 0 b -1 -1 s', '< 2100 1 0 b 0');
    const sorted = sortBpftraceCalls(printed).split('\n');
    expect(sorted.indexOf('Lost 4 events')).toBe(sorted.indexOf('> 3000 0 8 a -1 -1 w') + 1);
    expect(sorted.indexOf('Lost 4 events')).toBeLessThan(sorted.indexOf('M 9000 0 3 ipvs-harness step x end'));
  });

  it('keeps events of the same nanosecond in the order printed (stable)', () => {
    const same = text(HEADER, '> 5 0 1 b -1 -1 x', '> 5 0 2 a -1 -1 y', '> 1 0 3 c -1 -1 z', '< 5 0 2 a 0');
    expect(sortBpftraceCalls(same).split('\n').slice(1, 5)).toEqual(['> 1 0 3 c -1 -1 z', '> 5 0 1 b -1 -1 x', '> 5 0 2 a -1 -1 y', '< 5 0 2 a 0']);
  });

  it('makes an out-of-order capture parse without OUT_OF_ORDER, the step holding both CPUs', () => {
    expect(parseBpftraceCalls(PRINTED).diagnostics.map((d) => d.code)).toContain('OUT_OF_ORDER');
    const t = parseBpftraceCalls(sortBpftraceCalls(PRINTED));
    expect(t.diagnostics).toEqual([]);
    expect(shape(t)).toEqual(['ip_vs_out_hook', ['ip_vs_in_hook', ['ip_vs_conn_in_get']]]);
    expect(t.roots.every((r) => r.complete)).toBe(true);
    const found = findSection(t, stepSection('x'));
    expect(found.ok && sliceSection(t, found.range).roots.map((r) => r.fn)).toEqual(['ip_vs_out_hook', 'ip_vs_in_hook']);
  });

  it('sorts by the whole number, not as text, and beyond 2^53', () => {
    const big = 2n ** 60n;
    const t = text(HEADER, `> ${big + 2n} 0 1 b -1 -1 x`, `> ${big + 1n} 0 1 a -1 -1 x`, '> 999 0 1 c -1 -1 x');
    expect(sortBpftraceCalls(t).split('\n').slice(1, 4).map((l) => l.split(' ')[4])).toEqual(['c', 'a', 'b']);
  });
});

describe('endAtMarker', () => {
  it('drops the events after the final marker (probes detaching after SIGINT), keeps other lines', () => {
    const t = ['ipvs-harness bpftrace calls 1 5', 'M 10 0 3 ipvs-harness step x begin', '> 20 0 8 a -1 -1 w', '< 30 0 8 a 0', 'M 40 0 3 ipvs-harness trace end', '> 50 0 14 b 1 10 ksoftirqd/0', 'Lost 2 events', ''].join('\n');
    expect(endAtMarker(t, 'ipvs-harness trace end').split('\n')).toEqual(['ipvs-harness bpftrace calls 1 5', 'M 10 0 3 ipvs-harness step x begin', '> 20 0 8 a -1 -1 w', '< 30 0 8 a 0', 'M 40 0 3 ipvs-harness trace end', 'Lost 2 events', '']);
    expect(endAtMarker('> 1 0 1 a -1 -1 x\n', 'ipvs-harness trace end')).toBe('> 1 0 1 a -1 -1 x\n');
  });
});
