// bpftrace output (-f json and text maps of kstack), tracefs probe event lines, and format detection.
import { describe, expect, it } from 'vitest';
import { BPFTRACE_CALLS_HEADER, parseBpftraceCalls } from '../../analysis/bpftrace-calls.ts';
import { parseBpftrace } from '../../analysis/bpftrace-parser.ts';
import { detectTraceFormat, parseTrace } from '../../analysis/detect-format.ts';
import { matchExpectedGraph } from '../../analysis/expected-graph-match.ts';
import { defineExpectedGraph } from '../../analysis/expected-graph-validate.ts';
import { parseKprobeEvents } from '../../analysis/kprobe-events-parser.ts';
import type { CallNode } from '../../analysis/model.ts';
import { capture } from './fixtures.ts';

const chain = (n: CallNode): string[] => [n.fn, ...(n.children[0] ? chain(n.children[0]) : [])];

// bpftrace -e 'kprobe:ip_vs_conn_new { @[kstack] = count(); }' -f json, innermost frame first.
const STACK_A = '\n        ip_vs_conn_new+1\n        ip_vs_schedule+310\n        tcp_conn_schedule+232\n        ip_vs_in_hook+1081\n        nf_hook_slow+66\n        __ip_local_out+215\n';
const STACK_B = '\n        ip_vs_conn_new+1\n        ip_vs_schedule+310\n        udp_conn_schedule+180\n        ip_vs_in_hook+1081\n        nf_hook_slow+66\n        __ip_local_out+215\n';

describe('bpftrace', () => {
  it('reads -f json maps of kstack into merged root-to-leaf paths with counts', () => {
    const json = [
      '{"type": "attached_probes", "data": {"probes": 1}}',
      '{"type": "printf", "data": "=== case host_vip start\\n"}',
      `{"type": "map", "data": {"@": {${JSON.stringify(STACK_A)}: 3, ${JSON.stringify(STACK_B)}: 2}}}`,
      '{"type": "lost_events", "data": {"events": 4}}',
      '{"type": "map", "data": {"@calls": {"wget": 5}}}',
    ].join('\n');
    const t = parseBpftrace(json);
    expect(t.source).toBe('bpftrace');
    expect(t.roots).toHaveLength(1);
    const root = t.roots[0]!;
    expect(root).toMatchObject({ fn: '__ip_local_out', count: 5, depth: 0, line: 3 });
    const hook = root.children[0]!.children[0]!;
    expect(hook).toMatchObject({ fn: 'ip_vs_in_hook', count: 5 });
    expect(hook.children.map((c) => [c.fn, c.count])).toEqual([['tcp_conn_schedule', 3], ['udp_conn_schedule', 2]]);
    expect(chain(hook.children[0]!)).toEqual(['tcp_conn_schedule', 'ip_vs_schedule', 'ip_vs_conn_new']);
    expect(t.markers).toMatchObject([{ kind: 'printf', text: '=== case host_vip start', line: 2 }]);
    expect(t.lostEvents).toBe(4);
    expect(t.diagnostics.map((d) => d.code)).toEqual(['NOT_A_STACK_MAP']);
  });

  it('reads the text output of a kstack map, with other key parts and module frames', () => {
    const text = [
      'Attaching 1 probe...',
      'starting',
      '@[wget, ',
      '    ip_vs_conn_new+1 [ip_vs]',
      '    ip_vs_schedule.part.0+310 [ip_vs]',
      '    ip_vs_in_hook+1081 [ip_vs]',
      ']: 7',
      '@[',
      '    ip_vs_leave+40 [ip_vs]',
      '    ip_vs_in_hook+900 [ip_vs]',
      ']: 1',
      '',
      '@total: 8',
    ].join('\n');
    const t = parseBpftrace(text);
    expect(t.diagnostics).toEqual([]);
    expect(t.roots).toHaveLength(1);
    expect(t.roots[0]).toMatchObject({ fn: 'ip_vs_in_hook', module: 'ip_vs', count: 8 });
    expect(t.roots[0]!.children.map((c) => [c.fn, c.symbol, c.count])).toEqual([['ip_vs_schedule', 'ip_vs_schedule.part.0', 7], ['ip_vs_leave', 'ip_vs_leave', 1]]);
    expect(t.markers.map((m) => m.text)).toEqual(['starting']);
  });

  it('lets expected graphs judge stacks', () => {
    const t = parseBpftrace(`{"type": "map", "data": {"@": {${JSON.stringify(STACK_A)}: 3}}}`);
    const g = defineExpectedGraph({ version: 1, name: 'stack', expect: [{ role: 'local_request', path: ['tcp_conn_schedule', 'ip_vs_conn_new'] }] });
    // Hook unknown (no probe argument), but the caller chain nf_hook_slow <- __ip_local_out gives LOCAL_OUT.
    const v = matchExpectedGraph(t, g);
    expect(v.holds).toBe(true);
    expect(v.perRole[0]!.notes).toEqual([]);
  });
});

describe('tracefs probe event lines', () => {
  const EVENTS = [
    '# tracer: nop',
    '#',
    '# entries-in-buffer/entries-written: 5/5   #P:2',
    '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION',
    '#              | |         |   |||||     |         |',
    '              sh-303     [000] .....   100.000001: tracing_mark_write: === case host_vip start',
    '            wget-308     [000] d..1.   100.500000: out_hook: (ip_vs_out_hook+0x4/0x620 [ip_vs]) hook=3',
    '            wget-308     [000] d..1.   100.500100: in_hook: (ip_vs_in_hook+0x4/0x7b0 [ip_vs]) hook=3 pf=2',
    '           httpd-311     (    311) [001] d.s1.   100.600000: out_hook: (ip_vs_out_hook+0x4/0x620 [ip_vs]) hook=1',
    '            wget-308     [000] d..2    100.700000: nf_ret: (nf_hook_slow+0x44/0xc0 <- ip_vs_in_hook) ret=0x1',
    '            wget-308     [000] .....   100.800000: sched_switch: prev_comm=wget prev_pid=308',
    'CPU:1 [LOST 7 EVENTS]',
  ].join('\n');

  it('turns each probe hit into a root with its hook, family, task and time', () => {
    const t = parseKprobeEvents(EVENTS);
    expect(t.diagnostics).toEqual([]);
    expect(t.roots.map((r) => [r.fn, r.hook, r.family, r.task, r.pid, r.cpu, r.startUs, r.line])).toEqual([
      ['ip_vs_out_hook', 3, undefined, 'wget', 308, 0, 100500000, 7],
      ['ip_vs_in_hook', 3, 4, 'wget', 308, 0, 100500100, 8],
      ['ip_vs_out_hook', 1, undefined, 'httpd', 311, 1, 100600000, 9],
    ]);
    expect(t.roots[1]!.retval).toBe('0x1'); // from the return probe
    expect(t.markers.map((m) => [m.kind, m.text])).toEqual([
      ['marker', '=== case host_vip start'],
      ['kprobe', 'out_hook: (ip_vs_out_hook+0x4/0x620 [ip_vs]) hook=3'],
      ['kprobe', 'in_hook: (ip_vs_in_hook+0x4/0x7b0 [ip_vs]) hook=3 pf=2'],
      ['kprobe', 'out_hook: (ip_vs_out_hook+0x4/0x620 [ip_vs]) hook=1'],
      ['kprobe', 'nf_ret: (nf_hook_slow+0x44/0xc0 <- ip_vs_in_hook) ret=0x1'],
      ['event', 'sched_switch: prev_comm=wget prev_pid=308'],
    ]);
    expect(t.markers[0]!.beforeRoot).toBe(0);
    expect(t.lostEvents).toBe(7);
  });

  it('gives roles and counts to a capture without function_graph', () => {
    const g = defineExpectedGraph({ version: 1, name: 'hooks', expect: [{ role: 'local_request', roots: 1, path: [] }, { role: 'reply', path: [] }] });
    expect(matchExpectedGraph(parseKprobeEvents(EVENTS), g).holds).toBe(true);
  });
});

describe('format detection', () => {
  it('recognises each format from its first lines', () => {
    expect(detectTraceFormat(capture('6.1', 'host_vip'))).toBe('function_graph');
    expect(detectTraceFormat(' 0)    wget-308    |   1.000 us    |  a();\n')).toBe('function_graph');
    expect(detectTraceFormat('   77.859914 |   0)   socat-929    |               |  ip_vs_out_hook [ip_vs]() {\n')).toBe('function_graph');
    expect(detectTraceFormat('{"type": "attached_probes", "data": {"probes": 1}}\n')).toBe('bpftrace-json');
    expect(detectTraceFormat('Attaching 1 probe...\n@[\n  a+1\n]: 1\n')).toBe('bpftrace-text');
    expect(detectTraceFormat('# tracer: nop\n            wget-308     [000] d..1.   100.5: in_hook: (ip_vs_in_hook+0x4/0x7b0 [ip_vs]) hook=3\n')).toBe('kprobe-events');
    expect(detectTraceFormat('            wget-308     [000] d..1.   100.5: in_hook: (ip_vs_in_hook+0x4/0x7b0 [ip_vs]) hook=3\n')).toBe('kprobe-events');
    expect(detectTraceFormat('hello world\n')).toBeNull();
  });

  it('parseTrace dispatches on the detected format', () => {
    expect(parseTrace('{"type": "printf", "data": "x"}\n').source).toBe('bpftrace');
    expect(parseTrace(capture('5.10', 'icmp_out')).source).toBe('function_graph');
  });

  // bpftrace's call events (run --tracer bpftrace): its own lines may come before the header.
  const CALLS = [
    'Attaching 29 probes...',
    'WARNING: could not attach 1 probe',
    '/run/ipvs-harness/calls.bt:3:1-27: WARNING: ip_vs_leave is not traceable',
    `${BPFTRACE_CALLS_HEADER} 34993803364`,
    '',
    'M 36255923727 0 512 ipvs-harness step request begin',
    '> 36713411967 0 515 ip_vs_out_hook 1 2 socat',
    '< 36716775334 0 515 ip_vs_out_hook 1',
    '',
  ].join('\n');

  it('recognises bpftrace call events by the header among the first lines, after bpftrace\'s own lines', () => {
    expect(detectTraceFormat(CALLS)).toBe('bpftrace-calls');
    expect(detectTraceFormat(CALLS.slice(CALLS.indexOf(BPFTRACE_CALLS_HEADER)))).toBe('bpftrace-calls');
    expect(detectTraceFormat(CALLS.replace(/\n/g, '\r\n'))).toBe('bpftrace-calls');
    // Without the header the same lines are bpftrace text output (no call events read).
    expect(detectTraceFormat(CALLS.replace(BPFTRACE_CALLS_HEADER, 'started'))).toBe('bpftrace-text');
    // The header's words inside a function_graph marker are not the header.
    expect(detectTraceFormat(`# tracer: function_graph\n 0)  sh-1  |   |  /* ${BPFTRACE_CALLS_HEADER} 1 */\n`)).toBe('function_graph');
  });

  it('parseTrace reads bpftrace call events with their parser', () => {
    const t = parseTrace(CALLS);
    expect(t).toEqual(parseBpftraceCalls(CALLS));
    expect(t.roots.map((r) => [r.fn, r.hook, r.family, r.complete])).toEqual([['ip_vs_out_hook', 1, 4, true]]);
    expect(t.markers.map((m) => m.text)).toEqual(['ipvs-harness step request begin']);
    expect(t.diagnostics.map((d) => [d.line, d.severity, d.code])).toEqual([[2, 'warning', 'BPFTRACE_MESSAGE'], [3, 'warning', 'BPFTRACE_MESSAGE']]);
  });
});
