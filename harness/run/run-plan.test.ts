// The run plan: the command line normalised once, checked before anything boots.
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_KERNEL_SPECS } from '../../vm/kernel-spec.ts';
import { SEED_DIR } from '../scenario-loader.ts';
import { defaultJobs, planRun, planTracer } from './run-plan.ts';
import { UsageError } from '../errors.ts';

const seedNames = readdirSync(SEED_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')).sort();

describe('planTracer (--tracer, --bpftrace, --no-trace)', () => {
  it('ftrace by default; bpftrace alone; both; --bpftrace is both', () => {
    expect(planTracer({})).toEqual({ ftrace: true, bpftrace: false });
    expect(planTracer({ tracer: 'bpftrace' })).toEqual({ ftrace: false, bpftrace: true });
    expect(planTracer({ tracer: 'both' })).toEqual({ ftrace: true, bpftrace: true });
    expect(planTracer({ bpftrace: true })).toEqual({ ftrace: true, bpftrace: true });
    expect(planTracer({ trace: false })).toEqual({ ftrace: false, bpftrace: false });
  });
  it('an unknown tracer, or one with --no-trace, is a usage error (exit 2) naming the choices', () => {
    expect(() => planTracer({ tracer: 'perf' })).toThrow(UsageError);
    expect(() => planTracer({ tracer: 'perf' })).toThrow('--tracer perf: expected one of ftrace, bpftrace, both');
    expect(() => planTracer({ trace: false, tracer: 'both' })).toThrow('--no-trace and --tracer both contradict each other');
    expect(() => planTracer({ trace: false, bpftrace: true })).toThrow('--no-trace and --bpftrace contradict each other; for bpftrace alone use --tracer bpftrace');
    expect(() => planTracer({ bpftrace: true, tracer: 'ftrace' })).toThrow('--bpftrace (the same as --tracer both) and --tracer ftrace contradict each other');
    expect(planTracer({ bpftrace: true, tracer: 'both' })).toEqual({ ftrace: true, bpftrace: true });
  });
});

describe('planRun', () => {
  it('defaults: the default kernels x the seed suite, traced, into an absolute folder', () => {
    const plan = planRun({ out: 'r', jobs: '2' }, {});
    expect(plan.kernels.map((k) => k.text)).toEqual(DEFAULT_KERNEL_SPECS);
    expect(plan.scenarios.map((s) => s.scenario.name).sort()).toEqual(seedNames);
    expect(plan.guestCells).toEqual([]);
    expect(plan.cells).toHaveLength(DEFAULT_KERNEL_SPECS.length * seedNames.length);
    expect(plan.cells[0]).toEqual({ kernel: DEFAULT_KERNEL_SPECS[0], scenario: plan.scenarios[0]!.scenario.name });
    expect(plan.tracer).toEqual({ ftrace: true, bpftrace: false });
    expect(plan.guests).toMatchObject({ jobs: 2, freshBoot: false });
    expect(plan.out).toBe(resolve('r'));
    expect(plan.shard).toBeUndefined();
    expect(plan.testFault).toBeUndefined();
  });

  it('--modules and --config travel with the path: kernels, and only with them', () => {
    const plan = planRun({ kernel: ['path:/k/bzImage', 'debian:6.1', 'path:/k2/bzImage'], modules: 'mods', config: '.config', scenario: ['host-to-vip'], out: 'r', jobs: '1' }, {});
    expect(plan.kernels).toEqual([
      { kind: 'path', image: '/k/bzImage', modulesDir: resolve('mods'), configPath: resolve('.config'), text: 'path:/k/bzImage' },
      expect.objectContaining({ text: 'debian:6.1' }),
      { kind: 'path', image: '/k2/bzImage', modulesDir: resolve('mods'), configPath: resolve('.config'), text: 'path:/k2/bzImage' },
    ]);
    expect(plan.kernels[1]).not.toHaveProperty('modulesDir');
  });

  it('refuses what belongs to no kernel, and what is not a kernel spec, before anything boots', () => {
    expect(() => planRun({ kernel: ['debian:6.1'], modules: 'mods', out: 'r', jobs: '1' }, {})).toThrow(/^--modules belongs to a path: kernel, and none is given \(debian:6\.1\)/);
    expect(() => planRun({ kernel: ['debian:6.1'], modules: 'm', config: 'c', out: 'r', jobs: '1' }, {})).toThrow(/^--modules and --config belong to a path: kernel/);
    expect(() => planRun({ kernel: ['foo:bar'], out: 'r', jobs: '1' }, {})).toThrow(expect.objectContaining({ code: 'KERNEL_SPEC_UNKNOWN', exitCode: 2 }));
    expect(() => planRun({ out: 'r', jobs: '0' }, {})).toThrow(/--jobs 0: expected a whole number from 1 to 64/);
    expect(() => planRun({ out: 'r', jobs: '1', shard: '5/4' }, {})).toThrow(/--shard 5\/4: expected i\/n/);
    expect(() => planRun({ out: 'r', jobs: '1' }, { IPVS_HARNESS_TEST_FAULT: 'rm -rf /' })).toThrow(/expected panic-before:/);
  });

  it('selftests only: no seed suite with them; with scenarios: after them in the matrix', () => {
    const only = planRun({ kernel: ['debian:6.1'], scenario: ['selftest:ipvs.sh'], out: 'r', jobs: '1', trace: false, selftestTimeoutS: 300 }, {});
    expect(only.scenarios).toEqual([]);
    expect(only.guestCells.map((c) => c.name)).toEqual(['selftest:ipvs.sh']);
    expect(only.cells).toEqual([{ kernel: 'debian:6.1', scenario: 'selftest:ipvs.sh' }]);
    expect(only.tracer.ftrace).toBe(false);
    const both = planRun({ kernel: ['debian:6.1'], scenario: ['selftest:ipvs.sh', 'pod-to-vip'], out: 'r', jobs: '1' }, {});
    expect(both.cells.map((c) => c.scenario)).toEqual(['pod-to-vip', 'selftest:ipvs.sh']);
  });

  it('a shard is a deterministic slice of the matrix; the shards cover it once', () => {
    const req = { kernel: ['debian:5.10', 'debian:6.1'], out: 'r', jobs: '1' };
    const all = planRun(req, {}).cells;
    const shards = [1, 2, 3].map((i) => planRun({ ...req, shard: `${i}/3` }, {}));
    expect(shards[0]!.shard).toEqual({ index: 1, count: 3 });
    expect(shards.flatMap((p) => p.cells).length).toBe(all.length);
    expect(new Set(shards.flatMap((p) => p.cells.map((c) => `${c.kernel} ${c.scenario}`))).size).toBe(all.length);
  });

  it('the test fault comes from its environment variable only', () => {
    expect(planRun({ out: 'r', jobs: '1' }, { IPVS_HARNESS_TEST_FAULT: 'panic-before:step crash' }).testFault).toMatchObject({ kind: 'panic', beforeCommand: 'step crash' });
  });
});

describe('defaultJobs', () => {
  it('one guest per core, as free memory allows, at least one', () => {
    expect(defaultJobs(2, 8 * 1024 ** 3)).toBe(2);
    expect(defaultJobs(8, 1.5 * 1024 ** 3)).toBe(2);
    expect(defaultJobs(4, 100 * 1024 ** 2)).toBe(1);
  });
});

describe('snapshots in the plan', () => {
  it('are off unless asked for, and never with --fresh-boot', () => {
    expect(planRun({ out: 'r', jobs: '1' }).guests.snapshots).toBe(false);
    expect(planRun({ out: 'r', jobs: '1', snapshot: true }).guests.snapshots).toBe(true);
    expect(planRun({ out: 'r', jobs: '1', snapshot: true, freshBoot: true }).guests.snapshots).toBe(false);
  });
});
