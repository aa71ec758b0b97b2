import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CellResult, RunResults } from '../../analysis/report/results.ts';
import { bisectVerdict } from './bisect-verdict.ts';

const fixture = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'results', 'seed');
const real = JSON.parse(readFileSync(join(fixture, 'results.json'), 'utf8')) as RunResults;
const one = (cells: CellResult[], kernelError?: RunResults['kernels'][number]['error']): RunResults => ({
  ...real,
  kernels: [{ ...real.kernels[1]!, ...(kernelError ? { error: kernelError } : {}) }],
  cells,
});
const pod = real.cells.find((c) => c.kernel === 'debian:6.1' && c.scenario === 'pod-to-vip')!;

describe('bisectVerdict', () => {
  it('good when every scenario passed', () => {
    expect(bisectVerdict(one([pod]))).toMatchObject({ exitCode: 0, word: 'good' });
  });

  it('bad when a scenario failed', () => {
    expect(bisectVerdict(one([{ ...pod, status: 'failed', failures: ['graph x: does not hold'] }]))).toMatchObject({ exitCode: 1, word: 'bad' });
  });

  it('bad when the guest panicked while the traffic ran', () => {
    const cell: CellResult = { ...pod, status: 'error', error: { code: 'GUEST_PANIC', phase: 'step', message: 'Kernel panic' } };
    expect(bisectVerdict(one([cell]))).toMatchObject({ exitCode: 1, word: 'bad' });
  });

  it.each([
    ['a file that is not a kernel', { code: 'NOT_A_KERNEL', phase: 'kernel' as const, message: 'not a bzImage' }],
    ['a kernel without IP_VS', { code: 'PREFLIGHT_MISSING_OPTIONS', phase: 'kernel' as const, message: 'IP_VS missing' }],
    ['a panic at boot', { code: 'GUEST_PANIC', phase: 'boot' as const, message: 'Kernel panic' }],
  ])('125 (skip) for %s', (_what, error) => {
    const cell: CellResult = { ...pod, status: 'error', error };
    expect(bisectVerdict(one([cell], error))).toMatchObject({ exitCode: 125, word: 'skip' });
  });

  it('125 when setup failed (the revision cannot run the scenario at all)', () => {
    const cell: CellResult = { ...pod, status: 'error', error: { code: 'SETUP_FAILED', phase: 'setup', message: 'ipvsadm failed' } };
    expect(bisectVerdict(one([cell]))).toMatchObject({ exitCode: 125 });
  });
});
