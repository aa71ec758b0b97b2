// Chrome/Perfetto trace JSON from real traces: every slice nests inside its parent on its thread,
// durations are the traced ones, markers are instant events, tracks are named.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFunctionGraph } from '../analysis/function-graph-parser.ts';
import { walkCalls } from '../analysis/model.ts';
import { toChromeTrace, type ChromeTraceEvent } from '../analysis/report/perfetto.ts';
import { FIXTURE } from './report-fixtures.ts';

const text = (kernel: string, scenario: string) => readFileSync(join(FIXTURE('seed'), kernel, scenario, 'trace.txt'), 'utf8');

/** Per thread, slices sorted by start (longest first on ties) must form a stack: each inside the one below or after it. */
function checkNesting(events: readonly ChromeTraceEvent[]): { threads: number; maxDepth: number } {
  const byThread = new Map<string, ChromeTraceEvent[]>();
  for (const e of events.filter((x) => x.ph === 'X')) {
    const k = `${e.pid}/${e.tid}`;
    byThread.set(k, [...(byThread.get(k) ?? []), e]);
  }
  let maxDepth = 0;
  for (const [thread, list] of byThread) {
    const ns = list.map((e) => ({ e, s: Math.round(e.ts! * 1000), t: Math.round((e.ts! + e.dur!) * 1000) })).sort((a, b) => a.s - b.s || b.t - a.t);
    const stack: typeof ns = [];
    for (const x of ns) {
      expect(x.t, `${thread}: ${x.e.name} ends before it starts`).toBeGreaterThanOrEqual(x.s);
      while (stack.length > 0 && stack[stack.length - 1]!.t <= x.s) stack.pop();
      const top = stack[stack.length - 1];
      if (top !== undefined) expect(x.t, `${thread}: ${x.e.name} at ${x.e.ts} overlaps ${top.e.name} without nesting`).toBeLessThanOrEqual(top.t);
      stack.push(x);
      maxDepth = Math.max(maxDepth, stack.length);
    }
  }
  return { threads: byThread.size, maxDepth };
}

describe('Perfetto export', () => {
  it('nests every call inside its caller, per thread, on a real 6.1 trace', () => {
    const trace = parseFunctionGraph(text('debian-6.1', 'pod-to-vip'));
    const out = toChromeTrace([{ trace, label: 'debian:6.1 pod-to-vip', kernelRelease: '6.1.0-56-cloud-amd64', steps: [{ name: 'request', section: { from: 'ipvs-harness step request begin', to: 'ipvs-harness step request end' } }] }]);
    let calls = 0;
    walkCalls(trace.roots, () => calls++);
    const slices = out.traceEvents.filter((e) => e.ph === 'X' && e.cat !== 'step');
    expect(slices).toHaveLength(calls);
    const { threads, maxDepth } = checkNesting(out.traceEvents);
    expect(threads).toBeGreaterThanOrEqual(2);
    expect(maxDepth).toBeGreaterThanOrEqual(5); // hook > ip_vs_nat_xmit > nf_hook_slow > re-entered hook ...
    expect(out.metadata.synthetic_time).toBe(false);
  });

  it('keeps the traced durations and names the hook roles', () => {
    const trace = parseFunctionGraph(text('debian-6.1', 'pod-to-vip'));
    const out = toChromeTrace([{ trace, label: 'k', kernelRelease: '6.1.0-56-cloud-amd64' }]);
    const root = trace.roots.find((r) => r.fn === 'ip_vs_in_hook')!;
    const slice = out.traceEvents.find((e) => e.ph === 'X' && e.args?.['line'] === root.line)!;
    expect(slice.name).toBe('ip_vs_in_hook (remote_request)');
    expect(slice.ts).toBeCloseTo(root.startUs!, 3);
    expect(slice.dur).toBeCloseTo(root.durationUs!, 3);
    expect(slice.args).toMatchObject({ role: 'remote_request (LOCAL_IN) = ip_vs_in_hook, hook 1', module: 'ip_vs' });
  });

  it('writes markers as instant events and names processes and threads', () => {
    const trace = parseFunctionGraph(text('debian-5.10', 'host-to-vip'));
    const out = toChromeTrace([{ trace, label: 'debian:5.10 host-to-vip', steps: [{ name: 'request', section: { from: 'ipvs-harness step request begin', to: 'ipvs-harness step request end' } }] }]);
    const instants = out.traceEvents.filter((e) => e.ph === 'i');
    expect(instants.map((e) => e.name)).toEqual(expect.arrayContaining(['ipvs-harness step request begin', 'ipvs-harness step request end']));
    const meta = out.traceEvents.filter((e) => e.ph === 'M').map((e) => `${e.name}:${String(e.args?.['name'] ?? '')}`);
    expect(meta).toContain('process_name:debian:5.10 host-to-vip CPU 0');
    expect(meta.some((m) => /^thread_name:socat-\d+$/.test(m))).toBe(true);
    const step = out.traceEvents.find((e) => e.cat === 'step')!;
    expect(step.name).toBe('step request');
    expect(step.dur).toBeGreaterThan(0);
    checkNesting(out.traceEvents);
  });

  it('lays calls without time stamps out one after another (and says so)', () => {
    const noTimes = '# tracer: function_graph\n 0)   sh-1   |               |  ip_vs_in_hook [ip_vs]() {\n 0)   sh-1   |   2.000 us    |    ip_vs_conn_in_get [ip_vs]();\n 0)   sh-1   |   3.000 us    |    ip_vs_schedule [ip_vs]();\n 0)   sh-1   |   9.000 us    |  }\n';
    const out = toChromeTrace([{ trace: parseFunctionGraph(noTimes), label: 'x' }]);
    expect(out.metadata.synthetic_time).toBe(true);
    const x = out.traceEvents.filter((e) => e.ph === 'X');
    expect(x.map((e) => [e.name.split(' ')[0], e.ts, e.dur])).toEqual([['ip_vs_conn_in_get', 0, 2], ['ip_vs_schedule', 2, 3], ['ip_vs_in_hook', 0, 9]]);
    checkNesting(out.traceEvents);
  });
});

describe('Perfetto export: a track per flow', () => {
  it('puts each flow of a capture with the flow probes on its own track, its hook calls nested in time', () => {
    const trace = parseFunctionGraph(readFileSync(join(FIXTURE('flows'), 'debian-latest', 'pod-to-vip', 'trace.txt'), 'utf8'));
    const out = toChromeTrace([{ trace, label: 'debian:latest pod-to-vip', kernelRelease: '7.3.4+deb13-cloud-amd64' }]);
    const names = out.traceEvents.filter((e) => e.name === 'thread_name').map((e) => String(e.args?.['name']));
    expect(names.filter((n) => n.startsWith('flow '))).toEqual([expect.stringMatching(/^flow 1: 10\.244\.2\.2:\d+ -> 10\.96\.0\.10:80\/tcp: new connection scheduled to 10\.244\.1\.2:80 via ip_vs_nat_xmit/)]);
    const slices = out.traceEvents.filter((e) => e.cat === 'ipvs-flow');
    expect(slices.length).toBeGreaterThan(20);
    expect(slices.filter((e) => e.args?.['action'] === 'scheduled')).toHaveLength(1);
    checkNesting(slices);
  });
});
