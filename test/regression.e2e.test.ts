// The regression workflow on real kernels: bisect-run's exit codes, and sharded runs merged equal
// the unsharded run. Boots real kernels in QEMU.
import { execa } from 'execa';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../analysis/report/results.ts';
import { defaultCacheDir } from '../vm/cache-dir.ts';
import { cachedDebianKernels } from '../vm/debian-kernels.ts';

const root = join(import.meta.dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'ipvsh-regression-e2e-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const cli = (args: string[]) => execa('node', ['bin/ipvs-harness.js', ...args], { cwd: root, reject: false, timeout: 900_000, env: { CI: '1' } });
const verdicts = (r: RunResults) => r.cells.map((c) => ({ kernel: c.kernel, scenario: c.scenario, status: c.status, graphs: c.graphs.map((g) => [g.name, g.holds]), steps: c.steps.map((s) => [s.name, s.status, s.outcome]) }));

describe('bisect-run exit codes', () => {
  it('125 for a file that is not a kernel (nothing boots)', async () => {
    const junk = join(scratch, 'not-a-kernel');
    writeFileSync(junk, Buffer.alloc(8192, 0x5a));
    const r = await cli(['bisect-run', '-k', `path:${junk}`, '-s', 'host-to-vip']);
    expect(r.exitCode).toBe(125);
    expect(r.stdout).toMatch(/bisect-run: skip \(exit 125\): the kernel cannot be tested: \[NOT_A_KERNEL\]/);
  });

  it('125 for a kernel without IP_VS (preflight refuses before booting)', async () => {
    const k = cachedDebianKernels(defaultCacheDir()).find((x) => x.series === '6.1')!;
    const config = join(scratch, 'config');
    writeFileSync(config, readFileSync(join(k.dir, 'boot', `config-${k.release}`), 'utf8').replace(/^CONFIG_IP_VS=m$/m, '# CONFIG_IP_VS is not set'));
    copyFileSync(join(k.dir, 'boot', `vmlinuz-${k.release}`), join(scratch, 'bzImage'));
    const r = await cli(['bisect-run', '-k', `path:${join(scratch, 'bzImage')}`, '--config', config, '-s', 'host-to-vip']);
    expect(r.exitCode).toBe(125);
    expect(r.stdout).toMatch(/\[PREFLIGHT_MISSING_OPTIONS\].*IP_VS/);
  });

  it('0 when the scenario passes, 1 when it fails', async () => {
    const wrong = readFileSync(join(root, 'scenarios/seed/host-to-vip.yaml'), 'utf8')
      .replace('name: host-to-vip', 'name: host-to-vip-wrong')
      .replace('forbid: [ip_vs_leave]', 'forbid: [ip_vs_conn_new]');
    writeFileSync(join(scratch, 'wrong.yaml'), wrong);
    const good = await cli(['bisect-run', '-k', 'debian:6.1', '-s', 'host-to-vip']);
    expect(good.exitCode, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/bisect-run: good \(exit 0\): host-to-vip passed on 6\.1\./);
    const bad = await cli(['bisect-run', '-k', 'debian:6.1', '-s', join(scratch, 'wrong.yaml')]);
    expect(bad.exitCode, bad.stderr).toBe(1);
    expect(bad.stdout).toMatch(/bisect-run: bad \(exit 1\): host-to-vip-wrong failed: graph /);
  });

  it('128 (stop bisecting) for an unknown scenario', async () => {
    const r = await cli(['bisect-run', '-k', 'debian:6.1', '-s', 'no-such-scenario']);
    expect(r.exitCode).toBe(128);
    expect(r.stderr).toMatch(/unknown scenario "no-such-scenario"; known: /);
  });
});

describe('sharding', () => {
  it('two shards merged equal the unsharded run', async () => {
    const common = ['-k', 'debian:6.1', '-s', 'host-to-vip', '-s', 'no-destination', '-s', 'pod-to-vip-udp', '--jobs', '1'];
    const [whole, s1, s2] = ['whole', 'shard-1', 'shard-2'].map((d) => join(scratch, d));
    expect((await cli(['run', ...common, '-o', whole!])).exitCode).toBe(0);
    expect((await cli(['run', ...common, '--shard', '1/2', '--durations', whole!, '-o', s1!])).exitCode).toBe(0);
    expect((await cli(['run', ...common, '--shard', '2/2', '--durations', whole!, '-o', s2!])).exitCode).toBe(0);
    const one = JSON.parse(readFileSync(join(s1!, 'results.json'), 'utf8')) as RunResults;
    const two = JSON.parse(readFileSync(join(s2!, 'results.json'), 'utf8')) as RunResults;
    expect(one.cells.length + two.cells.length).toBe(3);
    expect(one.cells.length * two.cells.length).toBeGreaterThan(0);
    const merged = join(scratch, 'merged');
    const m = await cli(['merge', s1!, s2!, '--out', merged]);
    expect(m.exitCode, m.stderr).toBe(0);
    const a = JSON.parse(readFileSync(join(whole!, 'results.json'), 'utf8')) as RunResults;
    const b = JSON.parse(readFileSync(join(merged, 'results.json'), 'utf8')) as RunResults;
    expect(verdicts(b)).toEqual(verdicts(a));
    expect(b.summary).toEqual(a.summary);
  });
});
