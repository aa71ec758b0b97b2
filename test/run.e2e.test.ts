// The main job end to end: the seed suite (plus one scenario whose expectation is wrong, and a copy
// of pod-to-vip-ipv6 with a graph scoped to one flow) on the default kernels (a bare `run`:
// debian:5.10, oldstable, stable, latest), through the CLI, in one run; then `flows` on the results.
// Boots real kernels in QEMU.
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../analysis/report/results.ts';
import { DEFAULT_KERNEL_SPECS } from '../vm/kernel-spec.ts';
import { EVERY_KERNEL_SEEDS } from './e2e-seed-split.ts';

const root = join(import.meta.dirname, '..');
// Every seed scenario, read from the folder (a scenario added there is run here too), but those
// test/kube.e2e.test.ts runs on the newest default kernel only (test/e2e-seed-split.ts says which and why).
const seed = EVERY_KERNEL_SEEDS;
// No -k: the default matrix is what a bare `run` (and `npm start`) uses.
const kernels = DEFAULT_KERNEL_SPECS;

describe('ipvs-harness run (seed suite on real kernels)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipvsh-run-e2e-'));
  const out = join(dir, 'results');
  // The harness's temp folders (QEMU sockets, console logs, keys) go here, so leftovers are visible.
  const tmp = join(dir, 'tmp');
  let result: Awaited<ReturnType<typeof execa>>;
  let results: RunResults;

  beforeAll(async () => {
    // A copy of host-to-vip that expects the wrong real server and a graph that cannot hold.
    const wrong = readFileSync(join(root, 'scenarios/seed/host-to-vip.yaml'), 'utf8')
      .replace('name: host-to-vip', 'name: wrong-expectation')
      .replace('expect: { outcome: ok, answeredBy: rs1 }', 'expect: { outcome: refused }')
      .replace('forbid: [ip_vs_leave]', 'forbid: [ip_vs_schedule]');
    writeFileSync(join(dir, 'wrong-expectation.yaml'), wrong);
    // pod-to-vip-ipv6 with a graph scoped to pod1's connection, `match: every`, which the kernel's
    // neighbour discovery would break unscoped.
    const v6 = readFileSync(join(root, 'scenarios/seed/pod-to-vip-ipv6.yaml'), 'utf8').replace('name: pod-to-vip-ipv6', 'name: flow-scoped-ipv6');
    writeFileSync(join(dir, 'flow-scoped-ipv6.yaml'), `${v6.slice(0, v6.indexOf('graphs:'))}graphs:
  - step: request
    role: remote_request6
    match: every
    flow: pod1 -> vip:80/tcp
    label: every LOCAL_IN request call of pod1's connection looks it up
    path: [ip_vs_conn_in_get]
`);
    mkdirSync(tmp);
    result = await execa('node', [
      'bin/ipvs-harness.js', 'run', ...seed.flatMap((s) => ['-s', s]),
      '-s', join(dir, 'wrong-expectation.yaml'), '-s', join(dir, 'flow-scoped-ipv6.yaml'), '-o', out,
    ], { cwd: root, reject: false, timeout: 1_200_000, env: { CI: '1', TMPDIR: tmp } });
    results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResults;
  }, 1_300_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 1 because one scenario failed, and prints progress and a summary', () => {
    expect(result.exitCode, `${result.stderr}`).toBe(1);
    expect(result.stderr).toMatch(/debian:latest: booting/);
    const cells = (seed.length + 2) * kernels.length;
    expect(result.stderr).toContain(`${cells} cell(s): ${cells - kernels.length} passed, ${kernels.length} failed, 0 error, 0 skipped`);
  });

  it.each(kernels.flatMap((k) => [...seed, 'flow-scoped-ipv6'].map((s) => [k, s] as const)))('%s %s passed with every graph holding', (kernel, scenario) => {
    const cell = results.cells.find((c) => c.kernel === kernel && c.scenario === scenario)!;
    expect(cell.status, JSON.stringify(cell.failures ?? cell.error)).toBe('passed');
    expect(cell.graphs.length).toBeGreaterThan(0);
    expect(cell.graphs.every((g) => g.holds)).toBe(true);
    expect(cell.trace!.lostEvents).toBe(0);
    for (const rel of [cell.artifacts.trace!, cell.artifacts.commands!, cell.artifacts.console!]) expect(existsSync(join(out, rel))).toBe(true);
    expect(cell.observations.filter((o) => o.startsWith('flows:'))).toEqual([]);
  });

  it('judges the flow-scoped graph on pod1\'s connection alone, on every kernel', () => {
    const scoped = results.cells.filter((c) => c.scenario === 'flow-scoped-ipv6').flatMap((c) => c.graphs);
    expect(scoped.map((g) => g.notes?.[0])).toEqual(kernels.map(() => 'flow pod1 -> vip:80/tcp: 1 flow(s) of the trace selected'));
  });

  it('flows: pod1 -> VIP -> rs1, scheduled, the reply SNATed, the connection from ipvsadm -Lnc, on every kernel', async () => {
    const r = await execa('node', ['bin/ipvs-harness.js', 'flows', out, '--json'], { cwd: root });
    const captures = JSON.parse(String(r.stdout)) as Array<{ kernel: string; scenario: string; steps: Array<{ step: string | null; unattributed: number; flows: Array<Record<string, unknown>> }> }>;
    for (const kernel of kernels) {
      const request = captures.find((c) => c.kernel === kernel && c.scenario === 'pod-to-vip')!.steps.find((s) => s.step === 'request')!;
      expect(request.unattributed, kernel).toBe(0);
      expect(request.flows, kernel).toHaveLength(1);
      expect(request.flows[0], kernel).toMatchObject({
        service: '10.96.0.10:80', realServer: '10.244.1.2:80', decision: 'new connection scheduled', transmit: 'ip_vs_nat_xmit',
        replySnat: '10.244.1.2:80 -> 10.96.0.10:80', connection: { proto: 'TCP', virtual: '10.96.0.10:80', destination: '10.244.1.2:80' },
      });
      const v6 = captures.find((c) => c.kernel === kernel && c.scenario === 'flow-scoped-ipv6')!.steps.find((s) => s.step === 'request')!;
      expect(v6.flows.filter((f) => f['kernelOwn'] === null).map((f) => f['service']), kernel).toEqual(['[fd00:96::10]:80']);
    }
  });

  it('reads each kernel\'s BTF once into the cache (release + image sha)', () => {
    const cache = process.env['IPVS_HARNESS_CACHE'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(process.env['HOME']!, '.cache'), 'ipvs-harness');
    for (const k of results.kernels) expect(existsSync(join(cache, 'btf', `${k.release}-${k.imageSha256!.slice(0, 16)}.btf.gz`)), k.spec).toBe(true);
  });

  it.each(kernels)('%s: the wrong expectation fails with the step check and the graph diff', (kernel) => {
    const cell = results.cells.find((c) => c.kernel === kernel && c.scenario === 'wrong-expectation')!;
    expect(cell.status).toBe('failed');
    expect(cell.failures).toContain('step request: outcome: expected refused, got ok (1 reply)');
    const graph = cell.graphs.find((g) => !g.holds)!;
    expect(graph.role).toBe('local_request');
    expect(graph.diff).toMatch(/ip_vs_schedule/);
  });

  it('records the kernels it booted, once each (one guest serves all scenarios of a kernel)', () => {
    expect(results.kernels.map((k) => k.spec)).toEqual(kernels);
    for (const k of results.kernels) {
      expect(k.release).toMatch(/cloud-amd64$/);
      expect(k.bootMs).toHaveLength(1);
      // Pinned: the exact packages and the image's hash.
      expect(k.imageSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(k.packages![0]!.name).toBe(`linux-image-${k.release}`);
    }
    const [k510, oldstable, stable, latest] = results.kernels.map((k) => k.release!);
    expect(k510).toMatch(/^5\.10\./);
    expect(oldstable).toMatch(/^6\.1\./);
    expect(stable).toMatch(/^6\.12\.\d+\+deb13-/);
    expect(latest).not.toBe(stable);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain(results.kernels[3]!.imageSha256!);
    // No -k: results and report say which kernels a bare run uses, and why.
    expect(results.defaultKernels).toMatch(/debian:latest +the newest kernel Debian serves/);
    expect(html).toContain('the default kernels (no -k given): why these');
  });

  it('states what the nested LOCAL_OUT hooks did for a pod (pod-to-vip)', () => {
    for (const kernel of kernels) {
      const cell = results.cells.find((c) => c.kernel === kernel && c.scenario === 'pod-to-vip')!;
      expect(cell.observations.join('\n')).toMatch(/local_request \(ip_vs_\w+, hook 3 LOCAL_OUT\) nested in .*ip_vs_nat_xmit.*: returned at once/);
    }
  });

  it('drains each traffic step before its end marker, and names what did not drain (issue 19)', () => {
    for (const kernel of kernels) {
      const steps = results.cells.find((c) => c.kernel === kernel && c.scenario === 'icmp-from-ip_vs_out')!.steps;
      // The real server's late data is answered with ICMP errors while nat_icmp_send is on: it retransmits.
      expect(steps.find((x) => x.name === 'tcp-late-on')!.inFlight, kernel).toEqual([expect.stringMatching(/^rs2: 10\.244\.1\.3:81 -> 10\.244\.2\.2:\d+ ESTABLISHED, retransmitting, \d+ byte\(s\) unacknowledged$/)]);
      // A plain request and its answer drain before the marker.
      for (const scenario of ['pod-to-vip', 'host-to-vip', 'pod-to-vip-ipv6']) {
        const cell = results.cells.find((c) => c.kernel === kernel && c.scenario === scenario)!;
        expect(cell.steps.map((x) => x.inFlight ?? []).flat(), `${kernel} ${scenario}`).toEqual([]);
      }
    }
  });

  it('leaves no QEMU process and no temp folder behind', async () => {
    const ps = await execa('ps', ['-eo', 'args'], { reject: false });
    expect(ps.stdout.split('\n').filter((l) => l.startsWith('qemu-system') && l.includes(tmp))).toEqual([]);
    // tsx keeps its compile cache in TMPDIR too (tsx-<uid>); only the harness's folders matter here.
    expect(readdirSync(tmp).filter((f) => f.startsWith('ipvs-harness'))).toEqual([]);
  });
});
