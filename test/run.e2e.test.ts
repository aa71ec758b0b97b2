// The main job end to end: the seed suite (plus one scenario whose expectation is wrong) on the
// default kernels (a bare `run`: debian:5.10, oldstable, stable, latest), through the CLI, in one run.
// Boots real kernels in QEMU.
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { RunResults } from '../analysis/report/results.ts';
import { DEFAULT_KERNEL_SPECS } from '../vm/kernel-spec.ts';

const root = join(import.meta.dirname, '..');
// Every seed scenario, read from the folder (a scenario added there is run here too), but those tagged
// `kubernetes`: kube-proxy's settings hold connections open and wait for timeouts (20-30 s a cell under
// TCG), so test/kube.e2e.test.ts runs them on the oldest and newest default kernels only.
const seed = readdirSync(join(root, 'scenarios', 'seed')).filter((f) => f.endsWith('.yaml'))
  .filter((f) => !((parseYaml(readFileSync(join(root, 'scenarios', 'seed', f), 'utf8')) as { tags?: string[] }).tags ?? []).includes('kubernetes'))
  .map((f) => f.slice(0, -'.yaml'.length)).sort();
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
    mkdirSync(tmp);
    result = await execa('node', [
      'bin/ipvs-harness.js', 'run', ...seed.flatMap((s) => ['-s', s]),
      '-s', join(dir, 'wrong-expectation.yaml'), '-o', out,
    ], { cwd: root, reject: false, timeout: 1_200_000, env: { CI: '1', TMPDIR: tmp } });
    results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResults;
  }, 1_300_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 1 because one scenario failed, and prints progress and a summary', () => {
    expect(result.exitCode, `${result.stderr}`).toBe(1);
    expect(result.stderr).toMatch(/debian:latest: booting/);
    const cells = (seed.length + 1) * kernels.length;
    expect(result.stderr).toContain(`${cells} cell(s): ${cells - kernels.length} passed, ${kernels.length} failed, 0 error, 0 skipped`);
  });

  it.each(kernels.flatMap((k) => seed.map((s) => [k, s] as const)))('%s %s passed with every graph holding', (kernel, scenario) => {
    const cell = results.cells.find((c) => c.kernel === kernel && c.scenario === scenario)!;
    expect(cell.status, JSON.stringify(cell.failures ?? cell.error)).toBe('passed');
    expect(cell.graphs.length).toBeGreaterThan(0);
    expect(cell.graphs.every((g) => g.holds)).toBe(true);
    expect(cell.trace!.lostEvents).toBe(0);
    for (const rel of [cell.artifacts.trace!, cell.artifacts.commands!, cell.artifacts.console!]) expect(existsSync(join(out, rel))).toBe(true);
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
