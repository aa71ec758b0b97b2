// Baselines on a real run: recorded on 5.10, checked on 6.1 and 6.12 (renames and inlining only),
// and a baseline that does not fit (another scenario's graphs) fails with the diff.
import { cpSync, mkdtempSync, readFileSync, rmSync, copyFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../../analysis/report/results.ts';
import { compareWithBaseline, updateBaseline } from './baseline.ts';

const fixture = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'results', 'seed');
const work = mkdtempSync(join(tmpdir(), 'ipvsh-baseline-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const fresh = () => JSON.parse(readFileSync(join(fixture, 'results.json'), 'utf8')) as RunResults;

describe('baselines', () => {
  const dir = join(work, 'baseline');
  const run = join(work, 'run');
  cpSync(fixture, run, { recursive: true });

  it('records one summary per passing traced cell', () => {
    const files = updateBaseline(dir, fresh(), run);
    expect(files).toHaveLength(21);
    expect(existsSync(join(dir, 'debian-5.10', 'pod-to-vip.json'))).toBe(true);
    const stored = JSON.parse(readFileSync(join(dir, 'debian-6.1', 'pod-to-vip.json'), 'utf8'));
    expect(stored.format).toBe('ipvs-harness/callgraph-summary');
    expect(stored.entries.every((e: { kernel: string }) => e.kernel === 'debian:6.1')).toBe(true);
  });

  it("a cell judged on bpftrace's trace alone has its own baseline file; it is never compared with ftrace's", () => {
    const results = fresh();
    const cell = results.cells.find((c) => c.kernel === 'debian:6.1' && c.scenario === 'pod-to-vip')!;
    cell.tracer = 'bpftrace';
    const bpfDir = join(work, 'baseline-bpftrace');
    cpSync(dir, bpfDir, { recursive: true });
    compareWithBaseline({ dir: bpfDir }, results, run);
    expect(cell.status).toBe('failed');
    expect(cell.graphs.find((g) => g.role === 'baseline')?.diff).toContain('pod-to-vip.bpftrace.json: no baseline recorded for debian:6.1 x pod-to-vip; record one with `ipvs-harness run -k debian:6.1 -s pod-to-vip --tracer bpftrace --update-baseline');
    const again = fresh();
    again.cells.find((c) => c.kernel === 'debian:6.1' && c.scenario === 'pod-to-vip')!.tracer = 'bpftrace';
    expect(updateBaseline(bpfDir, again, run)).toContain(join(bpfDir, 'debian-6.1', 'pod-to-vip.bpftrace.json'));
  });

  it('each kernel holds against its own baseline', () => {
    const results = fresh();
    compareWithBaseline({ dir }, results, run);
    const base = results.cells.map((c) => c.graphs.find((g) => g.role === 'baseline'));
    expect(base.every((g) => g?.holds === true)).toBe(true);
    expect(results.cells.every((c) => c.status === 'passed')).toBe(true);
  });

  it('a 5.10 baseline holds on 6.1 and 6.12: only the known renames and inlining differ', () => {
    const results = fresh();
    compareWithBaseline({ dir, kernel: 'debian:5.10' }, results, run);
    const failing = results.cells.filter((c) => c.status !== 'passed').map((c) => `${c.kernel} ${c.scenario}\n${c.graphs.find((g) => g.role === 'baseline')?.diff}`);
    expect(failing).toEqual([]);
    const pod = results.cells.find((c) => c.kernel === 'debian:6.1' && c.scenario === 'pod-to-vip')!;
    expect(pod.graphs.find((g) => g.role === 'baseline')!.notes![0]).toMatch(/call-graph diff: baseline debian:5\.10 \(5\.10\.\S+, wrappers generation\) -> debian:6\.1 \(6\.1\.\S+, hooks generation\)/);
  });

  it('what differs between the 5.10 baseline and 6.1 is exactly the renames, inlining and clones', async () => {
    const { loadReport } = await import('../report/load-run.ts');
    const { diffCallGraphs } = await import('../../analysis/report/callgraph-diff.ts');
    const entries = loadReport(run).report.callGraphs.entries;
    const side = (k: string) => ({ label: k, kernel: k, release: null, generation: 'x' });
    const d = diffCallGraphs({ side: side('debian:5.10'), entries: entries.filter((e) => e.kernel === 'debian:5.10') }, { side: side('debian:6.1'), entries: entries.filter((e) => e.kernel === 'debian:6.1') }, ['pod-to-vip', 'host-to-vip', 'local-real-server']);
    const kinds = new Set(d.scenarios.flatMap((s) => s.roles.flatMap((r) => r.changes.map((c) => `${c.kind}/${c.relevance}`))));
    expect([...kinds].sort()).toEqual(['clone/cosmetic', 'inlining/cosmetic', 'renamed/cosmetic']);
    const messages = d.scenarios.flatMap((s) => s.roles.flatMap((r) => r.changes.map((c) => c.message)));
    expect(messages).toContain('hook function ip_vs_local_request4 on debian:5.10 is ip_vs_in_hook on debian:6.1 (same role)');
  });

  it('fails a cell whose call graphs changed, with the diff', () => {
    const wrongDir = join(work, 'wrong');
    cpSync(dir, wrongDir, { recursive: true });
    // Pretend the known-good pod-to-vip behaved like no-destination (ip_vs_leave instead of a connection).
    copyFileSync(join(dir, 'debian-6.1', 'no-destination.json'), join(wrongDir, 'debian-6.1', 'pod-to-vip.json'));
    const results = fresh();
    compareWithBaseline({ dir: wrongDir }, results, run);
    const cell = results.cells.find((c) => c.kernel === 'debian:6.1' && c.scenario === 'pod-to-vip')!;
    expect(cell.status).toBe('failed');
    expect(cell.failures.join('\n')).toMatch(/baseline: the call graph changed against debian:6\.1/);
    expect(cell.graphs.find((g) => g.role === 'baseline')!.diff).toMatch(/ip_vs_leave|ip_vs_conn_new|ip_vs_nat_xmit/);
  });

  it('fails with the fix when no baseline was recorded', () => {
    const results = fresh();
    compareWithBaseline({ dir: join(work, 'empty') }, results, run);
    expect(results.cells[0]!.failures[0]).toMatch(/baseline: none recorded for debian:5\.10 x established-flow/);
    expect(results.cells[0]!.graphs.at(-1)!.diff).toMatch(/--update-baseline/);
  });
});
