// What a run builds with --ipvs-source, and bisect-run's verdict when the modules cannot be had.
import { describe, expect, it } from 'vitest';
import type { RunResults } from '../../analysis/report/results.ts';
import { selectScenarios } from '../scenario-loader.ts';
import { bisectVerdict } from './bisect-verdict.ts';
import { buildTimeText, modulesForRun, outOfTreeBisectVerdict, outOfTreeFailures, planOutOfTreeIpvs } from './own-ipvs.ts';

const scenarios = selectScenarios(['host-to-vip', 'no-destination']).map((s) => s.scenario);

function results(code: string, details?: string): RunResults {
  const error = { code, phase: 'kernel' as const, message: `${code} message`, ...(details ? { details } : {}) };
  return {
    version: 3, tool: { name: 'ipvs-harness', version: '0' }, startedAt: '', finishedAt: '', durationMs: 0, host: { hostname: 'h', accel: 'tcg', jobs: 1 },
    kernels: [{ spec: 'debian:6.1', bootMs: [], error }],
    scenarios: [], summary: { passed: 0, failed: 0, error: 1, skipped: 0, total: 1 },
    cells: [{ kernel: 'debian:6.1', scenario: 'no-destination', status: 'error', durationMs: 0, error, failures: [], steps: [], graphs: [], observations: [], artifacts: {} }],
  };
}

describe('the plan', () => {
  it('builds ip_vs and the schedulers the scenarios use; everything when a selftest runs', () => {
    expect(modulesForRun(scenarios, false)).toEqual(['ip_vs', 'ip_vs_rr']);
    expect(modulesForRun(scenarios, true)).toBeUndefined();
    expect(planOutOfTreeIpvs('debian', scenarios, false)).toEqual({ source: 'debian', modules: ['ip_vs', 'ip_vs_rr'] });
    expect(planOutOfTreeIpvs('.', scenarios, true)).toEqual({ source: process.cwd() });
  });

  it('a folder that does not exist is a usage mistake (exit 2) before anything runs', () => {
    expect(() => planOutOfTreeIpvs('/nonexistent/ipvs', scenarios, false)).toThrow(/--ipvs-source \/nonexistent\/ipvs: no such folder/);
  });
});

describe('bisect-run verdicts', () => {
  it("a revision that does not build is git bisect's skip (125): bisectVerdict decides", () => {
    const r = results('MODULE_BUILD_FAILED', 'ip_vs_core.c:668:17: error: ...');
    expect(outOfTreeBisectVerdict(r)).toBeUndefined();
    expect(bisectVerdict(r).exitCode).toBe(125);
    expect(outOfTreeBisectVerdict(results('MODULE_WONT_LOAD'))).toBeUndefined();
    expect(outOfTreeBisectVerdict(results('IPVS_SOURCE_INVALID'))).toBeUndefined();
  });

  it('headers, compiler or download trouble stops the bisection (128): no revision could build', () => {
    expect(outOfTreeBisectVerdict(results('COMPILER_MISMATCH'))).toEqual({ exitCode: 128, word: 'abort', reason: 'the IPVS modules cannot be built on this host for any revision: [COMPILER_MISMATCH] COMPILER_MISMATCH message' });
    expect(outOfTreeBisectVerdict(results('HEADERS_NOT_FOUND'))?.exitCode).toBe(128);
    expect(outOfTreeBisectVerdict(results('MODULE_DOWNLOAD_FAILED'))?.exitCode).toBe(128);
    expect(outOfTreeBisectVerdict(results('KERNEL_NOT_FOUND'))).toBeUndefined();
  });

  it('the compiler output of a kernel whose modules did not build is shown', () => {
    expect(outOfTreeFailures(results('MODULE_BUILD_FAILED', 'ip_vs_core.c:668:17: error: x\n'))).toEqual(['debian:6.1: [MODULE_BUILD_FAILED] MODULE_BUILD_FAILED message\nip_vs_core.c:668:17: error: x']);
    expect(outOfTreeFailures(results('BOOT_TIMEOUT', 'console'))).toEqual([]);
  });

  it('build times say wall and CPU', () => {
    expect(buildTimeText(41_234, 35_000)).toBe('41.2 s (35.0 s CPU)');
    expect(buildTimeText(41_234)).toBe('41.2 s');
  });
});
