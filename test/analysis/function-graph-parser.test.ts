// Hand-made edge cases, one per output form of kernel/trace/trace_functions_graph.c, each built from
// the real line shapes (column widths as the kernel prints them).
import { describe, expect, it } from 'vitest';
import { FunctionGraphParser, parseFunctionGraph } from '../../analysis/function-graph-parser.ts';
import type { CallNode, Trace } from '../../analysis/model.ts';

const text = (...lines: string[]) => `${lines.join('\n')}\n`;
const names = (nodes: readonly CallNode[]): unknown[] => nodes.map((n) => (n.children.length > 0 ? [n.fn, names(n.children)] : n.fn));
const shape = (t: Trace) => names(t.roots);

describe('function_graph parser: columns', () => {
  it('reads the header, CPU column, TASK/PID, durations and funcgraph-tail', () => {
    const t = parseFunctionGraph(
      text(
        '# tracer: function_graph',
        '#',
        '# CPU  TASK/PID         DURATION                  FUNCTION CALLS',
        '# |     |    |           |   |                     |   |   |   |',
        ' 0)    wget-308    |               |  ip_vs_out_hook [ip_vs]() {',
        ' 0)    wget-308    | + 36.425 us   |    ip_vs_proto_data_get [ip_vs]();',
        ' 0)    wget-308    | ! 558.312 us  |  } /* ip_vs_out_hook [ip_vs] */',
      ),
    );
    expect(t.diagnostics).toEqual([]);
    expect(t.roots).toHaveLength(1);
    const root = t.roots[0]!;
    expect(root).toMatchObject({ fn: 'ip_vs_out_hook', symbol: 'ip_vs_out_hook', module: 'ip_vs', cpu: 0, task: 'wget', pid: 308, durationUs: 558.312, complete: true, line: 5, endLine: 7, depth: 0 });
    expect(root.children[0]).toMatchObject({ fn: 'ip_vs_proto_data_get', durationUs: 36.425, depth: 1, line: 6 });
  });

  it('reads every duration mark (+ ! # * @ $) and the 7-digit forms', () => {
    const marks = ['    0.771 us', '+ 36.425 us', '! 132.510 us', '# 2130.662 us', '* 12345.67 us', '@ 123456.7 us', '$ 1234567 us'];
    const t = parseFunctionGraph(text(...marks.map((m, i) => ` 0)  sh-1  | ${m.padEnd(13)}|  f${i}();`)));
    expect(t.diagnostics).toEqual([]);
    expect(t.roots.map((r) => r.durationUs)).toEqual([0.771, 36.425, 132.51, 2130.662, 12345.67, 123456.7, 1234567]);
  });

  it('reads funcgraph-abstime as startUs, for entries and leaves', () => {
    const t = parseFunctionGraph(
      text(
        '#     TIME        CPU  TASK/PID         DURATION                  FUNCTION CALLS',
        '   77.859914 |   0)   socat-929    |               |  ip_vs_out_hook [ip_vs]() {',
        '   77.860097 |   0)   socat-929    | + 19.977 us   |    ip_vs_proto_data_get [ip_vs]();',
        '   77.860352 |   0)   socat-929    | ! 458.789 us  |  } /* ip_vs_out_hook [ip_vs] */',
      ),
    );
    expect(t.roots[0]).toMatchObject({ startUs: 77859914, task: 'socat', pid: 929, durationUs: 458.789 });
    expect(t.roots[0]!.children[0]!.startUs).toBe(77860097);
  });

  it('reads output without CPU and TASK/PID columns, and without durations', () => {
    const t = parseFunctionGraph(text('  foo() {', '    bar();', '  }', 'baz();'));
    expect(t.diagnostics).toEqual([]);
    expect(shape(t)).toEqual([['foo', ['bar']], 'baz']);
    expect(t.roots[0]).toMatchObject({ cpu: null, task: null, pid: null, durationUs: null });
  });

  it('reads the latency-format flags column (irq-info) and the kernel release of its header', () => {
    const t = parseFunctionGraph(
      text(
        '# function_graph latency trace v1.1.5 on 6.1.0-56-cloud-amd64',
        '#                       _-----=> irqs-off',
        '# CPU  TASK/PID       ||||   DURATION                  FUNCTION CALLS',
        ' 0)    wget-308    |  d..1. |               |  ip_vs_in_hook [ip_vs]() {',
        ' 0)    wget-308    |  d..1. |   0.771 us    |    ip_vs_proto_data_get [ip_vs]();',
        ' 0)    wget-308    |  d..1. | + 57.226 us   |  } /* ip_vs_in_hook [ip_vs] */',
        ' 1)   <idle>-0     |  dNs2  |   1.000 us    |  old_format_flags();',
      ),
    );
    expect(t.diagnostics).toEqual([]);
    expect(t.kernelRelease).toBe('6.1.0-56-cloud-amd64');
    expect(shape(t)).toEqual([['ip_vs_in_hook', ['ip_vs_proto_data_get']], 'old_format_flags']);
    expect(t.roots[1]).toMatchObject({ task: '<idle>', pid: 0, cpu: 1 });
  });

  it('keeps task names with dashes and spaces (comm is cut to 7 characters)', () => {
    const t = parseFunctionGraph(text(' 0)  kworke-1234   |   1.000 us    |  a();', ' 0)  ksoftir-11   |   1.000 us    |  b();', ' 0)  a b-c-77     |   1.000 us    |  c();'));
    expect(t.roots.map((r) => [r.task, r.pid])).toEqual([['kworke', 1234], ['ksoftir', 11], ['a b-c', 77]]);
  });
});

describe('function_graph parser: events in the graph', () => {
  it('keeps trace_marker comments as markers with their position', () => {
    const t = parseFunctionGraph(
      text(
        ' 0)     sh-303     |               |  /* === case host_vip start */',
        ' 0)    wget-308    |               |  ip_vs_out_hook [ip_vs]() {',
        ' 0)    wget-308    |               |    /* inside marker */',
        ' 0)    wget-308    |   1.000 us    |    ip_vs_proto_data_get [ip_vs]();',
        ' 0)    wget-308    |   5.000 us    |  } /* ip_vs_out_hook [ip_vs] */',
        ' 0)     sh-303     |               |  /* === case host_vip end */',
      ),
    );
    expect(t.markers.map((m) => [m.kind, m.text, m.line, m.task, m.pid, m.insideRoot, m.beforeRoot])).toEqual([
      ['marker', '=== case host_vip start', 1, 'sh', 303, null, 0],
      ['marker', 'inside marker', 3, 'wget', 308, 0, 1],
      ['marker', '=== case host_vip end', 6, 'sh', 303, null, 1],
    ]);
  });

  it('takes the hook number from a kprobe event printed right after the entry (inside the call)', () => {
    const t = parseFunctionGraph(
      text(
        '   77.859914 |   0)   socat-929    |               |  ip_vs_out_hook [ip_vs]() {',
        '   77.859947 |   0)   socat-929    |               |  /* out_hook: (ip_vs_out_hook+0x0/0x620 [ip_vs]) hook=1 */',
        '   77.860097 |   0)   socat-929    | + 19.977 us   |    ip_vs_proto_data_get [ip_vs]();',
        '   77.860352 |   0)   socat-929    | ! 458.789 us  |  } /* ip_vs_out_hook [ip_vs] */',
      ),
    );
    expect(t.roots[0]!.hook).toBe(1);
    expect(t.markers[0]).toMatchObject({ kind: 'kprobe', insideRoot: 0, probe: { event: 'out_hook', fn: 'ip_vs_out_hook', module: 'ip_vs', offset: '+0x0/0x620', args: { hook: '1' } } });
  });

  it('takes the hook number and family from a kprobe event printed before the entry, also for a leaf', () => {
    const t = parseFunctionGraph(
      text(
        ' 0)    wget-308    |               |  nf_hook_slow() {',
        ' 0)    wget-308    |               |    /* in_hook: (ip_vs_in_hook+0x4/0x3b0 [ip_vs]) hook=3 pf=2 */',
        ' 0)    wget-308    |   2.343 us    |    ip_vs_in_hook [ip_vs]();',
        ' 0)    wget-308    |               |    /* out_hook: (ip_vs_out_hook+0x4/0x3b0 [ip_vs]) hook=1 */',
        ' 0)    wget-308    |   1.000 us    |    unrelated();',
        ' 0)    wget-308    |   1.000 us    |    ip_vs_out_hook [ip_vs]();',
        ' 0)    wget-308    | + 19.789 us   |  } /* nf_hook_slow */',
      ),
    );
    const [inHook, unrelated, outHook] = t.roots[0]!.children;
    expect(inHook).toMatchObject({ fn: 'ip_vs_in_hook', hook: 3, family: 4 });
    expect(unrelated!.hook).toBeUndefined();
    expect(outHook!.hook).toBeUndefined(); // the event belonged to the next call, which was another function
  });

  it('keeps other events as markers of kind event', () => {
    const t = parseFunctionGraph(text(' 0)    wget-308    |               |  /* sched_switch: prev_comm=wget prev_pid=308 */'));
    expect(t.markers[0]!.kind).toBe('event');
  });

  it('marks calls entered after a funcgraph-irqs arrow', () => {
    const t = parseFunctionGraph(
      text(
        ' 0)    wget-308    |               |  ip_vs_in_hook [ip_vs]() {',
        ' 0)    wget-308    |  ==========> |',
        ' 0)    wget-308    |               |    __sysvec_apic_timer_interrupt() {',
        ' 0)    wget-308    |   1.000 us    |      hrtimer_interrupt();',
        ' 0)    wget-308    |   3.000 us    |    }',
        ' 0)    wget-308    |  <========== |',
        ' 0)    wget-308    |   1.000 us    |    ip_vs_proto_data_get [ip_vs]();',
        ' 0)    wget-308    | + 10.000 us   |  }',
      ),
    );
    expect(t.diagnostics).toEqual([]);
    const [irq, after] = t.roots[0]!.children;
    expect(irq).toMatchObject({ fn: '__sysvec_apic_timer_interrupt', irq: true });
    expect(after!.irq).toBeUndefined();
  });

  it('reads funcgraph-retval in the 6.5-6.12 form (= value) and the 6.13+ form (ret=value)', () => {
    const t = parseFunctionGraph(
      text(
        ' 0)    wget-308    |               |  ip_vs_in_hook [ip_vs]() {',
        ' 0)    wget-308    |   0.771 us    |    ip_vs_proto_data_get [ip_vs](); /* = 0xffff8881003c5000 */',
        ' 0)    wget-308    |   0.500 us    |    ip_vs_conn_in_get [ip_vs](); /* ret=0x0 */',
        ' 0)    wget-308    |   0.500 us    |    tcp_conn_schedule [ip_vs](); /* = -22 */',
        ' 0)    wget-308    | + 57.226 us   |  } /* ip_vs_in_hook [ip_vs] = 0x1 */',
        ' 0)    wget-308    |               |  ip_vs_out_hook [ip_vs]() {',
        ' 0)    wget-308    | + 57.226 us   |  } /* ip_vs_out_hook [ip_vs] ret=0x1 */',
      ),
    );
    expect(t.diagnostics).toEqual([]);
    expect(t.roots[0]!.retval).toBe('0x1');
    expect(t.roots[0]!.children.map((c) => c.retval)).toEqual(['0xffff8881003c5000', '0x0', '-22']);
    expect(t.roots[1]!.retval).toBe('0x1');
  });

  it('reads funcgraph-args and funcgraph-retaddr decorations', () => {
    const t = parseFunctionGraph(
      text(
        ' 0)    wget-308    |               |  ip_vs_in_hook(priv=0x0, skb=0xffff888003e2b700, state=0xffffc90000003c48) { /* <-nf_hook_slow+0x41/0xc0 */',
        ' 0)    wget-308    |   0.771 us    |    ip_vs_proto_data_get(ipvs=0xffff, proto=6); /* <-ip_vs_in_hook+0x5c/0x7b0 ret=0xffff8881 */',
        ' 0)    wget-308    | + 57.226 us   |  } /* ip_vs_in_hook ret=0x1 */',
      ),
    );
    expect(t.diagnostics).toEqual([]);
    expect(shape(t)).toEqual([['ip_vs_in_hook', ['ip_vs_proto_data_get']]]);
    expect(t.roots[0]!.children[0]!.retval).toBe('0xffff8881');
  });

  it('normalises compiler clone suffixes, stacked or not', () => {
    const t = parseFunctionGraph(text(' 0)  sh-1  |   1.000 us    |  ip_vs_route_me_harder.part.0 [ip_vs]();', ' 0)  sh-1  |   1.000 us    |  sctp_csum_check.constprop.0.isra.0 [ip_vs]();', ' 0)  sh-1  |   1.000 us    |  foo.cold();', ' 0)  sh-1  |   1.000 us    |  bar.llvm.123456();'));
    expect(t.roots.map((r) => [r.fn, r.symbol])).toEqual([
      ['ip_vs_route_me_harder', 'ip_vs_route_me_harder.part.0'],
      ['sctp_csum_check', 'sctp_csum_check.constprop.0.isra.0'],
      ['foo', 'foo.cold'],
      ['bar', 'bar.llvm.123456'],
    ]);
  });
});

describe('function_graph parser: damaged and interleaved output', () => {
  it('counts [LOST N EVENTS] lines, with and without a count', () => {
    const t = parseFunctionGraph(text('CPU:0 [LOST 123 EVENTS]', ' 0)  sh-1  |   1.000 us    |  a();', 'CPU:1 [LOST EVENTS]'));
    expect(t.lostEvents).toBe(123);
    expect(t.lost).toEqual([{ line: 1, cpu: 0, count: 123 }, { line: 3, cpu: 1, count: null }]);
    expect(t.diagnostics.map((d) => d.code)).toEqual(['LOST_EVENTS', 'LOST_EVENTS']);
  });

  it('reads task-switch separators (the switch line names the new task even without a TASK/PID column)', () => {
    const t = parseFunctionGraph(
      text(
        ' ------------------------------------------',
        ' 0)     sh-303     =>    wget-308   ',
        ' ------------------------------------------',
        '',
        ' 0) + 36.425 us   |  ip_vs_proto_data_get [ip_vs]();',
      ),
    );
    expect(t.diagnostics).toEqual([]);
    expect(t.roots[0]).toMatchObject({ task: 'wget', pid: 308, cpu: 0 });
  });

  it('synthesises an incomplete call around children whose entry was lost (wrapped ring buffer)', () => {
    const t = parseFunctionGraph(
      text(
        ' 0)    wget-308    |   0.852 us    |        ip_vs_conn_hashkey_param [ip_vs]();',
        ' 0)    wget-308    | + 26.730 us   |      } /* ip_vs_conn_in_get [ip_vs] */',
        ' 0)    wget-308    |   0.500 us    |      ip_vs_conn_fill_param_proto [ip_vs]();',
        ' 0)    wget-308    | + 57.226 us   |    } /* ip_vs_conn_in_get_proto [ip_vs] */',
        ' 0)    wget-308    | # 3587.339 us |  } /* ip_vs_in_hook [ip_vs] */',
        ' 0)    wget-308    |               |  ip_vs_out_hook [ip_vs]() {',
        ' 0)    wget-308    | + 13.270 us   |  } /* ip_vs_out_hook [ip_vs] */',
      ),
    );
    expect(shape(t)).toEqual([
      ['ip_vs_in_hook', [['ip_vs_conn_in_get_proto', [['ip_vs_conn_in_get', ['ip_vs_conn_hashkey_param']], 'ip_vs_conn_fill_param_proto']]]],
      'ip_vs_out_hook',
    ]);
    const root = t.roots[0]!;
    expect(root).toMatchObject({ complete: false, incomplete: 'no-entry', line: 1, endLine: 5, durationUs: 3587.339, depth: 0 });
    expect(root.children[0]).toMatchObject({ complete: false, incomplete: 'no-entry', line: 1, depth: 1 });
    expect(t.roots[1]!.complete).toBe(true);
    expect(t.diagnostics.filter((d) => d.code === 'ORPHAN_RETURN')).toHaveLength(3);
  });

  it('marks calls that never returned, at a shallower line and at the end of the capture', () => {
    const t = parseFunctionGraph(
      text(
        ' 0)    wget-308    |               |  ip_vs_in_hook [ip_vs]() {',
        ' 0)    wget-308    |               |    ip_vs_nat_xmit [ip_vs]() {',
        ' 0)    wget-308    |               |  ip_vs_out_hook [ip_vs]() {',
        ' 0)    wget-308    |   1.000 us    |    ip_vs_proto_data_get [ip_vs]();',
      ),
    );
    expect(shape(t)).toEqual([['ip_vs_in_hook', ['ip_vs_nat_xmit']], ['ip_vs_out_hook', ['ip_vs_proto_data_get']]]);
    expect(t.roots.map((r) => [r.complete, r.incomplete])).toEqual([[false, 'no-return'], [false, 'no-return']]);
    expect(t.roots[0]!.children[0]!.incomplete).toBe('no-return');
  });

  it('accepts a return whose funcgraph-tail the end of the capture cut short', () => {
    const t = parseFunctionGraph(' 0)    wget-308    |               |  ip_vs_local_reply4 [ip_vs]() {\n 0)    wget-308    | ! 552.844 us  |  } /* ip_vs_loc');
    expect(t.roots.map((r) => [r.fn, r.complete, r.durationUs])).toEqual([['ip_vs_local_reply4', true, 552.844]]);
  });

  it('closes a call whose return shows another name at the same depth as never returned', () => {
    const t = parseFunctionGraph(text(' 0)  sh-1  |               |  a() {', ' 0)  sh-1  |   1.000 us    |  } /* b */'));
    expect(t.roots.map((r) => [r.fn, r.incomplete])).toEqual([['a', 'no-return'], ['b', 'no-entry']]);
  });

  it('keeps one stack per task when CPUs interleave, and roots in file order of their first line', () => {
    const t = parseFunctionGraph(
      text(
        ' 0)    wget-308    |               |  ip_vs_out_hook [ip_vs]() {',
        ' 1)   httpd-311    |               |  ip_vs_in_hook [ip_vs]() {',
        ' 0)    wget-308    |   1.000 us    |    a();',
        ' 1)   httpd-311    |   1.000 us    |    b();',
        ' 1)   httpd-311    |   5.000 us    |  } /* ip_vs_in_hook [ip_vs] */',
        ' 0)    wget-308    |   5.000 us    |  } /* ip_vs_out_hook [ip_vs] */',
      ),
    );
    expect(shape(t)).toEqual([['ip_vs_out_hook', ['a']], ['ip_vs_in_hook', ['b']]]);
    expect(t.roots.map((r) => r.cpu)).toEqual([0, 1]);
  });

  it('follows a task that migrates to another CPU inside a call', () => {
    const t = parseFunctionGraph(text(' 0)    wget-308    |               |  a() {', ' 1)    wget-308    |   5.000 us    |  } /* a */'));
    expect(t.roots).toHaveLength(1);
    expect(t.roots[0]!.complete).toBe(true);
  });

  it('uses one stack per CPU for the idle task (pid 0 on every CPU)', () => {
    const t = parseFunctionGraph(
      text(' 0)    <idle>-0    |               |  a() {', ' 1)    <idle>-0    |               |  b() {', ' 0)    <idle>-0    |   1.000 us    |  } /* a */', ' 1)    <idle>-0    |   1.000 us    |  } /* b */'),
    );
    expect(t.roots.map((r) => [r.fn, r.complete])).toEqual([['a', true], ['b', true]]);
  });

  it('turns unreadable lines into diagnostics with line numbers and keeps going', () => {
    const t = parseFunctionGraph(text(' 0)  sh-1  |   1.000 us    |  a();', 'garbage here', ' 0)  sh-1  |   1.000 us    |  b();', ' 0)  sh-1  |   1.000 us    |  not a call'));
    expect(t.roots.map((r) => r.fn)).toEqual(['a', 'b']);
    expect(t.diagnostics.map((d) => [d.line, d.code])).toEqual([[2, 'UNPARSED_LINE'], [4, 'UNPARSED_LINE']]);
    expect(t.diagnostics[0]!.text).toBe('garbage here');
  });

  it('reports return-stack overruns', () => {
    const t = parseFunctionGraph(text(' 0)  sh-1  |   1.000 us    |  } /* a */', ' (Overruns: 3)'));
    expect(t.diagnostics.some((d) => d.code === 'OVERRUN' && d.message.includes('3'))).toBe(true);
  });
});

describe('function_graph parser: streaming', () => {
  const sample = text(
    '# tracer: function_graph',
    ' 0)    wget-308    |               |  ip_vs_out_hook [ip_vs]() {',
    ' 0)    wget-308    | + 36.425 us   |    ip_vs_proto_data_get [ip_vs]();',
    ' 0)    wget-308    | ! 558.312 us  |  } /* ip_vs_out_hook [ip_vs] */',
    ' 0)    wget-308    |   1.000 us    |  ip_vs_in_hook [ip_vs]();',
  );

  it('gives the same trees whatever the chunk boundaries', () => {
    const whole = parseFunctionGraph(sample);
    for (const size of [1, 2, 7, 64]) {
      const p = new FunctionGraphParser();
      for (let i = 0; i < sample.length; i += size) p.pushText(sample.slice(i, i + size));
      expect(p.finish()).toEqual(whole);
    }
    const byLine = new FunctionGraphParser();
    for (const l of sample.split('\n').slice(0, -1)) byLine.push(l);
    expect(byLine.finish()).toEqual(whole);
  });

  it('hands roots to onRoot as soon as they return and keeps none', () => {
    const seen: string[] = [];
    const p = new FunctionGraphParser({ onRoot: (r) => seen.push(r.fn) });
    p.pushText(sample.split('\n').slice(0, 4).join('\n') + '\n');
    expect(seen).toEqual(['ip_vs_out_hook']);
    p.pushText(sample.split('\n').slice(4).join('\n'));
    const t = p.finish();
    expect(seen).toEqual(['ip_vs_out_hook', 'ip_vs_in_hook']);
    expect(t.roots).toEqual([]);
  });

  it('accepts CRLF line ends', () => {
    expect(parseFunctionGraph(sample.replace(/\n/g, '\r\n'))).toMatchObject({ roots: parseFunctionGraph(sample).roots, diagnostics: [] });
  });
});
