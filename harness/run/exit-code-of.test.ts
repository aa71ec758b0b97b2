import { describe, expect, it } from 'vitest';
import type { CellResult, CellStatus, RunResults } from '../../analysis/report/results.ts';
import { errorCell, skipped } from './run-kernel.ts';
import { exitCodeOf, summarize } from './run-matrix.ts';

const cell = (status: CellStatus): CellResult => ({ kernel: 'debian:6.1', scenario: 's', status, durationMs: 0, failures: [], steps: [], graphs: [], observations: [], artifacts: {} });
const results = (cells: CellResult[]) => ({ cells, summary: summarize(cells) }) as unknown as RunResults;

describe('exitCodeOf', () => {
  it('0 all passed, 1 something failed, 3 an infrastructure error', () => {
    expect(exitCodeOf(results([cell('passed')]))).toBe(0);
    expect(exitCodeOf(results([cell('passed'), cell('failed'), errorCell('k', 's', { code: 'BOOT_TIMEOUT', phase: 'boot', message: 'x' })]))).toBe(1);
    expect(exitCodeOf(results([cell('passed'), errorCell('k', 's', { code: 'GUEST_PANIC', phase: 'step', message: 'x' })]))).toBe(3);
    expect(exitCodeOf(results([]))).toBe(3);
  });

  it('2 when the only errors are bad kernel specs or files (nothing booted)', () => {
    expect(exitCodeOf(results([errorCell('foo:bar', 's', { code: 'KERNEL_SPEC_UNKNOWN', phase: 'kernel', message: 'x' })]))).toBe(2);
    expect(exitCodeOf(results([errorCell('foo:bar', 's', { code: 'KERNEL_SPEC_UNKNOWN', phase: 'kernel', message: 'x' }), errorCell('k', 's', { code: 'BOOT_TIMEOUT', phase: 'boot', message: 'x' })]))).toBe(3);
  });

  it("4 (kselftest's skip) when the rest passed but something was skipped", () => {
    expect(exitCodeOf(results([cell('passed'), skipped('k', 'selftest:ipvs.sh', 'no ipvs.sh')]))).toBe(4);
  });
});
