// kube-proxy's IPVS settings end to end: the seed scenarios tagged `kubernetes` (session affinity,
// graceful termination, an endpoint removed under open connections, NodePort, connection reuse,
// hairpin without masquerade) on
// the newest default kernel, through the CLI, in one run. Boots a real kernel in QEMU.
// (test/run.e2e.test.ts runs the rest of the seed suite on every default kernel; `npm start` runs
// these on all of them. One kernel keeps CI's time in bounds: they hold connections open and wait
// for timeouts, 20-30 s a cell under TCG.) The seeds test/e2e-seed-split.ts runs on the newest kernel
// only run here too.
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CellResult, JudgedStep, RunResults } from '../analysis/report/results.ts';
import { KUBERNETES_SEEDS, NEWEST_KERNEL_ONLY } from './e2e-seed-split.ts';

const root = join(import.meta.dirname, '..');
const kube = KUBERNETES_SEEDS;
const kernels = ['debian:latest'];

describe('kube-proxy settings on real kernels', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipvsh-kube-e2e-'));
  const out = join(dir, 'results');
  let result: Awaited<ReturnType<typeof execa>>;
  let results: RunResults;
  const cell = (kernel: string, scenario: string): CellResult => results.cells.find((c) => c.kernel === kernel && c.scenario === scenario)!;
  const step = (kernel: string, scenario: string, name: string) => cell(kernel, scenario).steps.find((s) => s.name === name)!;

  beforeAll(async () => {
    result = await execa('node', [
      // Guests as a bare run has them (per core and free memory); IPVSH_E2E_JOBS=1 for a shared machine.
      'bin/ipvs-harness.js', 'run', ...(process.env['IPVSH_E2E_JOBS'] ? ['--jobs', process.env['IPVSH_E2E_JOBS']] : []),
      ...kernels.flatMap((k) => ['-k', k]), ...[...kube, ...NEWEST_KERNEL_ONLY].flatMap((s) => ['-s', s]), '-o', out,
    ], { cwd: root, reject: false, timeout: 900_000, env: { CI: '1' } });
    results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResults;
  }, 960_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the six kube-proxy scenarios and passes them all', () => {
    expect(kube).toEqual(['conn-reuse', 'endpoint-removed', 'graceful-termination', 'hairpin-no-masquerade', 'nodeport', 'session-affinity']);
    expect(result.exitCode, String(result.stderr)).toBe(0);
  });

  it.each(kernels.flatMap((k) => [...kube, ...NEWEST_KERNEL_ONLY].map((s) => [k, s] as const)))('%s %s passed with every graph holding', (kernel, scenario) => {
    const c = cell(kernel, scenario);
    expect(c.status, JSON.stringify(c.failures ?? c.error)).toBe('passed');
    expect(c.graphs.length).toBeGreaterThan(0);
    expect(c.graphs.every((g) => g.holds)).toBe(true);
    expect(c.trace!.lostEvents).toBe(0);
  });

  it.each(kernels)('%s: session affinity: one real server for both connections, the template hit on the second', (kernel) => {
    expect(step(kernel, 'session-affinity', 'first').answeredBy).toEqual(step(kernel, 'session-affinity', 'second').answeredBy);
    const hit = cell(kernel, 'session-affinity').graphs.find((g) => g.step === 'second')!;
    const flat = (steps: JudgedStep[]): JudgedStep[] => steps.flatMap((s) => [s, ...flat(s.inside ?? [])]);
    const lookup = flat(hit.judged!.steps).find((s) => s.expected === 'ip_vs_ct_in_get')!;
    expect(lookup.status).toBe('matched');
    expect(lookup.call!.fn).toBe('ip_vs_ct_in_get');
    // Templates are listed with client port 0 among the IPVS connections at the end: rs2's, invalidated
    // when rs2 went to weight 0 (destination port 65535), and the new one to rs1.
    const entries = cell(kernel, 'session-affinity').counters!.ipvsStats!;
    expect(entries).toMatch(/TCP .*10\.244\.2\.2:0 +10\.96\.0\.10:(80|65535) +10\.244\.1\.3:65535/);
    expect(entries).toMatch(/TCP .*10\.244\.2\.2:0 +10\.96\.0\.10:80 +10\.244\.1\.2:80/);
  });

  it.each(kernels)('%s: graceful termination: the held connection stays on rs2, new ones go to rs1', (kernel) => {
    expect(step(kernel, 'graceful-termination', 'established').answeredBy).toEqual(['rs2', 'rs2', 'rs2']);
    expect(step(kernel, 'graceful-termination', 'new-2').answeredBy).toEqual(['rs1']);
  });

  it.each(kernels)('%s: endpoint removed: dropped with expire_nodest_conn=0, reset with 1', (kernel) => {
    expect(step(kernel, 'endpoint-removed', 'a-dropped').outcome).toBe('timeout');
    expect(step(kernel, 'endpoint-removed', 'b-reset').outcome).toBe('reset');
  });

  it('the report says which Kubernetes setting each scenario models', () => {
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('Kubernetes: Service sessionAffinity: ClientIP');
    expect(results.scenarios.find((s) => s.name === 'nodeport')!.kubernetes).toMatch(/^Service type: NodePort/);
  });
});
