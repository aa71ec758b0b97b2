// bpftrace as a tracer, end to end through the CLI on real kernels (issue 17): `--tracer both` judges
// every graph on function_graph's trace and on bpftrace's, and the two must agree; `--tracer bpftrace`
// judges on bpftrace's alone, on 5.10's per-hook wrappers too. `npm test` runs this on every machine:
// `setup --for-tests` brings Debian's bpftrace for the guests.
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../analysis/report/results.ts';
import { parseBpftraceCalls } from '../analysis/bpftrace-calls.ts';

const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'ipvsh-tracers-e2e-'));
const tmp = join(dir, 'tmp');
mkdirSync(tmp);
const cli = (args: string[]) => execa('node', ['bin/ipvs-harness.js', ...args], { cwd: root, reject: false, timeout: 900_000, env: { CI: '1', TMPDIR: tmp } });
const read = (out: string): RunResults => JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResults;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('run --tracer both (debian:stable)', () => {
  const out = join(dir, 'both');
  // NAT with a nested LOCAL_OUT hook, and an ICMP error from ip_vs_out: one cell per guest (-j 2).
  // The whole seed suite's agreement is asserted on its captures (test/tracer-agreement.test.ts).
  const scenarios = ['pod-to-vip', 'icmp-from-ip_vs_out'];
  let r: Awaited<ReturnType<typeof cli>>;
  let results: RunResults;
  beforeAll(async () => {
    r = await cli(['run', '--tracer', 'both', '-k', 'debian:stable', '-j', '2', ...scenarios.flatMap((s) => ['-s', s]), '-o', out]);
    results = read(out);
  }, 1_000_000);

  it('passes, judged on both traces, and the tracers agree on every cell', () => {
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(results.cells.map((c) => c.scenario).sort()).toEqual([...scenarios].sort());
    for (const c of results.cells) {
      expect(c.tracer).toBe('both');
      expect(c.graphs.length).toBeGreaterThan(0);
      expect(c.bpftrace?.graphs.map((g) => g.name)).toEqual(c.graphs.map((g) => g.name));
      expect(c.bpftrace?.graphs.every((g) => g.holds), c.scenario).toBe(true);
      expect(c.agreement, c.scenario).toMatchObject({ agree: true, differences: [] });
      expect(c.agreement!.steps).toBe(c.steps.length);
    }
  });

  it("records bpftrace's version per kernel and keeps its trace beside function_graph's", () => {
    expect(results.kernels[0]!.bpftrace?.version).toMatch(/^v?\d+\.\d+/);
    for (const c of results.cells) {
      const text = readFileSync(join(out, c.artifacts.bpftrace!), 'utf8');
      const trace = parseBpftraceCalls(text);
      expect(trace.roots.length, c.scenario).toBeGreaterThan(0);
      expect(trace.diagnostics.filter((d) => d.severity === 'error'), c.scenario).toEqual([]);
      expect(trace.markers.map((m) => m.text)).toContain('ipvs-harness trace end');
    }
  });

  it('shows the agreement in the report and the tracer in the JUnit names', () => {
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html.match(/data-agree="true"/g)?.length).toBe(scenarios.length);
    expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toContain('name="pod-to-vip [ftrace+bpftrace]"');
  });
});

// The two runs below boot one guest each and run side by side (one core each).
const onlyOut = join(dir, 'bpftrace');
const badOut = join(dir, 'bad-probe');
let bothRuns: Promise<[Awaited<ReturnType<typeof cli>>, Awaited<ReturnType<typeof cli>>]> | undefined;
const sideBySide = () => (bothRuns ??= Promise.all([
  cli(['run', '--tracer', 'bpftrace', '-k', 'debian:5.10', '-s', 'pod-to-vip', '-o', onlyOut]),
  execa('node', ['bin/ipvs-harness.js', 'run', '--tracer', 'bpftrace', '-k', 'debian:stable', '-s', 'no-destination', '-o', badOut], {
    cwd: root, reject: false, timeout: 900_000, env: { CI: '1', TMPDIR: tmp, IPVS_HARNESS_TEST_FAULT: 'bpftrace-bad-probe' },
  }),
]));

describe('run --tracer bpftrace (debian:5.10: the per-hook wrappers)', () => {
  const out = onlyOut;
  let r: Awaited<ReturnType<typeof cli>>;
  let results: RunResults;
  beforeAll(async () => {
    r = (await sideBySide())[0];
    results = read(out);
  }, 1_000_000);

  it('judges the graphs on bpftrace trace alone, stored as the cell trace', () => {
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    const c = results.cells[0]!;
    expect(c.tracer).toBe('bpftrace');
    expect(c.graphs.length).toBeGreaterThan(0);
    expect(c.graphs.every((g) => g.holds)).toBe(true);
    expect(c.bpftrace).toBeUndefined();
    expect(readFileSync(join(out, c.artifacts.trace!), 'utf8')).toMatch(/^ipvs-harness bpftrace calls 1 \d+$/m);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
  });

  it('leaves no QEMU process behind', async () => {
    const ps = await execa('ps', ['-eo', 'args'], { reject: false });
    expect(ps.stdout.split('\n').filter((l) => l.startsWith('qemu-system') && l.includes(tmp))).toEqual([]);
  });
});

describe('a bpftrace program that cannot attach (IPVS_HARNESS_TEST_FAULT=bpftrace-bad-probe)', () => {
  const out = badOut;
  let r: Awaited<ReturnType<typeof cli>>;
  beforeAll(async () => {
    r = (await sideBySide())[1];
  }, 1_000_000);

  it("is an infrastructure error in phase trace with bpftrace's own message, not a hang and not a verdict", () => {
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(3);
    const c = read(out).cells[0]!;
    expect(c.status).toBe('error');
    expect(c.error).toMatchObject({ code: 'TRACER_FAILED', phase: 'trace' });
    expect(c.error!.message).toContain('bpftrace could not attach its probes');
    expect(c.error!.message).toContain('ipvs_harness_no_such_function');
    expect(c.graphs).toEqual([]);
  });
});
