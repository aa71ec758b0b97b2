// Fault: a trace with holes (a ring buffer that overflowed, a file cut short). The graphs of a real run
// (test/fixtures/results/seed) hold on their full traces; with a hole they must hold or be judged
// "incomplete trace", never "does not hold". And `analyze` / `check` on a truncated file say so.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { matchExpectedGraph } from '../../analysis/expected-graph-match.ts';
import { parseFunctionGraph } from '../../analysis/function-graph-parser.ts';
import type { RunResults } from '../../analysis/report/results.ts';
import { judgeTrace } from '../../harness/run/judge-trace.ts';
import { loadScenarioFile } from '../../harness/scenario-loader.ts';
import { markLostEvents } from '../../scenarios/ring-buffer.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import { stepSection, TRACE_END_MARKER } from '../../analysis/step-markers.ts';
import { runCli } from '../run-cli.ts';

const root = join(import.meta.dirname, '..', '..');
const runDir = join(root, 'test', 'fixtures', 'results', 'seed');
const run = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as RunResults;

// Every (trace, expectation on a step) of the real run: the graph items of kind `path`.
const cases = run.cells.flatMap((cell) => {
  const scenario = loadScenarioFile(join(root, 'scenarios', 'seed', `${cell.scenario}.yaml`)).scenario;
  const text = readFileSync(join(runDir, cell.artifacts.trace!), 'utf8');
  return scenario.graphs.flatMap((item) => (item.kind === 'path' && item.step ? [{ cell: `${cell.kernel} ${cell.scenario} ${item.step}/${item.role}`, text, item, step: item.step, release: cell.kernelRelease! }] : []));
});

function verdict(text: string, c: (typeof cases)[number]) {
  return matchExpectedGraph(parseFunctionGraph(text), c.item.graph, { kernelRelease: c.release, section: stepSection(c.step) });
}

describe('graphs on a trace with holes: holds or incomplete, never a false "does not hold"', () => {
  it('every graph of the real run holds on its full trace (the baseline of the properties below)', () => {
    expect(cases.length).toBeGreaterThan(40);
    for (const c of cases) expect(verdict(c.text, c).holds, c.cell).toBe(true);
  });

  // A file cut at a line boundary before a section cannot be told from a file without it; the runner
  // tells by its final marker (tested with judgeTrace). From the section's begin marker on, it can.
  it('the trace cut at any byte from the section\'s begin marker on (1500 cases)', () => {
    fc.assert(
      fc.property(fc.nat(cases.length - 1), fc.double({ min: 0, max: 1, noNaN: true }), (which, frac) => {
        const c = cases[which]!;
        const marker = (stepSection(c.step) as { from: string }).from;
        const from = c.text.indexOf('\n', c.text.indexOf(marker)) + 1;
        const v = verdict(c.text.slice(0, from + Math.floor((c.text.length - from) * frac)), c);
        expect(v.holds || v.incomplete !== undefined, `${c.cell} cut at ${frac}: ${v.diffText}`).toBe(true);
      }),
      { numRuns: 1500 },
    );
  });

  it('the oldest lines overwritten and the loss marked, as in an overflowed ring buffer (1500 cases)', () => {
    fc.assert(
      fc.property(fc.nat(cases.length - 1), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 10_000_000 }), (which, frac, lost) => {
        const c = cases[which]!;
        const lines = c.text.split('\n');
        const body = lines.filter((l) => !l.startsWith('#'));
        const kept = body.slice(Math.floor(body.length * frac));
        const v = verdict([`CPU:0 [LOST ${lost} EVENTS]`, ...kept].join('\n'), c);
        expect(v.holds || v.incomplete !== undefined, `${c.cell} overwritten to ${frac}: ${v.diffText}`).toBe(true);
        // Once the section's begin marker is gone the verdict says why: the buffer overflowed.
        if (!v.holds) expect(v.diffText).toContain('INCOMPLETE TRACE');
      }),
      { numRuns: 1500 },
    );
  });

  it('a wrong expectation on a trace with holes elsewhere still fails: a complete call that breaks the path is a real failure', () => {
    const c = cases.find((x) => x.cell.startsWith('debian:6.1 host-to-vip request/local_request'))!;
    const wrong = { ...c, item: { ...c.item, graph: { ...c.item.graph, expect: c.item.graph.expect.map((e) => ({ ...e, forbid: ['ip_vs_schedule'] })) } } };
    const v = verdict(`CPU:0 [LOST 10 EVENTS]\n${c.text}`, wrong);
    expect(v.holds).toBe(false);
    expect(v.incomplete).toBeUndefined();
    expect(v.diffText).toContain('DOES NOT HOLD');
  });
});

// The runner's judge: traces end with its final marker (written after the last step); the trace of a
// real run with that marker added, then cut or overflowed, gives graphs that hold or are incomplete.
const runnerCells = run.cells.map((cell) => ({
  cell: `${cell.kernel} ${cell.scenario}`,
  scenario: loadScenarioFile(join(root, 'scenarios', 'seed', `${cell.scenario}.yaml`)).scenario as Scenario,
  text: `${readFileSync(join(runDir, cell.artifacts.trace!), 'utf8').trimEnd()}\n   99.000000 |   0)     sh-999     |               |  /* ${TRACE_END_MARKER} */\n`,
  release: cell.kernelRelease!,
}));

function judgedByRunner(text: string, c: (typeof runnerCells)[number]) {
  return judgeTrace(text, c.scenario, c.release, { finalMarker: TRACE_END_MARKER }).graphs;
}

describe("the runner's judge on traces with holes: every graph (order checks too) holds or is incomplete", () => {
  it('every graph holds on the full traces', () => {
    for (const c of runnerCells) expect(judgedByRunner(c.text, c).filter((g) => !g.holds).map((g) => `${c.cell} ${g.name}`)).toEqual([]);
  });

  it('cut at any byte: without its final marker no failing graph is taken for a real failure (1000 cases)', () => {
    fc.assert(
      fc.property(fc.nat(runnerCells.length - 1), fc.double({ min: 0, max: 1, noNaN: true }), (which, frac) => {
        const c = runnerCells[which]!;
        for (const g of judgedByRunner(c.text.slice(0, Math.floor(c.text.length * frac)), c)) expect(g.holds || g.incomplete !== undefined, `${c.cell} ${g.name}: ${g.diff}`).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('the ring buffer overflowed (oldest lines gone, the loss marked from the per-CPU stats) (1000 cases)', () => {
    fc.assert(
      fc.property(fc.nat(runnerCells.length - 1), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 1e7 }), (which, frac, overrun) => {
        const c = runnerCells[which]!;
        const lines = c.text.split('\n');
        const header = lines.filter((l) => l.startsWith('#'));
        const body = lines.filter((l) => !l.startsWith('#'));
        const survived = [...header, ...body.slice(Math.min(body.length - 2, Math.floor(body.length * frac)))].join('\n');
        const graphs = judgedByRunner(markLostEvents(survived, [{ cpu: 0, overrun, dropped: 0 }]), c);
        for (const g of graphs) expect(g.holds || g.incomplete !== undefined, `${c.cell} ${g.name}: ${g.diff}`).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

const cli = runCli;

describe('analyze and check on a truncated trace file', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ipvsh-truncated-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const full = readFileSync(join(root, 'test', 'fixtures', 'traces', '6.1', 'host_vip.ftrace.txt'));
  // Cut inside the first ip_vs_in_hook call: after its scheduling, before ip_vs_nat_xmit.
  const cutAt = full.indexOf('ip_vs_conn_hashkey_conn') + 10;
  const file = join(tmp, 'truncated.txt');
  writeFileSync(file, full.subarray(0, cutAt));

  it('analyze prints what it could read and says where the capture ends, exit 0', async () => {
    const r = await cli('analyze', file);
    expect(r.code).toBe(0);
    expect(r.out).toContain('ip_vs_conn_new [ip_vs]');
    expect(r.out).toMatch(/NO_RETURN: ip_vs_in_hook never returned in this capture/);
  });

  it('check says INCOMPLETE TRACE naming the cut call, not DOES NOT HOLD, exit 2', async () => {
    const r = await cli('check', file, '-e', join(root, 'analysis', 'graphs', 'local-request.yaml'));
    expect(r.code).toBe(2);
    expect(r.out).toContain('INCOMPLETE TRACE (cannot be judged)');
    expect(r.out).not.toContain('DOES NOT HOLD');
    expect(r.err).toMatch(/the trace is incomplete where the graphs looked: the capture ends inside ip_vs_in_hook \(line \d+\)/);
  });

  it('check --json carries the reason; the full file still holds (exit 0)', async () => {
    const r = await cli('check', file, '-e', join(root, 'analysis', 'graphs', 'local-request.yaml'), '--json');
    const [v] = JSON.parse(r.out) as { holds: boolean; incomplete?: string }[];
    expect(v).toMatchObject({ holds: false, incomplete: expect.stringContaining('ends inside ip_vs_in_hook') });
    const whole = join(tmp, 'whole.txt');
    writeFileSync(whole, full);
    expect((await cli('check', whole, '-e', join(root, 'analysis', 'graphs', 'local-request.yaml'))).code).toBe(0);
  });
});
