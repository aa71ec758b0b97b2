// The kernel's own packets in the call-graph diff: on the real 5.10 capture of pod-to-vip-ipv6 with flow
// probes (test/fixtures/traces/flows), the node's IPv6 neighbour discovery crosses the IPVS hooks inside
// the step. Those hook calls are summarised apart (kernelOwn), and a run where the kernel sent them and
// a run where it did not (its timers decide: a guest restored from a snapshot, say) differ only
// informationally.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFunctionGraph } from '../analysis/function-graph-parser.ts';
import { diffCallGraphs, hasBehaviourChange } from '../analysis/report/callgraph-diff.ts';
import { summarizeCell } from '../analysis/report/callgraph-summary.ts';
import { stepSpans } from '../analysis/step-markers.ts';

const trace = parseFunctionGraph(readFileSync(join(import.meta.dirname, 'fixtures', 'traces', 'flows', '5.10', 'pod-to-vip-ipv6.trace.txt'), 'utf8'));
const entries = summarizeCell({ trace, kernel: 'debian:5.10', release: '5.10.0-46-cloud-amd64', scenario: 'pod-to-vip-ipv6', steps: stepSpans([{ name: 'request' }]) });
const side = (label: string) => ({ label, kernel: 'debian:5.10', release: '5.10.0-46-cloud-amd64', generation: 'wrappers' });

describe('the kernel\'s own packets, told by the flow probes', () => {
  it('are summarised apart from the step\'s own hook calls', () => {
    const own = entries.filter((e) => e.kernelOwn !== undefined);
    expect(own.length).toBeGreaterThan(0);
    expect(new Set(own.map((e) => e.kernelOwn))).toEqual(new Set(['IPv6 neighbour discovery']));
    expect(own.filter((e) => e.step === 'request').map((e) => e.role).sort()).toEqual(['local_reply', 'local_reply', 'local_request', 'local_request', 'remote_request', 'reply']);
    // The step's own traffic keeps its roles.
    expect(entries.some((e) => e.kernelOwn === undefined && e.step === 'request' && e.role === 'remote_request')).toBe(true);
  });

  it('a run without them differs only informationally, naming them', () => {
    const without = entries.filter((e) => e.kernelOwn === undefined);
    const d = diffCallGraphs({ side: side('with-nd'), entries }, { side: side('without-nd'), entries: without }, ['pod-to-vip-ipv6']);
    expect(hasBehaviourChange(d)).toBe(false);
    // In the step: named as the kernel's own (outside the steps they are late packets anyway).
    const removed = d.changes.filter((c) => c.kind === 'role-removed' && c.places.every((p) => p.step === 'request'));
    expect(removed.length).toBeGreaterThan(0);
    for (const c of removed) expect(c.reason).toBe('the kernel\'s own packets (IPv6 neighbour discovery): sent when the kernel decides, not by the step');
  });

  it('without the flow probes the same calls would count as behaviour', () => {
    // A role whose only calls were the kernel's own: gone on the other run, with nothing to tell the calls apart.
    const stripped = entries.filter((e) => e.kernelOwn === undefined);
    const ownOnly = entries.filter((e) => e.kernelOwn !== undefined && !stripped.some((x) => x.step === e.step && x.role === e.role && x.context === e.context));
    expect(ownOnly.length).toBeGreaterThan(0);
    const plain = entries.map(({ kernelOwn: _, ...e }) => e);
    const d = diffCallGraphs({ side: side('a'), entries: plain }, { side: side('b'), entries: stripped }, ['pod-to-vip-ipv6']);
    expect(hasBehaviourChange(d)).toBe(true);
  });
});
