// The seed scenarios' expected graphs, judged on traces the harness captured from real kernels.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResults } from '../../analysis/report/results.ts';
import { loadScenarioFile, SEED_DIR } from '../scenario-loader.ts';
import { judgeTrace } from './judge-trace.ts';

const fixture = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'results', 'seed');
const results = JSON.parse(readFileSync(join(fixture, 'results.json'), 'utf8')) as RunResults;
const scenario = (name: string) => loadScenarioFile(join(SEED_DIR, `${name}.yaml`)).scenario;
const traceOf = (kernel: string, name: string) => {
  const cell = results.cells.find((c) => c.kernel === kernel && c.scenario === name)!;
  return { text: readFileSync(join(fixture, cell.artifacts.trace!), 'utf8'), release: cell.kernelRelease! };
};

describe('judgeTrace on the harness\'s own captures from Debian 6.18 and 7.3 (split package)', () => {
  const dir = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'results', 'new-kernels');
  const fresh = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResults;
  it.each(fresh.cells.map((c) => [c.kernel, c.scenario] as const))('%s %s: every expected graph holds', (kernel, name) => {
    const cell = fresh.cells.find((c) => c.kernel === kernel && c.scenario === name)!;
    const judged = judgeTrace(readFileSync(join(dir, cell.artifacts.trace!), 'utf8'), scenario(name), cell.kernelRelease!);
    expect(judged.graphs.length).toBeGreaterThan(0);
    expect(judged.graphs.filter((g) => !g.holds).map((g) => `${g.name}\n${g.diff}`)).toEqual([]);
    expect(judged.summary.diagnostics).toBe(0);
    expect(judged.summary.hooksWithNumber).toBeGreaterThan(0);
  });
});

describe('judgeTrace on real captures', () => {
  const cells = results.cells.map((c) => [c.kernel, c.scenario] as const);

  it.each(cells)('%s %s: every expected graph holds', (kernel, name) => {
    const { text, release } = traceOf(kernel, name);
    const judged = judgeTrace(text, scenario(name), release);
    expect(judged.graphs.length).toBeGreaterThan(0);
    expect(judged.graphs.filter((g) => !g.holds).map((g) => `${g.name}\n${g.diff}`)).toEqual([]);
    expect(judged.summary.roots).toBeGreaterThan(0);
    expect(judged.summary.diagnostics).toBe(0);
  });

  it.each(['debian:6.1', 'debian:6.12'])('%s: kprobe events give every top-level hook call its hook number', (kernel) => {
    const { text, release } = traceOf(kernel, 'pod-to-vip');
    const judged = judgeTrace(text, scenario('pod-to-vip'), release);
    expect(judged.summary.hooksWithNumber).toBeGreaterThan(10);
  });

  it.each(['debian:5.10', 'debian:6.1', 'debian:6.12'])('%s: pod-to-vip observations state the order, the nesting and the work of the hooks', (kernel) => {
    const { text, release } = traceOf(kernel, 'pod-to-vip');
    const [first] = judgeTrace(text, scenario('pod-to-vip'), release).observations;
    expect(first).toMatch(/^step request: first packet: /);
    expect(first).toMatch(/remote_request \(ip_vs_(remote_request4|in_hook), hook 1 LOCAL_IN\): \d+ calls inside/);
    expect(first).toMatch(/local_request \(ip_vs_(local_request4|in_hook), hook 3 LOCAL_OUT\) nested in ip_vs_(remote_request4 > ip_vs_in|in_hook) > ip_vs_nat_xmit > nf_hook_slow: returned at once, no calls inside/);
    expect(first!.indexOf('remote_request (')).toBeLessThan(first!.indexOf('local_request ('));
  });

  it.each(['debian:5.10', 'debian:6.1', 'debian:6.12'])('%s: the graphs of one case fail with a readable diff on the trace of another', (kernel) => {
    // pod-to-vip's trace has no LOCAL_OUT request that schedules: host-to-vip's graph must not hold there.
    const { text, release } = traceOf(kernel, 'pod-to-vip');
    const judged = judgeTrace(text, scenario('host-to-vip'), release);
    const local = judged.graphs.find((g) => g.role === 'local_request')!;
    expect(local.holds).toBe(false);
    expect(local.diff).toMatch(/DOES NOT HOLD/);
    expect(local.diff).toMatch(/MISSING|INSIDE|no root/);
  });

  it.each(['debian:5.10', 'debian:6.1', 'debian:6.12'])('%s: the pod order check fails on the node\'s trace (local_request comes first there)', (kernel) => {
    const { text, release } = traceOf(kernel, 'host-to-vip');
    const order = judgeTrace(text, scenario('pod-to-vip'), release).graphs.find((g) => g.role === 'remote_request -> local_request')!;
    expect(order.holds).toBe(false);
    expect(order.diff).toMatch(/local_request ran first at line \d+, before remote_request/);
  });

  it('nat_icmp_send=0 traces fail the ICMP graph', () => {
    const { text, release } = traceOf('debian:6.1', 'icmp-from-ip_vs_out');
    const s = scenario('icmp-from-ip_vs_out');
    const swapped = { ...s, graphs: s.graphs.map((g) => (g.step === 'udp-on' ? { ...g, step: 'udp-off' } : g)) };
    const judged = judgeTrace(text, swapped, release);
    const g = judged.graphs.find((x) => x.step === 'udp-off' && x.name.includes('ICMP port unreachable'))!;
    expect(g.holds).toBe(false);
    expect(g.diff).toMatch(/icmp_send/);
  });

  it('a capture known to be cut short (a tracer killed at its deadline) makes the failing graphs incomplete, the holding ones stay', () => {
    const { text, release } = traceOf('debian:6.1', 'icmp-from-ip_vs_out');
    const s = scenario('icmp-from-ip_vs_out');
    const swapped = { ...s, graphs: s.graphs.map((g) => (g.step === 'udp-on' ? { ...g, step: 'udp-off' } : g)) };
    const judged = judgeTrace(text, swapped, release, { cutShort: 'bpftrace was killed' });
    const failing = judged.graphs.filter((g) => !g.holds);
    expect(failing.length).toBeGreaterThan(0);
    for (const g of failing) expect(g.incomplete).toBe('bpftrace was killed');
    for (const g of judged.graphs.filter((x) => x.holds)) expect(g.incomplete).toBeUndefined();
  });
});
