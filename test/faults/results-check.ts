// A results folder after a fault: results.json complete and valid (every kernel x scenario once, a
// classified status each, the summary adding up), written atomically (no temp file beside it).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { RESULTS_VERSION, type CellResult, type RunResults } from '../../analysis/report/results.ts';

export function readCompleteResults(out: string, kernels: readonly string[], scenarios: readonly string[]): RunResults {
  const r = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResults;
  expect(r.version).toBe(RESULTS_VERSION);
  expect(r.kernels.map((k) => k.spec).sort()).toEqual([...kernels].sort());
  expect(r.cells.map((c) => `${c.kernel} ${c.scenario}`).sort()).toEqual(kernels.flatMap((k) => scenarios.map((s) => `${k} ${s}`)).sort());
  const count = (status: CellResult['status']) => r.cells.filter((c) => c.status === status).length;
  expect(r.summary).toEqual({ passed: count('passed'), failed: count('failed'), error: count('error'), skipped: count('skipped'), total: r.cells.length });
  for (const c of r.cells) {
    if (c.status === 'error') {
      expect(c.error?.code, `${c.kernel} ${c.scenario}`).toMatch(/^[A-Z][A-Z0-9_]+$/);
      expect(c.error?.phase).toBeTruthy();
      expect(c.error?.message.length).toBeGreaterThan(10);
    }
    if (c.status === 'skipped') expect(c.skipReason).toBeTruthy();
  }
  expect(leftoverTempFiles(out)).toEqual([]);
  return r;
}

export function cell(r: RunResults, kernel: string, scenario: string): CellResult {
  const c = r.cells.find((x) => x.kernel === kernel && x.scenario === scenario);
  if (!c) throw new Error(`no cell ${kernel} ${scenario}`);
  return c;
}

/** `*.tmp-<pid>` files of atomic writes that never got renamed. */
function leftoverTempFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.tmp-\d+$/.test(f));
}
