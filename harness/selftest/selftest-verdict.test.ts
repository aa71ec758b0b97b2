import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSelftestOutput } from './selftest-output.ts';
import { judgeSelftest, ranOutOfTime, subtestSteps, type SelftestRun } from './selftest-verdict.ts';

const fixture = (name: string) => parseSelftestOutput(readFileSync(join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'selftest', name), 'utf8'), 'ipvs.sh');
const run = (file: string, exitCode: number | null, extra: Partial<SelftestRun> = {}): SelftestRun => ({
  name: 'ipvs.sh', exitCode, signal: null, timedOut: false, timeoutS: 120, timeoutSource: 'settings timeout=120', output: fixture(file), ...extra,
});

describe('judgeSelftest: kselftest exit codes', () => {
  it('0 passes, every sub-test listed as passed', () => {
    const v = judgeSelftest(run('ipvs-6.1-pass.log', 0));
    expect(v.status).toBe('passed');
    expect(v.failures).toEqual([]);
    expect(v.summary).toBe('ipvs.sh passed (passed: DR mode, NAT mode, Tunnel mode)');
    expect(subtestSteps(v.subtests).map((s) => [s.name, s.kind, s.status])).toEqual([['DR mode', 'subtest', 'passed'], ['NAT mode', 'subtest', 'passed'], ['Tunnel mode', 'subtest', 'passed']]);
  });

  it('4 is a skip, with the reason the script gave', () => {
    const v = judgeSelftest(run('ipvs-6.1-skip.log', 4));
    expect(v.status).toBe('skipped');
    expect(v.skipReason).toBe('ipvs.sh skipped itself: Could not run test without ipvsadm');
    expect(v.subtests).toEqual([]);
  });

  it('4 without a message still says why', () => {
    expect(judgeSelftest({ ...run('ipvs-6.1-skip.log', 4), output: { subtests: [], skipMessages: [], lines: 0 } }).skipReason).toBe('ipvs.sh exited 4 (kselftest skip)');
  });

  it('1 fails and names the failed sub-test', () => {
    const v = judgeSelftest(run('ipvs-6.12-tun-fails.log', 1, { timeoutS: 1800, timeoutSource: 'settings timeout=1800' }));
    expect(v.status).toBe('failed');
    expect(v.failures).toEqual(['ipvs.sh exited 1 (FAIL)', 'sub-test Tunnel mode failed']);
    expect(subtestSteps(v.subtests).map((s) => s.status)).toEqual(['passed', 'passed', 'failed']);
  });

  it('running past the deadline fails; the sub-test it was in has no result', () => {
    const v = judgeSelftest(run('ipvs-6.1-tun-hangs.log', 143, { timedOut: true }));
    expect(v.status).toBe('failed');
    expect(v.failures).toEqual(['ipvs.sh did not finish within 120 s (settings timeout=120)', 'sub-test Tunnel mode: no result (the script was stopped before saying)']);
    const steps = subtestSteps(v.subtests);
    expect(steps.map((s) => [s.name, s.status, s.detail])).toEqual([
      ['DR mode', 'passed', "from the script's error count (shell trace)"],
      ['NAT mode', 'passed', "from the script's error count (shell trace)"],
      ['Tunnel mode', 'error', 'no result in the output'],
    ]);
  });

  it('exit 0 settles sub-tests the output did not judge (no shell trace)', () => {
    const output = parseSelftestOutput('Testing DR mode...\nTesting NAT mode...\nipvs.sh: PASS\n', 'ipvs.sh');
    const v = judgeSelftest({ ...run('ipvs-6.1-pass.log', 0), output });
    expect(v.subtests.map((t) => [t.name, t.status, t.evidence])).toEqual([['DR mode', 'passed', 'exit-status'], ['NAT mode', 'passed', 'exit-status']]);
  });

  it('a signal without a status fails', () => {
    expect(judgeSelftest(run('ipvs-6.1-pass.log', null, { signal: 'KILL' })).failures[0]).toBe('ipvs.sh exited on signal KILL (PASS)');
  });
});

describe('ranOutOfTime', () => {
  it("is the SSH deadline, or timeout's TERM (143) / GNU's 124 / KILL (137) at the deadline", () => {
    expect(ranOutOfTime({ exitCode: null, timedOut: true, durationMs: 150_000 }, 120)).toBe(true);
    expect(ranOutOfTime({ exitCode: 143, timedOut: false, durationMs: 120_050 }, 120)).toBe(true);
    expect(ranOutOfTime({ exitCode: 124, timedOut: false, durationMs: 119_500 }, 120)).toBe(true);
    expect(ranOutOfTime({ exitCode: 143, timedOut: false, durationMs: 3_000 }, 120)).toBe(false);
    expect(ranOutOfTime({ exitCode: 1, timedOut: false, durationMs: 125_000 }, 120)).toBe(false);
  });
});

describe('subtestSteps', () => {
  it('durations come from the times the lines arrived', () => {
    expect(subtestSteps([{ name: 'DR mode', status: 'passed', evidence: 'errors-count', line: 3, startMs: 1000, endMs: 4200.4 }])[0]!.durationMs).toBe(3200);
    expect(subtestSteps([{ name: 'DR mode', status: 'skipped', evidence: 'ktap', line: 3 }])[0]).toMatchObject({ status: 'skipped', durationMs: 0, detail: 'from its KTAP line' });
  });
});
