// The two tracers tell the same story on the seed suite (issue 17): real captures of `run --tracer
// both` on Debian's 5.10, 6.1, 6.12 and 7.3 (test/fixtures/traces/tracers/<kernel>/<scenario>.
// {ftrace,bpftrace}.txt, the kernel's release in release.txt), each judged against the scenario's
// expected graphs by the run's judge on each trace, then compared as the runner compares them.
// bpftrace's captures also parse with no error diagnostics and every call complete.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBpftraceCalls } from '../analysis/bpftrace-calls.ts';
import type { CallNode } from '../analysis/model.ts';
import { judgeTrace } from '../harness/run/judge-trace.ts';
import { parseFunctionGraph } from '../analysis/function-graph-parser.ts';
import { tracerAgreement } from '../analysis/tracer-agreement.ts';
import { loadScenarioFile } from '../harness/scenario-loader.ts';
import { TRACE_END_MARKER } from '../analysis/step-markers.ts';

const DIR = join(import.meta.dirname, 'fixtures', 'traces', 'tracers');
const SEED = join(import.meta.dirname, '..', 'scenarios', 'seed');
const kernels = readdirSync(DIR).filter((k) => existsSync(join(DIR, k, 'release.txt'))).sort();
const cases = kernels.flatMap((k) => readdirSync(join(DIR, k)).filter((f) => f.endsWith('.bpftrace.txt')).map((f) => [k, f.slice(0, -'.bpftrace.txt'.length)] as const));

describe('captures of --tracer both', () => {
  it('a step whose markers are in neither trace is a difference, not a silent skip', () => {
    const k = kernels.find((x) => existsSync(join(DIR, x, 'host-to-vip.ftrace.txt')))!;
    const release = readFileSync(join(DIR, k, 'release.txt'), 'utf8').trim();
    const scenario = loadScenarioFile(join(SEED, 'host-to-vip.yaml')).scenario;
    const cut = (t: string) => t.split('\n').filter((l) => !l.includes('ipvs-harness step request')).join('\n');
    const f = cut(readFileSync(join(DIR, k, 'host-to-vip.ftrace.txt'), 'utf8'));
    const b = cut(readFileSync(join(DIR, k, 'host-to-vip.bpftrace.txt'), 'utf8'));
    const a = tracerAgreement({ ftrace: parseFunctionGraph(f), bpftrace: parseBpftraceCalls(b), steps: scenario.steps.map((x) => x.name), kernelRelease: release, graphs: { ftrace: [], bpftrace: [] } });
    expect(a.agree).toBe(false);
    expect(a.differences).toContain('step request: its markers are in neither trace: nothing to compare');
  });

  it('cover 5.10, 6.1, 6.12 and 7.3', () => {
    expect(kernels.map((k) => readFileSync(join(DIR, k, 'release.txt'), 'utf8').trim().split('.').slice(0, 2).join('.'))).toEqual(['5.10', '6.1', '6.12', '7.3']);
  });

  it.each(cases)('%s %s: bpftrace parses cleanly, and the tracers agree on the roles, their order and nesting, and every graph', (kernel, scenarioName) => {
    const release = readFileSync(join(DIR, kernel, 'release.txt'), 'utf8').trim();
    const bpftraceText = readFileSync(join(DIR, kernel, `${scenarioName}.bpftrace.txt`), 'utf8');
    const trace = parseBpftraceCalls(bpftraceText);
    expect(trace.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(trace.roots.length).toBeGreaterThan(0);
    // Every call complete, but two known gaps (docs/tracers.md): a call already running when the
    // probes attached returns without its entry (before the first step), and 5.10's kretprobe misses
    // the return of a hook wrapper entered again on the same task (ip_vs_local_request4 under
    // ip_vs_nat_xmit): that call is incomplete (no-return) with its entry and children kept.
    const firstMarker = trace.markers[0]?.line ?? Infinity;
    const visit = (n: CallNode, ancestors: readonly string[]): void => {
      if (!n.complete) {
        const early = n.incomplete === 'no-entry' && n.line < firstMarker;
        const reentered = release.startsWith('5.10') && n.incomplete === 'no-return' && ancestors.includes(n.fn);
        expect(early || reentered, `${n.fn} line ${n.line}`).toBe(true);
      }
      for (const c of n.children) visit(c, [...ancestors, n.fn]);
    };
    for (const r of trace.roots) visit(r, []);
    const ftracePath = join(DIR, kernel, `${scenarioName}.ftrace.txt`);
    if (!existsSync(ftracePath)) return;
    const scenario = loadScenarioFile(join(SEED, `${scenarioName}.yaml`)).scenario;
    const ftraceText = readFileSync(ftracePath, 'utf8');
    const f = judgeTrace(ftraceText, scenario, release, { finalMarker: TRACE_END_MARKER });
    const b = judgeTrace(bpftraceText, scenario, release, { finalMarker: TRACE_END_MARKER, tracer: 'bpftrace' });
    expect(b.graphs.filter((g) => !g.holds).map((g) => g.name)).toEqual([]);
    const agreement = tracerAgreement({ ftrace: f.trace, bpftrace: b.trace, steps: scenario.steps.map((x) => x.name), kernelRelease: release, graphs: { ftrace: f.graphs, bpftrace: b.graphs } });
    expect(agreement.differences).toEqual([]);
    expect(agreement.steps).toBe(scenario.steps.length);
  });
});
