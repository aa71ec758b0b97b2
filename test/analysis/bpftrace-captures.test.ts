// Real bpftrace call-event captures (`run --tracer both`; test/fixtures/traces/bpftrace/<kernel>/,
// every `<cell>.bpftrace.txt` found by listing, so a new kernel is a new folder): every line parses,
// every call is complete, and the trees match snapshot files next to the captures (durations left
// out; refresh with `vitest -u` after an intended change). Where the function_graph trace of the same
// cell is kept beside it (`<cell>.ftrace.txt`), both tracers must show the same hook roles, in the
// same order and nesting, in every step.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBpftraceCalls, sortBpftraceCalls } from '../../analysis/bpftrace-calls.ts';
import { detectTraceFormat } from '../../analysis/detect-format.ts';
import { parseFunctionGraph } from '../../analysis/function-graph-parser.ts';
import { walkCalls, type Trace } from '../../analysis/model.ts';
import { findRoleInstances, resolveGeneration } from '../../analysis/roles.ts';
import { findSection, sliceSection } from '../../analysis/section.ts';
import { stepsInTrace } from '../../analysis/step-markers.ts';
import { bpftraceCaptures, roleTree } from './fixtures.ts';

const CAPTURES = bpftraceCaptures();

/** Each step's hook calls as `fn roles+family [nested]`, in trace order. */
function rolesPerStep(trace: Trace, steps: ReturnType<typeof stepsInTrace>, release: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const step of steps) {
    const found = findSection(trace, step.section);
    if (!found.ok) throw new Error(found.message);
    const slice = sliceSection(trace, found.range);
    out[step.name] = findRoleInstances(slice, resolveGeneration(slice, release)).map(
      (i) => `${i.node.fn} ${i.roles.join('|') || 'no role'}${i.family ?? ''}${i.nested ? ' nested' : ''}`,
    );
  }
  return out;
}

it('finds the captures', () => {
  expect(CAPTURES.map((c) => `${c.kernel}/${c.name}`)).toEqual(expect.arrayContaining(['6.12/pod_vip', '6.12/host_vip']));
});

describe.each(CAPTURES)('real bpftrace capture $kernel/$name', ({ kernel, base }) => {
  const text = readFileSync(`${base}.bpftrace.txt`, 'utf8');

  it('is recognised, stored sorted, parses with every call complete and matches its tree snapshot', async () => {
    expect(detectTraceFormat(text)).toBe('bpftrace-calls');
    expect(sortBpftraceCalls(text)).toBe(text); // the runner stores it sorted
    const trace = parseBpftraceCalls(text);
    expect(trace.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(trace.lines).toBe(text.split('\n').length - 1);
    expect(trace.roots.length).toBeGreaterThan(0);
    expect(trace.roots.map((r) => r.line)).toEqual([...trace.roots.map((r) => r.line)].sort((a, b) => a - b));
    walkCalls(trace.roots, (n, parent) => {
      expect(n.complete, `${n.fn} at line ${n.line}`).toBe(true);
      expect(n.startUs).not.toBeNull();
      expect(n.durationUs).not.toBeNull();
      if (parent) expect(n.depth).toBe(parent.depth + 1);
    });
    expect(stepsInTrace(trace).length).toBeGreaterThan(0);
    const tree = roleTree(trace, kernel);
    await expect(tree).toMatchFileSnapshot(`${base}.tree.txt`);
  });

  it.runIf(existsSync(`${base}.ftrace.txt`))('shows the same hook roles per step as the function_graph trace of the same cell', () => {
    const ftrace = parseFunctionGraph(readFileSync(`${base}.ftrace.txt`, 'utf8'));
    const bpftrace = parseBpftraceCalls(text);
    const steps = stepsInTrace(ftrace);
    expect(stepsInTrace(bpftrace).map((s) => s.name)).toEqual(steps.map((s) => s.name));
    const fromFtrace = rolesPerStep(ftrace, steps, kernel);
    expect(Object.values(fromFtrace).flat().length).toBeGreaterThan(0);
    expect(rolesPerStep(bpftrace, steps, kernel)).toEqual(fromFtrace);
  });
});
