import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LineSplitter, parseSelftestOutput, SelftestOutputParser } from './selftest-output.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'selftest', name), 'utf8');
const brief = (text: string) => {
  const out = parseSelftestOutput(text, 'ipvs.sh');
  return { subtests: out.subtests.map((t) => [t.name, t.status, t.evidence]), verdict: out.verdict, skip: out.skipMessages };
};

const ALL_PASSED = [['DR mode', 'passed', 'errors-count'], ['NAT mode', 'passed', 'errors-count'], ['Tunnel mode', 'passed', 'errors-count']];

describe('parseSelftestOutput on real runs', () => {
  it.each(['5.10', '6.1', '6.12'])('%s: three sub-tests passed, PASS', (series) => {
    expect(brief(fixture(`ipvs-${series}-pass.log`))).toEqual({ subtests: ALL_PASSED, verdict: 'PASS', skip: [] });
  });

  it('6.12 without ipip: Tunnel failed (its error count went up), FAIL', () => {
    expect(brief(fixture('ipvs-6.12-tun-fails.log'))).toEqual({
      subtests: [['DR mode', 'passed', 'errors-count'], ['NAT mode', 'passed', 'errors-count'], ['Tunnel mode', 'failed', 'errors-count']],
      verdict: 'FAIL',
      skip: [],
    });
  });

  it('6.1 without ipip: the script was stopped inside Tunnel, which has no result', () => {
    expect(brief(fixture('ipvs-6.1-tun-hangs.log'))).toEqual({
      subtests: [['DR mode', 'passed', 'errors-count'], ['NAT mode', 'passed', 'errors-count'], ['Tunnel mode', 'unknown', 'none']],
      verdict: undefined,
      skip: [],
    });
  });

  it('a skip: no sub-tests, the SKIP message', () => {
    expect(brief(fixture('ipvs-6.1-skip.log'))).toEqual({ subtests: [], verdict: undefined, skip: ['Could not run test without ipvsadm'] });
  });
});

describe('SelftestOutputParser', () => {
  it('reports each sub-test when its result line arrives, with the times it was given', () => {
    const parser = new SelftestOutputParser('ipvs.sh');
    const lines = fixture('ipvs-6.1-pass.log').split('\n');
    const finished: [number, string, number | undefined, number | undefined][] = [];
    lines.forEach((line, i) => {
      for (const t of parser.push(line, i * 10)) finished.push([i + 1, t.name, t.startMs, t.endMs]);
    });
    const errorLines = lines.flatMap((l, i) => (/^\+ errors=\d/.test(l) ? [i + 1] : []));
    expect(finished.map((f) => f[0])).toEqual(errorLines);
    expect(finished.map((f) => f[1])).toEqual(['DR mode', 'NAT mode', 'Tunnel mode']);
    for (const [line, , start, end] of finished) {
      expect(end).toBe((line - 1) * 10);
      expect(start).toBeLessThan(end!);
    }
    expect(parser.finish().lines).toBe(lines.length);
  });

  it('reads ANSI colours, dash\'s literal "-e", TEST: lines and KTAP lines', () => {
    const text = [
      '-e ipvs.sh: \x1b[0;31mFAIL\x1b[0m',
      'TEST: ipvs DR over IPv6                                     [ OK ]',
      'TEST: ipvs MASQ                                             [FAIL]',
      'TEST: ipvs SCTP                                             [SKIP]',
      'ok 1 selftests: dr',
      'not ok 2 selftests: nat',
      'ok 3 tun # SKIP no ipip module',
    ].join('\n');
    const out = parseSelftestOutput(text, 'ipvs.sh');
    expect(out.verdict).toBe('FAIL');
    expect(out.subtests.map((t) => [t.name, t.status, t.evidence])).toEqual([
      ['ipvs DR over IPv6', 'passed', 'test-line'],
      ['ipvs MASQ', 'failed', 'test-line'],
      ['ipvs SCTP', 'skipped', 'test-line'],
      ['selftests: dr', 'passed', 'ktap'],
      ['selftests: nat', 'failed', 'ktap'],
      ['tun', 'skipped', 'ktap'],
    ]);
  });

  it("a background job's interleaved trace (`+ + errors=0`) still counts", () => {
    const out = parseSelftestOutput(['+ local errors=', 'Testing DR mode...', '+ + errors=1'].join('\n'), 'ipvs.sh');
    expect(out.subtests.map((t) => [t.name, t.status])).toEqual([['DR mode', 'failed']]);
  });

  it('a sub-test that starts before the previous one reported stays unknown', () => {
    const out = parseSelftestOutput(['Testing DR mode...', 'Testing NAT mode...', '+ errors=0'].join('\n'), 'ipvs.sh');
    expect(out.subtests.map((t) => [t.name, t.status])).toEqual([['DR mode', 'unknown'], ['NAT mode', 'passed']]);
  });
});

describe('LineSplitter', () => {
  it('gives the same lines whatever the chunking', () => {
    const text = fixture('ipvs-6.12-pass.log');
    const whole: string[] = [];
    const s1 = new LineSplitter((l) => whole.push(l));
    s1.push(text);
    s1.end();
    const chunked: string[] = [];
    const s2 = new LineSplitter((l) => chunked.push(l));
    for (let i = 0; i < text.length; i += 37) s2.push(text.slice(i, i + 37));
    s2.end();
    expect(chunked).toEqual(whole);
    expect(whole.length).toBe(text.split('\n').length - (text.endsWith('\n') ? 1 : 0));
  });
});
