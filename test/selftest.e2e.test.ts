// The kernel's own IPVS selftest end to end: `selftest --kernel debian:6.1` takes ipvs.sh from
// Debian's linux-source-6.1 (fetched into the cache by `setup --for-tests`), runs it in a real 6.1
// guest and reports it like a run; `run -s selftest:ipvs.sh` runs it on the guest of the scenarios.
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../analysis/report/results.ts';
import { defaultCacheDir } from '../vm/cache-dir.ts';

const root = join(import.meta.dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'ipvsh-selftest-e2e-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Each CLI run gets its own TMPDIR, so leftovers (temp folders, QEMU processes) are easy to see. */
function cli(args: string[], name: string) {
  const tmp = join(scratch, `tmp-${name}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  // tsx keeps its compile cache in TMPDIR: share the warm one, or every CLI start recompiles.
  const tsxCache = join(tmpdir(), `tsx-${process.getuid?.() ?? 0}`);
  if (existsSync(tsxCache)) symlinkSync(tsxCache, join(tmp, basename(tsxCache)));
  const run = execa('node', ['bin/ipvs-harness.js', ...args], { cwd: root, reject: false, timeout: 900_000, env: { CI: '1', TMPDIR: tmp } });
  return { run, tmp };
}

async function leftovers(tmp: string): Promise<{ qemu: string[]; folders: string[] }> {
  const ps = await execa('ps', ['-eo', 'args'], { reject: false });
  return {
    qemu: ps.stdout.split('\n').filter((l) => l.startsWith('qemu-system') && l.includes(tmp)),
    // tsx keeps its compile cache in TMPDIR too: only the harness's folders count.
    folders: readdirSync(tmp).filter((f) => f.startsWith('ipvs-harness')),
  };
}

const cellOf = (r: RunResults, scenario: string) => r.cells.find((c) => c.kernel === 'debian:6.1' && c.scenario === scenario)!;

describe('ipvs-harness selftest --kernel debian:6.1', () => {
  const out = join(scratch, 'selftest');
  let result: Awaited<ReturnType<typeof execa>>;
  let results: RunResults;
  let tmp: string;

  beforeAll(async () => {
    const c = cli(['selftest', '--kernel', 'debian:6.1', '--out', out], 'selftest');
    tmp = c.tmp;
    result = await c.run;
    results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResults;
  }, 900_000);

  it('passes (exit 0) with the DR, NAT and Tunnel sub-tests listed as passed', () => {
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const cell = cellOf(results, 'selftest:ipvs.sh');
    expect(cell.status, JSON.stringify(cell.failures ?? cell.error)).toBe('passed');
    expect(cell.kernelRelease).toMatch(/^6\.1\./);
    expect(cell.steps.map((s) => [s.name, s.kind, s.status])).toEqual([
      ['DR mode', 'subtest', 'passed'], ['NAT mode', 'subtest', 'passed'], ['Tunnel mode', 'subtest', 'passed'],
    ]);
    expect(cell.observations[0]).toMatch(/^tools\/testing\/selftests\/netfilter\/ipvs\.sh from linux-source-6\.1 6\.1\.\S+ \(bookworm/);
    expect(results.scenarios).toEqual([expect.objectContaining({ name: 'selftest:ipvs.sh', kind: 'selftest' })]);
    expect(String(result.stderr)).toMatch(/debian:6\.1 selftest:ipvs\.sh: step Tunnel mode passed/);
  });

  it('keeps the script output, the commands and the console log, and shows the cell in the report and JUnit', () => {
    const cell = cellOf(results, 'selftest:ipvs.sh');
    expect(cell.artifacts.output).toBe('debian-6.1/selftest-ipvs.sh/output.log');
    expect(readFileSync(join(out, cell.artifacts.output!), 'utf8')).toMatch(/ipvs\.sh: \S*PASS/);
    for (const rel of [cell.artifacts.commands!, cell.artifacts.console!]) expect(existsSync(join(out, rel))).toBe(true);
    const junit = readFileSync(join(out, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testcase name="selftest:ipvs.sh" classname="ipvs-harness.debian:6_1"/);
    expect(junit).toMatch(/\[\[ATTACHMENT\|debian-6.1\/selftest-ipvs.sh\/output.log\]\]/);
    expect(junit).not.toMatch(/<failure|<error/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/data-scenario="selftest:ipvs.sh" data-status="passed"/);
    expect(html).toContain('Tunnel mode');
  });

  it('did not download during the test (setup --for-tests fetched linux-source-6.1)', () => {
    expect(String(result.stderr)).not.toMatch(/downloading/);
  });

  it('leaves no QEMU process and no temp folder behind (harness temp folders, unpacking folders in the cache)', async () => {
    expect(await leftovers(tmp)).toEqual({ qemu: [], folders: [] });
    const cached = join(defaultCacheDir(), 'selftests');
    expect(readdirSync(cached).filter((f) => f.startsWith('.tmp-') || f.endsWith('.lock'))).toEqual([]);
  });
});

describe('ipvs-harness run -s selftest:ipvs.sh', () => {
  it('runs the selftest after a scenario on the same guest, both cells in one results folder', async () => {
    const out = join(scratch, 'run');
    const c = cli(['run', '-k', 'debian:6.1', '-s', 'host-to-vip', '-s', 'selftest:ipvs.sh', '--jobs', '1', '-o', out], 'run');
    const r = await c.run;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResults;
    expect(results.cells.map((x) => [x.scenario, x.status])).toEqual([['host-to-vip', 'passed'], ['selftest:ipvs.sh', 'passed']]);
    expect(results.kernels[0]!.bootMs).toHaveLength(1);
    expect(cellOf(results, 'selftest:ipvs.sh').steps.map((s) => s.status)).toEqual(['passed', 'passed', 'passed']);
    expect(await leftovers(c.tmp)).toEqual({ qemu: [], folders: [] });
  }, 900_000);
});

describe('ipvs-harness selftest: bad input (exit 2, nothing boots)', () => {
  it.each([
    [['--kernel', 'foo:bar'], /unknown kernel spec "foo:bar"/],
    [['--kernel', 'path:/etc/passwd'], /not an x86 bzImage/],
    [[], /selftest needs --kernel <spec>/],
    [['--kernel', 'debian:6.1', '--timeout', 'soon'], /--timeout soon: expected a whole number of seconds/],
  ])('%j', async (args, message) => {
    const c = cli(['selftest', ...args, '--out', join(scratch, 'bad')], 'bad');
    const r = await c.run;
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(message);
    expect(await leftovers(c.tmp)).toEqual({ qemu: [], folders: [] });
  });
});
