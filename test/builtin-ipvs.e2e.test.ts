// IPVS built into the kernel (CONFIG_IP_VS=y) end to end, on the real user build beside the project
// (../shared/fixtures/kernels/6.1-ipvs-builtin), which CI keeps read-only: a subset of the seed suite
// through the CLI on one guest (so the reset and clean-check between scenarios must work without
// unloading ip_vs), then the clean-check and reset on their own on a dirty guest. ~2 minutes under TCG.
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../analysis/report/results.ts';
import { loadScenarioFile, SEED_DIR } from '../harness/scenario-loader.ts';
import { serverCommands, serviceCommands, stepCommand, sysctlCommands, topologyCommands } from '../scenarios/guest-commands.ts';
import { cleanCheckCommand, moduleCommand, resetCommand } from '../scenarios/guest-state.ts';
import { kernelBuiltinModules } from '../vm/builtin-modules.ts';
import { bootGuest, type Guest } from '../vm/guest.ts';
import { BUILTIN_TREE, treeSnapshot } from './builtin-tree.ts';

const root = join(import.meta.dirname, '..');
const spec = `build:${BUILTIN_TREE}`;
// Representative: LOCAL_IN from a pod (NAT, TCP), LOCAL_OUT from the node, and a flow that changes
// the IPVS timeouts (ipvsadm --set), which the reset must write back for the next scenario.
const subset = ['pod-to-vip', 'established-flow', 'host-to-vip'];

describe('IPVS built in: seed scenarios on the user build, one guest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipvsh-builtin-e2e-'));
  const out = join(dir, 'results');
  const tmp = join(dir, 'tmp');
  let result: Awaited<ReturnType<typeof execa>>;
  let results: RunResults;
  let before: string[];

  beforeAll(async () => {
    mkdirSync(tmp);
    before = treeSnapshot(BUILTIN_TREE);
    result = await execa('node', ['bin/ipvs-harness.js', 'run', '-j', '1', '-k', spec, ...subset.flatMap((s) => ['-s', s]), '-o', out], {
      cwd: root, reject: false, timeout: 400_000, env: { CI: '1', TMPDIR: tmp },
    });
    results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResults;
  }, 420_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 with every cell passed, and says IPVS is built in', () => {
    expect(result.exitCode, `${result.stderr}`).toBe(0);
    expect(result.stderr).toContain(`${subset.length} cell(s): ${subset.length} passed, 0 failed, 0 error, 0 skipped`);
    expect(result.stderr).toMatch(/ready \(6\.1\.192, [\d.]+ s, tcg, IPVS built in\)/);
  });

  it.each(subset)('%s passed with every graph judged and holding', (name) => {
    const cell = results.cells.find((c) => c.scenario === name)!;
    expect(cell.status, JSON.stringify(cell.failures.length ? cell.failures : cell.error)).toBe('passed');
    expect(cell.graphs.length).toBeGreaterThan(0);
    expect(cell.graphs.filter((g) => !g.holds).map((g) => g.name)).toEqual([]);
    expect(cell.trace!.lostEvents).toBe(0);
  });

  it('one guest served every scenario: the reset and the clean-check worked without unloading ip_vs', () => {
    expect(results.kernels[0]!.bootMs).toHaveLength(1);
  });

  it('nothing built in was modprobed; IPVS was traced by line number, not by module', () => {
    for (const name of subset) {
      const log = readFileSync(join(out, results.cells.find((c) => c.scenario === name)!.artifacts.commands!), 'utf8');
      expect(log).not.toMatch(/^\$ modprobe /m);
      expect(log).toMatch(/^\$ seq \d+ \d+ >> set_ftrace_filter$/m);
      expect(log).not.toContain(':mod:ip_vs');
    }
    // The untagged functions the graphs need were traced (tcp_conn_schedule is not named ip_vs_*).
    const trace = readFileSync(join(out, results.cells.find((c) => c.scenario === 'host-to-vip')!.artifacts.trace!), 'utf8');
    expect(trace).toMatch(/ tcp_conn_schedule\(\) \{/);
    expect(trace).not.toContain('[ip_vs]');
  });

  it('results, report and JUnit say IPVS was built in', () => {
    expect(results.kernels[0]!.ipvs).toEqual({ core: 'built-in', builtIn: ['ip_vs', 'ip_vs_ftp', 'ip_vs_lc', 'ip_vs_rr', 'ip_vs_sh', 'ip_vs_wrr'] });
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<td>built in (ip_vs, ip_vs_ftp, ip_vs_lc, ip_vs_rr, ip_vs_sh, ip_vs_wrr)</td>');
    expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toMatch(/<property name="ipvs" value="built-in"\/>/);
  });

  it('the tree was only read', () => {
    expect(treeSnapshot(BUILTIN_TREE)).toEqual(before);
  });
});

describe('IPVS built in: the clean-check finds what a scenario leaves, the reset removes it', () => {
  let guest: Guest;
  const s = loadScenarioFile(join(SEED_DIR, 'host-to-vip.yaml')).scenario;
  const run = (c: { script: string; timeoutMs: number }) => guest.exec(c.script, { timeoutMs: c.timeoutMs });

  beforeAll(async () => {
    guest = await bootGuest({ kernel: spec });
  }, 120_000);

  afterAll(async () => {
    await guest?.powerOff();
  });

  it('dirty after a scenario (service, connection, namespace, sysctl, timeouts), clean after the reset', async () => {
    const builtIn = kernelBuiltinModules(guest.kernel);
    expect(builtIn.has('ip_vs')).toBe(true);
    for (const c of [moduleCommand(['rr'], false, builtIn), ...topologyCommands(s), ...sysctlCommands(s), ...serviceCommands(s), ...serverCommands(s)]) {
      const r = await run(c);
      expect(r.exitCode, `${c.label}: ${r.stderr}`).toBe(0);
    }
    expect((await run(stepCommand(s, s.steps[0]!))).stdout).toContain('rs1: hello');
    expect((await guest.exec('ipvsadm --set 7 8 9', { timeoutMs: 10_000 })).exitCode).toBe(0);

    const dirty = await run(cleanCheckCommand(builtIn));
    expect(dirty.exitCode).toBe(1);
    expect(dirty.stdout).toContain('network namespaces left: rs1');
    expect(dirty.stdout).toContain('1 IPVS services left');
    expect(dirty.stdout).toMatch(/^\d+ IPVS connections left$/m);
    expect(dirty.stdout).toContain('net.ipv4.vs.conntrack is 1, was 0');
    expect(dirty.stdout).toContain('IPVS timeouts (tcp tcpfin udp) are 7 8 9, were 900 120 300');

    await run(resetCommand(builtIn));
    const clean = await run(cleanCheckCommand(builtIn));
    expect(clean.stdout).toBe('');
    expect(clean.exitCode).toBe(0);
    const state = await guest.exec('ipvsadm -Lnc | grep -c -E "^(TCP|UDP)"; cat /proc/sys/net/ipv4/vs/expire_nodest_conn', { timeoutMs: 10_000 });
    expect(state.stdout.split('\n').slice(0, 2)).toEqual(['0', '0']);
  }, 120_000);
});
