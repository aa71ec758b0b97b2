// A required call the kernel cannot trace, judged on a real 7.3.4 capture with the functions its trace
// filter selected (test/fixtures/results/traceable): the verdict says the kernel cannot trace it,
// instead of only "missing". ip_vs_conn_fill_param_proto is not a text symbol of 7.3's ip_vs.ko.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JudgedStep, RunResults } from '../../analysis/report/results.ts';
import { parseScenario } from '../../scenarios/parse-scenario.ts';
import { SEED_DIR } from '../scenario-loader.ts';
import { judgeTrace } from './judge-trace.ts';

const dir = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'results', 'traceable');
const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResults;
const cell = results.cells.find((c) => c.kernel === 'debian:7.3' && c.scenario === 'host-to-vip')!;
const trace = readFileSync(join(dir, cell.artifacts.trace!), 'utf8');
const traceable = results.kernels.find((k) => k.spec === 'debian:7.3')!.traceable!.functions;
// host-to-vip's graph asking, before the lookup, for the helper 6.12.95 traces and 7.3 inlines.
const yaml = readFileSync(join(SEED_DIR, 'host-to-vip.yaml'), 'utf8').replace('      - ip_vs_conn_in_get\n', '      - ip_vs_conn_fill_param_proto\n      - ip_vs_conn_in_get\n');
const scenario = parseScenario(yaml, 'host-to-vip.yaml');
const flat = (steps: readonly JudgedStep[]): JudgedStep[] => steps.flatMap((s) => [s, ...flat(s.inside ?? [])]);

describe('a required helper the kernel cannot trace', () => {
  it('is reported as not traceable on this kernel, on the step and in the notes', () => {
    const graph = judgeTrace(trace, scenario, cell.kernelRelease!, { traceable }).graphs.find((g) => g.role === 'local_request' && g.kind === 'path')!;
    expect(graph.holds).toBe(false);
    expect(graph.notes).toContain('ip_vs_conn_fill_param_proto cannot be traced on this kernel (not among its traceable functions: inlined, or not in its text); the trace cannot show it');
    const step = flat(graph.judged!.steps).find((s) => s.expected === 'ip_vs_conn_fill_param_proto')!;
    expect(step.status).toBe('missing');
    expect(step.detail).toMatch(/cannot be traced on this kernel/);
  });

  it('is only missing when what the kernel could trace is not known, and a traceable call missing stays missing', () => {
    const plain = judgeTrace(trace, scenario, cell.kernelRelease!).graphs.find((g) => g.role === 'local_request' && g.kind === 'path')!;
    expect(plain.notes ?? []).not.toContainEqual(expect.stringMatching(/cannot be traced/));
    const other = parseScenario(readFileSync(join(SEED_DIR, 'host-to-vip.yaml'), 'utf8').replace('      - ip_vs_conn_in_get\n', '      - ip_vs_conn_out_get\n'), 'x.yaml');
    const g = judgeTrace(trace, other, cell.kernelRelease!, { traceable }).graphs.find((x) => x.role === 'local_request' && x.kind === 'path')!;
    expect(g.holds).toBe(false);
    expect(g.notes ?? []).not.toContainEqual(expect.stringMatching(/cannot be traced/));
  });
});
