// The fault matrix on real kernels, through the CLI, in three runs that go on at the same time:
//
//   G: one run over four kernels and five scenarios (-j 1), every guest fault in it:
//      path:<junk>      not a kernel                        -> error kernel NOT_A_KERNEL (nothing boots)
//      path:<no IP_VS>  a real bzImage whose config lacks it -> error kernel PREFLIGHT_MISSING_OPTIONS
//      debian:5.10      its guest serves another host key   -> error boot HOST_KEY_MISMATCH
//      debian:6.1       fault-panic: sysrq crash in a step  -> error step GUEST_PANIC, the step before it kept (test hook, see harness/run/test-fault.ts)
//                       fault-hang: QEMU SIGSTOPped          -> error step GUEST_UNRESPONSIVE
//                       fault-kill: QEMU SIGKILLed           -> error step QEMU_EXITED
//                       overflow: 64 KiB trace buffer        -> error collect TRACE_INCOMPLETE, lost events counted
//                       host-to-vip                          -> passed (on a fresh guest after the faults)
//   I, T: SIGINT / SIGTERM to the harness in the middle of its second scenario -> exit 130, the first
//      cell kept, the second interrupted, the third skipped.
//
// Every run: ends within its deadline, writes a complete results.json, and leaves no QEMU process (found
// by the run's private TMPDIR in QEMU's command line), no temp folder and no listening port. While the
// guests are up, the security checks look at QEMU's sockets and the run's temp folder.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../analysis/report/results.ts';
import { defaultCacheDir } from '../vm/cache-dir.ts';
import { debianKernel, holdScenario, junkKernel, kernelWithoutIpvs, overflowScenario, plantImpostorSshServer, privateCache } from './faults/fault-inputs.ts';
import { harnessTempDirs, listeningSockets, listeningSocketsOf, qemuProcesses, startCli, waitForOutput, type CliRun, type Socket } from './faults/host-state.ts';
import { cell, readCompleteResults } from './faults/results-check.ts';

const scratch = mkdtempSync(join(tmpdir(), 'ipvsh-faults-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Finished {
  exitCode: number | undefined;
  output: string;
  wallMs: number;
  tmp: string;
  out: string;
  /** QEMU's listening sockets, sampled while a guest was up. */
  ports: Socket[];
}

/** What the guest looked like from the host while it was up (sampled once, in run G). */
interface GuestExposure {
  sockets: Socket[];
  tempDirs: { name: string; mode: number; files: Record<string, number> }[];
}

async function finish(run: CliRun, tmp: string, out: string, started: number, ports: Socket[]): Promise<Finished> {
  const r = await run;
  return { exitCode: r.exitCode, output: r.all ?? '', wallMs: performance.now() - started, tmp, out, ports };
}

function exposure(tmp: string, pid: number): GuestExposure {
  const tempDirs = harnessTempDirs(tmp).map((name) => {
    const dir = join(tmp, name);
    const files = Object.fromEntries(readdirSync(dir).map((f) => [f, statSync(join(dir, f)).mode & 0o777]));
    return { name, mode: statSync(dir).mode & 0o777, files };
  });
  return { sockets: listeningSocketsOf(pid), tempDirs };
}

function theQemu(tmp: string): number {
  const pids = qemuProcesses(tmp);
  if (pids.length !== 1) throw new Error(`expected one QEMU under ${tmp}, found ${pids.length}`);
  return pids[0]!;
}

const real = defaultCacheDir();
const K510 = debianKernel(real, '5.10');
const G_SCENARIOS = ['fault-panic', 'fault-hang', 'fault-kill', 'overflow', 'host-to-vip'];
const I_SCENARIOS = ['host-to-vip', 'fault-hold', 'pod-to-vip'];

let g: Finished;
let gExposure: GuestExposure;
let junk: string;
let noIpvs: string;
const interrupted: Record<'SIGINT' | 'SIGTERM', Finished> = {} as never;

async function runGuestFaults(): Promise<void> {
  const dir = mkdtempSync(join(scratch, 'g-'));
  junk = `path:${junkKernel(dir)}`;
  noIpvs = `path:${kernelWithoutIpvs(dir, K510)}`;
  const cache = privateCache(dir, real);
  await plantImpostorSshServer(cache, 'debian:5.10', dir);
  const out = join(dir, 'out');
  const files = [
    holdScenario(dir, 'fault-panic', 'crash', 8), holdScenario(dir, 'fault-hang', 'hang', 3), holdScenario(dir, 'fault-kill', 'kill', 8), overflowScenario(dir), 'host-to-vip',
  ];
  const args = ['run', '-j', '1', '--cache-dir', cache, '--modules', K510.modules, '-o', out, ...[junk, noIpvs, 'debian:5.10', 'debian:6.1'].flatMap((k) => ['-k', k]), ...files.flatMap((s) => ['-s', s])];
  const started = performance.now();
  const { run, tmp } = startCli(scratch, args, { env: { IPVS_HARNESS_TEST_FAULT: 'panic-before:step crash' }, timeoutMs: 480_000 });
  const ports: Socket[] = [];
  const hang = waitForOutput(run, 'fault-hang: step warmup passed').then(() => {
    const pid = theQemu(tmp);
    gExposure = exposure(tmp, pid);
    ports.push(...gExposure.sockets);
    process.kill(pid, 'SIGSTOP');
  });
  const kill = waitForOutput(run, 'fault-kill: step warmup passed').then(() => {
    const pid = theQemu(tmp);
    ports.push(...listeningSocketsOf(pid));
    process.kill(pid, 'SIGKILL');
  });
  g = await finish(run, tmp, out, started, ports);
  await Promise.all([hang, kill]);
}

async function runInterrupted(signal: 'SIGINT' | 'SIGTERM'): Promise<void> {
  const dir = mkdtempSync(join(scratch, `${signal}-`));
  const out = join(dir, 'out');
  const hold = holdScenario(dir, 'fault-hold', 'hold', 8);
  const started = performance.now();
  const { run, tmp } = startCli(scratch, ['run', '-j', '1', '-k', 'debian:6.1', '-s', 'host-to-vip', '-s', hold, '-s', 'pod-to-vip', '-o', out], { timeoutMs: 300_000 });
  const ports: Socket[] = [];
  const signalled = waitForOutput(run, 'fault-hold: step warmup passed').then(() => {
    ports.push(...listeningSocketsOf(theQemu(tmp)));
    run.kill(signal);
  });
  interrupted[signal] = await finish(run, tmp, out, started, ports);
  await signalled;
}

beforeAll(async () => {
  await Promise.all([runGuestFaults(), runInterrupted('SIGINT'), runInterrupted('SIGTERM')]);
}, 600_000);

function expectNothingLeft(f: Finished): void {
  expect(qemuProcesses(f.tmp), 'QEMU processes left').toEqual([]);
  expect(harnessTempDirs(f.tmp), 'temp folders left').toEqual([]);
  expect(f.ports.length, 'the test saw the forwarded port while the guest was up').toBeGreaterThan(0);
  const listening = new Set(listeningSockets().map((s) => s.port));
  expect(f.ports.filter((p) => listening.has(p.port)), 'forwarded ports still listening').toEqual([]);
}

describe('guest faults in one run (G): every cell classified, the rest intact, nothing left behind', () => {
  let results: RunResults;
  beforeAll(() => {
    results = readCompleteResults(g.out, [junk, noIpvs, 'debian:5.10', 'debian:6.1'], G_SCENARIOS);
  });

  it('ends within its deadline with exit 3 (infrastructure errors, no failed behaviour) and a summary line', () => {
    expect(g.wallMs).toBeLessThan(420_000);
    expect(g.exitCode, g.output).toBe(3);
    expect(g.output).toMatch(/20 cell\(s\): 1 passed, 0 failed, 19 error, 0 skipped/);
  });

  it('not a kernel: NOT_A_KERNEL in phase kernel for every scenario, nothing booted', () => {
    for (const s of G_SCENARIOS) {
      const c = cell(results, junk, s);
      expect(c.error).toMatchObject({ code: 'NOT_A_KERNEL', phase: 'kernel' });
      expect(c.error!.message).toContain('is not an x86 bzImage');
    }
    expect(results.kernels.find((k) => k.spec === junk)!.bootMs).toEqual([]);
  });

  it('a kernel without IP_VS: PREFLIGHT_MISSING_OPTIONS naming CONFIG_IP_VS, nothing booted', () => {
    for (const s of G_SCENARIOS) expect(cell(results, noIpvs, s).error).toMatchObject({ code: 'PREFLIGHT_MISSING_OPTIONS', phase: 'kernel', message: expect.stringContaining('IP_VS') });
    expect(results.kernels.find((k) => k.spec === noIpvs)!.bootMs).toEqual([]);
  });

  it('a guest whose SSH server presents another host key: HOST_KEY_MISMATCH in phase boot, refused, for every scenario of the kernel', () => {
    for (const s of G_SCENARIOS) {
      const c = cell(results, 'debian:5.10', s);
      expect(c.error).toMatchObject({ code: 'HOST_KEY_MISMATCH', phase: 'boot' });
      expect(c.error!.message).toMatch(/presented host key .*not the key generated for this guest; refusing to connect/);
    }
  });

  it('a kernel panic in the middle of a step: GUEST_PANIC in phase step, with the panic line and the console tail', () => {
    const c = cell(results, 'debian:6.1', 'fault-panic');
    expect(c.error).toMatchObject({ code: 'GUEST_PANIC', phase: 'step' });
    expect(c.error!.message).toContain('the guest kernel panicked during step: Kernel panic - not syncing: sysrq triggered crash');
    expect(c.error!.details).toMatch(/^last console lines:/);
    // The step that finished before the panic stays in the cell: it shows how far the scenario got.
    expect(c.steps.map((s) => [s.name, s.status])).toEqual([['warmup', 'passed']]);
  });

  it('a guest that stops answering (QEMU SIGSTOPped): GUEST_UNRESPONSIVE in phase step, the liveness check named, the console tail attached', () => {
    const c = cell(results, 'debian:6.1', 'fault-hang');
    expect(c.error).toMatchObject({ code: 'GUEST_UNRESPONSIVE', phase: 'step' });
    expect(c.error!.message).toMatch(/the guest stopped answering: ".+" got no answer within \d+ s, and a liveness check over SSH/);
    expect(c.error!.details).toMatch(/^last console lines:/);
  });

  it('QEMU killed with SIGKILL: QEMU_EXITED in phase step, saying it was killed by SIGKILL', () => {
    const c = cell(results, 'debian:6.1', 'fault-kill');
    expect(c.error).toMatchObject({ code: 'QEMU_EXITED', phase: 'step' });
    expect(c.error!.message).toContain('QEMU exited (killed by SIGKILL');
  });

  it('a trace buffer that overflows: lost events counted, graphs "cannot be judged" instead of failing, TRACE_INCOMPLETE', () => {
    const c = cell(results, 'debian:6.1', 'overflow');
    expect(c.steps.every((s) => s.status === 'passed')).toBe(true);
    expect(c.trace!.lostEvents).toBeGreaterThan(0);
    expect(c.error).toMatchObject({ code: 'TRACE_INCOMPLETE', phase: 'collect' });
    expect(c.error!.message).toMatch(/the ftrace ring buffer \(64 KiB per CPU\) overflowed and lost \d+ events; raise trace.bufferKb/);
    expect(c.failures).toEqual([]);
    const unjudged = c.graphs.filter((x) => !x.holds);
    expect(unjudged.length).toBeGreaterThan(0);
    for (const x of unjudged) expect(x.incomplete).toBeTruthy();
  });

  it('the other cells are intact: host-to-vip passes on a fresh guest after the faults', () => {
    const c = cell(results, 'debian:6.1', 'host-to-vip');
    expect(c.status, JSON.stringify(c.error ?? c.failures)).toBe('passed');
    expect(c.graphs.every((x) => x.holds)).toBe(true);
    // One boot per broken guest: panic, hang and kill each cost a fresh one.
    expect(results.kernels.find((k) => k.spec === 'debian:6.1')!.bootMs.length).toBe(4);
  });

  it('leaves no QEMU process, no temp folder and no forwarded port', () => {
    expectNothingLeft(g);
  });
});

describe.each(['SIGINT', 'SIGTERM'] as const)('the harness interrupted with %s mid-run', (signal) => {
  it('exits 130 within its deadline, keeps the finished cell, marks the interrupted one and skips the rest', () => {
    const f = interrupted[signal];
    expect(f.wallMs).toBeLessThan(240_000);
    expect(f.exitCode, f.output).toBe(130);
    expect(f.output).toContain(`${signal}: stopping`);
    const r = readCompleteResults(f.out, ['debian:6.1'], I_SCENARIOS);
    expect(cell(r, 'debian:6.1', 'host-to-vip').status).toBe('passed');
    expect(cell(r, 'debian:6.1', 'fault-hold')).toMatchObject({ status: 'error', error: { code: 'ABORTED', phase: 'interrupted' } });
    expect(cell(r, 'debian:6.1', 'fault-hold').error!.message).toContain(`interrupted by ${signal}`);
    expect(cell(r, 'debian:6.1', 'pod-to-vip')).toMatchObject({ status: 'skipped', skipReason: 'the run was interrupted' });
  });

  it('leaves no QEMU process, no temp folder and no forwarded port', () => {
    expectNothingLeft(interrupted[signal]);
  });
});

describe('security, while a guest was up (sampled in run G)', () => {
  it('QEMU listens on 127.0.0.1 only (the forwarded SSH port), never on all addresses or IPv6', () => {
    expect(gExposure.sockets.length).toBeGreaterThan(0);
    for (const s of gExposure.sockets) expect(s.address, `port ${s.port}`).toBe('127.0.0.1');
  });

  it('the run\'s temp folder is 0700; the guest\'s private host key is on disk only inside the initrd, which is 0600', () => {
    expect(gExposure.tempDirs.length).toBe(1);
    const [d] = gExposure.tempDirs;
    expect(d!.mode.toString(8)).toBe('700');
    // The key is made in memory (vm/host-keys.ts) and written only into the per-boot initrd.
    expect(Object.keys(d!.files)).not.toContain('host_key');
    expect(d!.files['initrd.cpio']?.toString(8)).toBe('600');
  });
});
