// Flows end to end on the four default kernels: a run of pod-to-vip-ipv6 (plus a copy with a graph
// scoped to pod1's connection, `match: every`, which the kernel's neighbour discovery would break
// unscoped) through the CLI, then `flows` on the results folder. Boots real kernels in QEMU.
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../analysis/report/results.ts';
import { DEFAULT_KERNEL_SPECS } from '../vm/kernel-spec.ts';

const root = join(import.meta.dirname, '..');
const kernels = DEFAULT_KERNEL_SPECS;

describe('flows on real kernels', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipvsh-flows-e2e-'));
  const out = join(dir, 'results');
  const tmp = join(dir, 'tmp');
  let run: Awaited<ReturnType<typeof execa>>;
  let results: RunResults;

  beforeAll(async () => {
    const seed = readFileSync(join(root, 'scenarios/seed/pod-to-vip-ipv6.yaml'), 'utf8');
    const renamed = seed.replace('name: pod-to-vip-ipv6', 'name: flow-scoped-ipv6');
    const scoped = `${renamed.slice(0, renamed.indexOf('graphs:'))}graphs:
  - step: request
    role: remote_request6
    match: every
    flow: pod1 -> vip:80/tcp
    label: every LOCAL_IN request call of pod1's connection looks it up
    path: [ip_vs_conn_in_get]
`;
    writeFileSync(join(dir, 'flow-scoped-ipv6.yaml'), scoped);
    mkdirSync(tmp);
    run = await execa('node', ['bin/ipvs-harness.js', 'run', '-j', '1', '-s', 'pod-to-vip', '-s', join(dir, 'flow-scoped-ipv6.yaml'), '-o', out], {
      cwd: root, reject: false, timeout: 900_000, env: { CI: '1', TMPDIR: tmp },
    });
    results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResults;
  }, 1_000_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes everywhere, the flow-scoped graph included', () => {
    expect(run.exitCode, String(run.stderr)).toBe(0);
    for (const c of results.cells) {
      expect(c.status, `${c.kernel} ${c.scenario}: ${JSON.stringify(c.failures ?? c.error)}`).toBe('passed');
      expect(c.observations.filter((o) => o.startsWith('flows:'))).toEqual([]);
    }
    const scoped = results.cells.filter((c) => c.scenario === 'flow-scoped-ipv6').flatMap((c) => c.graphs);
    expect(scoped.map((g) => g.notes?.[0])).toEqual(kernels.map(() => 'flow pod1 -> vip:80/tcp: 1 flow(s) of the trace selected'));
  });

  it.each(kernels)('%s: pod1 -> VIP -> rs1, scheduled, the reply SNATed, the connection from ipvsadm -Lnc', async (kernel) => {
    const r = await execa('node', ['bin/ipvs-harness.js', 'flows', out, '--json'], { cwd: root });
    const captures = JSON.parse(String(r.stdout)) as Array<{ kernel: string; scenario: string; steps: Array<{ step: string | null; unattributed: number; flows: Array<Record<string, unknown>> }> }>;
    const cell = captures.find((c) => c.kernel === kernel && c.scenario === 'pod-to-vip')!;
    const request = cell.steps.find((s) => s.step === 'request')!;
    expect(request.unattributed).toBe(0);
    expect(request.flows).toHaveLength(1);
    expect(request.flows[0]).toMatchObject({
      service: '10.96.0.10:80', realServer: '10.244.1.2:80', decision: 'new connection scheduled', transmit: 'ip_vs_nat_xmit',
      replySnat: '10.244.1.2:80 -> 10.96.0.10:80', connection: { proto: 'TCP', virtual: '10.96.0.10:80', destination: '10.244.1.2:80' },
    });
    const v6 = captures.find((c) => c.kernel === kernel && c.scenario === 'flow-scoped-ipv6')!.steps.find((s) => s.step === 'request')!;
    expect(v6.flows.filter((f) => f['kernelOwn'] === null).map((f) => f['service'])).toEqual(['[fd00:96::10]:80']);
  });

  it('reads each kernel\'s BTF once into the cache (release + image sha)', () => {
    const cache = process.env['IPVS_HARNESS_CACHE'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(process.env['HOME']!, '.cache'), 'ipvs-harness');
    for (const k of results.kernels) expect(existsSync(join(cache, 'btf', `${k.release}-${k.imageSha256!.slice(0, 16)}.btf.gz`)), k.spec).toBe(true);
  });
});
