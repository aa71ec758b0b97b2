// The canonical call-graph summary and the kernel-to-kernel diff, on real results: 5.10 vs 6.1 is
// renames and inlining only, 6.1 vs 6.12 nearly identical, and a real server at weight 0 changes
// behaviour (ip_vs_conn_new disappears, ip_vs_leave appears).
import { describe, expect, it } from 'vitest';
import { renderCallGraphDiffText } from '../analysis/report/callgraph-diff-text.ts';
import { hasBehaviourChange, type CallChange, type CallGraphDiff } from '../analysis/report/callgraph-diff.ts';
import { CALLGRAPH_SUMMARY_FORMAT, CALLGRAPH_SUMMARY_VERSION, parseCallGraphSummary, type CallGraphEntry, type CanonCall } from '../analysis/report/callgraph-summary.ts';
import { diffRunSides, type RunSide } from '../analysis/report/diff-runs.ts';
import { RESULTS_VERSION } from '../analysis/report/results.ts';
import { fixtureReport, type FixtureName } from './report-fixtures.ts';

function side(name: FixtureName, kernel: string, label = kernel): RunSide {
  const { report, traced } = fixtureReport(name);
  const results = { ...report.run, version: RESULTS_VERSION, kernels: report.kernels, scenarios: report.scenarios, cells: report.cells.map((c) => c.result) };
  return { results, traced, entries: report.callGraphs.entries, kernel, label };
}

const changes = (d: CallGraphDiff): CallChange[] => d.scenarios.flatMap((s) => s.roles.flatMap((r) => r.changes));

describe('canonical call-graph summary', () => {
  const { report } = fixtureReport('seed');
  const entries = report.callGraphs.entries;

  it('is versioned and keeps nothing that changes between runs', () => {
    expect(report.callGraphs).toMatchObject({ format: CALLGRAPH_SUMMARY_FORMAT, version: CALLGRAPH_SUMMARY_VERSION });
    const text = JSON.stringify(report.callGraphs);
    for (const key of ['startUs', 'durationUs', '"pid"', '"cpu"', '"line"', '"task"']) expect(text).not.toContain(key);
    expect(parseCallGraphSummary(JSON.parse(text), 'x.json').entries.length).toBe(entries.length);
    expect(() => parseCallGraphSummary({ ...report.callGraphs, version: 99 }, 'old.json')).toThrow(/old.json: version: call-graph summary version 99 is not supported; expected 1/);
  });

  it('has one entry per kernel x scenario x step x role x context, identical packets folded', () => {
    const of = (kernel: string, role: string, context = 'top') => entries.find((e) => e.kernel === kernel && e.scenario === 'pod-to-vip' && e.step === 'request' && e.role === role && e.context === context);
    const request = of('debian:6.1', 'remote_request')!;
    expect(request).toMatchObject({ hook: 'LOCAL_IN', family: 4, symbols: ['ip_vs_in_hook'], generation: 'hooks' });
    expect(request.variants.reduce((n, v) => n + v.count, 0)).toBe(request.calls);
    expect(request.variants.length).toBeLessThan(request.calls); // the ACKs and data packets fold into few trees
    // The LOCAL_OUT hooks re-entered from ip_vs_nat_xmit, under the same context on both generations.
    const nested = 'remote_request > ip_vs_nat_xmit > nf_hook_slow';
    expect(of('debian:5.10', 'local_request', nested)).toMatchObject({ symbols: ['ip_vs_local_request4'], hook: 'LOCAL_OUT' });
    expect(of('debian:6.1', 'local_request', nested)).toMatchObject({ symbols: ['ip_vs_in_hook'], hook: 'LOCAL_OUT' });
    // In the parent's tree the re-entry is a reference to its role, not a copy of its subtree.
    const tree = JSON.stringify(request.variants[0]!.tree);
    expect(tree).toContain('"hook":{"role":"local_request","hook":"LOCAL_OUT"}');
  });

  it('is the same on two kernels of one generation once kernel names are left out', () => {
    const strip = (k: string) => entries.filter((e) => e.kernel === k && e.scenario === 'host-to-vip').map(({ kernel: _k, release: _r, ...e }: CallGraphEntry) => e);
    expect(strip('debian:6.12')).toEqual(strip('debian:6.1'));
  });
});

describe('call-graph diff on the real seed run', () => {
  it('5.10 -> 6.1: the wrapper renames and the inlining changes, nothing behaviour-relevant', () => {
    const d = diffRunSides(side('seed', 'debian:5.10'), side('seed', 'debian:6.1'));
    expect(d.scenarios.map((s) => s.scenario).sort()).toHaveLength(7);
    expect(d.totals.behaviour).toBe(0);
    expect(hasBehaviourChange(d)).toBe(false);
    const messages = changes(d).map((c) => `${c.relevance} ${c.kind}: ${c.message}`);
    expect(messages).toContain('cosmetic renamed: hook function ip_vs_local_request4 on debian:5.10 is ip_vs_in_hook on debian:6.1 (same role)');
    expect(messages).toContain('cosmetic renamed: hook function ip_vs_reply4 on debian:5.10 is ip_vs_out_hook on debian:6.1 (same role)');
    expect(messages).toContain('cosmetic inlining: ip_vs_in (printed ip_vs_in.part.0) is traced on debian:5.10 and inlined on debian:6.1');
    expect(messages).toContain('cosmetic inlining: ip_vs_out (printed ip_vs_out.part.0) is traced on debian:5.10 and inlined on debian:6.1');
    expect(messages).toContain('cosmetic inlining: ip_vs_out_icmp is traced on debian:6.1 and inlined on debian:5.10');
    expect(messages.some((m) => m.startsWith('cosmetic clone: ip_vs_route_me_harder is printed ip_vs_route_me_harder.part.0'))).toBe(true);
    expect(changes(d).filter((c) => c.relevance === 'info').every((c) => c.kind === 'count' || c.kind === 'role-added')).toBe(true);
    const text = renderCallGraphDiffText(d);
    expect(text).toMatch(/^result: no behaviour-relevant difference \(\d+ cosmetic, \d+ informational distinct change\(s\)\)$/m);
    // Each distinct change once, with where it occurs.
    expect(text).toMatch(/^ {2}~ {2}renamed +hook function ip_vs_local_request4 on debian:5.10 is ip_vs_in_hook on debian:6.1 \(same role\) in \d+ steps of 7 scenarios/m);
    expect(text.match(/hook function ip_vs_local_request4 on debian:5.10 is ip_vs_in_hook/g)).toHaveLength(1);
    // Results recorded before kernels[].traceable: the diff says it cannot tell inlining by the kernels' sets.
    expect(d.traceabilityNote).toMatch(/^what debian:5.10 and debian:6.1 could trace was not recorded/);
  });

  it('6.1 -> 6.12: nearly identical (packet counts at most)', () => {
    const d = diffRunSides(side('seed', 'debian:6.1'), side('seed', 'debian:6.12'));
    expect(d.totals).toMatchObject({ behaviour: 0, cosmetic: 0 });
    expect(changes(d).every((c) => c.kind === 'count')).toBe(true);
  });

  it('a real server at weight 0: ip_vs_conn_new disappears and ip_vs_leave appears (behaviour)', () => {
    const d = diffRunSides(side('seed', 'debian:6.1', 'seed'), side('weight0', 'debian:6.1', 'weight0'));
    expect(hasBehaviourChange(d)).toBe(true);
    const request = d.scenarios.find((s) => s.scenario === 'pod-to-vip')!.roles.find((r) => r.role === 'remote_request' && r.context === 'top')!;
    expect(request.changes).toEqual(expect.arrayContaining([
      expect.objectContaining({ kind: 'removed', relevance: 'behaviour', path: 'tcp_conn_schedule > ip_vs_schedule > ip_vs_conn_new' }),
      expect.objectContaining({ kind: 'added', relevance: 'behaviour', path: 'tcp_conn_schedule > ip_vs_leave' }),
      expect.objectContaining({ kind: 'removed', relevance: 'behaviour', path: 'ip_vs_nat_xmit' }),
    ]));
    // Only the top of a removed subtree is reported, with how much it held.
    expect(request.changes.filter((c) => c.path.startsWith('ip_vs_nat_xmit >'))).toEqual([]);
    expect(d.notCompared).toContain('host-to-vip: run on seed only');
    expect(renderCallGraphDiffText(d)).toMatch(/^result: BEHAVIOUR DIFFERS: \d+ distinct behaviour-relevant change/m);
  });

  it('calls that run in the opposite order under the same caller are a behaviour change, nothing else is reported', () => {
    // 6.1's real trees with every caller's calls reversed: the same calls, in another order.
    const reverse = (c: CanonCall): CanonCall => (c.calls ? { ...c, calls: c.calls.map(reverse).reverse() } : c);
    const a = side('seed', 'debian:6.1', 'as-run');
    const b = side('seed', 'debian:6.1', 'reversed');
    b.entries = b.entries.map((e) => ({ ...e, variants: e.variants.map((v) => ({ ...v, tree: reverse(v.tree) })) }));
    const d = diffRunSides(a, b);
    const all = changes(d).filter((c) => c.kind !== 'count');
    expect(all.length).toBeGreaterThan(0);
    expect(all.every((c) => c.kind === 'order')).toBe(true);
    const reply = d.scenarios.find((s) => s.scenario === 'local-real-server')!.roles.find((r) => r.role === 'local_reply' && r.context === 'top')!;
    expect(reply.changes).toEqual(expect.arrayContaining([
      expect.objectContaining({ kind: 'order', relevance: 'behaviour', message: expect.stringMatching(/^calls inside .+ run in another order: \S+( -> \S+)+ on as-run; \S+( -> \S+)+ on reversed$/) }),
    ]));
    expect(renderCallGraphDiffText(d)).toMatch(/^result: BEHAVIOUR DIFFERS/m);
  });

  it('cells without a trace are listed as not compared, not as differences', () => {
    const built = fixtureReport('mixed');
    expect(built.report.diffs).toEqual([]);
    const d = diffRunSides(side('mixed', 'path:/etc/hostname'), side('mixed', 'debian:6.1'));
    expect(d.scenarios).toEqual([]);
    expect(d.notCompared).toEqual(['pod-to-vip: no trace on path:/etc/hostname (error)']);
  });
});
