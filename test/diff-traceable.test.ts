// The kernel-to-kernel diff with what each kernel could trace, on a real run of Debian 6.12.118 and
// 7.3.4 that recorded it (test/fixtures/results/traceable, `run -k debian:6.12 -k debian:7.3 -s
// host-to-vip -s no-destination -s pod-to-vip`) and on the seed run's 6.12.95 (recorded before:
// no traceable functions). ip_vs_conn_fill_param_proto is a traced call on 6.12.95 and not a text
// symbol of 7.3's ip_vs.ko (inlined: cosmetic); ip_vs_rht_hash_linfo is 7.x's new service hash
// table (behaviour), one distinct change however many steps show it.
import { load } from 'cheerio';
import { describe, expect, it } from 'vitest';
import { diffHtml } from '../analysis/report/html-diff.ts';
import { renderCallGraphDiffText } from '../analysis/report/callgraph-diff-text.ts';
import type { CallGraphDiff } from '../analysis/report/callgraph-diff.ts';
import { diffRunSides, type RunSide } from '../analysis/report/diff-runs.ts';
import { RESULTS_VERSION } from '../analysis/report/results.ts';
import { newerSide, traceability } from '../analysis/report/traceable.ts';
import { fixtureReport, type FixtureName } from './report-fixtures.ts';

function side(name: FixtureName, kernel: string, label = kernel): RunSide {
  const { report, traced } = fixtureReport(name);
  const results = { ...report.run, version: RESULTS_VERSION, kernels: report.kernels, scenarios: report.scenarios, cells: report.cells.map((c) => c.result) };
  return { results, traced, entries: report.callGraphs.entries, kernel, label };
}

const distinct = (d: CallGraphDiff, relevance: string) => d.changes.filter((c) => c.relevance === relevance).map((c) => `${c.kind} ${c.summary} ${c.where}`);

describe('what each kernel could trace, recorded by the run', () => {
  const { report } = fixtureReport('traceable');
  const fns = (spec: string) => report.kernels.find((k) => k.spec === spec)!.traceable!.functions;

  it('holds the ip_vs functions and the plan core functions the filter selected, per kernel', () => {
    for (const spec of ['debian:6.12', 'debian:7.3']) {
      expect(fns(spec)).toEqual(expect.arrayContaining(['ip_vs_in_hook', 'ip_vs_out_hook', 'ip_vs_service_find', 'tcp_conn_schedule', 'nf_hook_slow']));
      expect([...fns(spec)].sort()).toEqual(fns(spec));
    }
    expect(fns('debian:7.3')).toContain('ip_vs_rht_hash_linfo');
    expect(fns('debian:6.12')).not.toContain('ip_vs_rht_hash_linfo');
    for (const spec of ['debian:6.12', 'debian:7.3']) expect(fns(spec)).not.toContain('ip_vs_conn_fill_param_proto');
  });
});

describe('6.12 -> 7.3 diff: inlining told from new calls, changes grouped', () => {
  it('6.12.95 (seed, no traceable set) -> 7.3.4: ip_vs_conn_fill_param_proto inlined (cosmetic), ip_vs_rht_hash_linfo added once with its places', () => {
    const d = diffRunSides(side('seed', 'debian:6.12'), side('traceable', 'debian:7.3'));
    expect(distinct(d, 'behaviour')).toEqual(['added ip_vs_rht_hash_linfo added under ip_vs_service_find (called on debian:7.3 only) in 4 steps of 3 scenarios (roles local_request, remote_request)']);
    expect(d.totals.behaviour).toBe(1);
    expect(d.occurrences.behaviour).toBe(4);
    expect(distinct(d, 'cosmetic')).toEqual([expect.stringMatching(/^inlining ip_vs_conn_fill_param_proto is traced on debian:6.12 and inlined on debian:7.3 \(debian:7.3 cannot trace it: not among its traceable functions\) in 4 steps of 3 scenarios/)]);
    const all = d.scenarios.flatMap((s) => s.roles.flatMap((r) => r.changes));
    expect(all.filter((c) => c.message.includes('ip_vs_conn_fill_param_proto')).every((c) => c.relevance === 'cosmetic')).toBe(true);
    // The 6.12 side's set is not known: the diff says so.
    expect(d.traceabilityNote).toMatch(/^what debian:6.12 could trace was not recorded .*: a call missing on debian:6.12 counts as added or removed/);
    const text = renderCallGraphDiffText(d);
    expect(text).toMatch(/^result: BEHAVIOUR DIFFERS: 1 distinct behaviour-relevant change\(s\) \(1 cosmetic, 0 informational\)$/m);
    expect(text.indexOf('ip_vs_rht_hash_linfo added under ip_vs_service_find')).toBeLessThan(text.indexOf('per step ('));
    // The HTML leads with the same distinct changes, each with its places folded below it.
    const $ = load(diffHtml(d, 0));
    const lead = $('ul.changes.distinct > li[data-relevance="behaviour"]');
    expect(lead).toHaveLength(1);
    expect(lead.attr('data-places')).toBe('4');
    expect(lead.find('details li')).toHaveLength(4);
    expect($('.diff-pair').attr('data-behaviour')).toBe('1');
  });

  it('without 7.3\'s traceable functions, the same diff falls back: ip_vs_conn_fill_param_proto removed (behaviour)', () => {
    const b = side('traceable', 'debian:7.3');
    b.results = { ...b.results, kernels: b.results.kernels.map(({ traceable: _t, ...k }) => k) };
    const d = diffRunSides(side('seed', 'debian:6.12'), b);
    expect(distinct(d, 'behaviour')).toEqual([
      'removed ip_vs_conn_fill_param_proto removed under ip_vs_conn_out_get_proto (called on debian:6.12 only) in 4 steps of 3 scenarios (roles reply, local_reply)',
      'removed ip_vs_conn_fill_param_proto removed under ip_vs_conn_in_get_proto (called on debian:6.12 only) in 4 steps of 3 scenarios (roles local_request, remote_request)',
      'added ip_vs_rht_hash_linfo added under ip_vs_service_find (called on debian:7.3 only) in 4 steps of 3 scenarios (roles local_request, remote_request)',
    ]);
    expect(d.traceabilityNote).toMatch(/^what debian:6.12 and debian:7.3 could trace was not recorded/);
  });

  it('6.12.118 -> 7.3.4, both sets recorded: one behaviour change, new in 7.3\'s text', () => {
    const d = diffRunSides(side('traceable', 'debian:6.12'), side('traceable', 'debian:7.3'));
    expect(d.changes.map((c) => [c.relevance, c.kind, c.summary, c.reason])).toEqual([
      ['behaviour', 'added', 'ip_vs_rht_hash_linfo added under ip_vs_service_find (called on debian:7.3 only)', 'new in debian:7.3: debian:6.12 has no traceable function of that name'],
    ]);
    expect(d.changes[0]!.places.map((p) => `${p.scenario}/${p.step}/${p.role}`).sort()).toEqual([
      'host-to-vip/request/local_request', 'no-destination/tcp/remote_request', 'no-destination/udp/remote_request', 'pod-to-vip/request/remote_request',
    ]);
    expect(d.traceabilityNote).toBeUndefined();
  });

  it('7.3 -> 6.12 (the other way round): the same facts, the newer kernel decides', () => {
    const d = diffRunSides(side('traceable', 'debian:7.3'), side('seed', 'debian:6.12'));
    expect(distinct(d, 'behaviour')).toEqual(['removed ip_vs_rht_hash_linfo removed under ip_vs_service_find (called on debian:7.3 only) in 4 steps of 3 scenarios (roles local_request, remote_request)']);
    expect(distinct(d, 'cosmetic')).toEqual([expect.stringMatching(/^inlining ip_vs_conn_fill_param_proto is traced on debian:6.12 and inlined on debian:7.3/)]);
  });
});

describe('traceability rules', () => {
  it('takes the kernel with the higher release as the newer one, B when unknown', () => {
    expect(newerSide('6.12.95+deb12-cloud-amd64', '7.3.4+deb13-cloud-amd64')).toBe('b');
    expect(newerSide('7.3.4', '6.12.118')).toBe('a');
    expect(newerSide('6.12.95', '6.12.118')).toBe('b');
    expect(newerSide(null, '5.10.0')).toBe('b');
  });

  it('a call the other kernel could trace and did not make is removed or added, with that reason', () => {
    const t = traceability({ release: '6.12.0', traceable: ['ip_vs_schedule', 'ip_vs_in.part.0'] }, { release: '6.12.1', traceable: ['ip_vs_schedule', 'ip_vs_in'] });
    const labels = { a: 'A', b: 'B' };
    expect(t.reason('a', 'ip_vs_schedule', labels)).toBe('B could trace it and did not call it');
    expect(t.canTrace('a', 'ip_vs_in')).toBe(true); // clone suffixes are dropped
    expect(t.inlinedOnNewer('ip_vs_conn_fill_param_proto')).toBe(true);
    expect(t.reason('b', 'ip_vs_rht_hash_linfo', labels)).toBe('new in B: A has no traceable function of that name');
    expect(t.note(labels)).toBeNull();
  });
});

describe('a behaviour-relevant change on both kernels, side by side', () => {
  it('6.12 -> 7.3: ip_vs_rht_hash_linfo under ip_vs_service_find on 7.3, absent on 6.12, from the hook function down', () => {
    const d = diffRunSides(side('seed', 'debian:6.12'), side('traceable', 'debian:7.3'));
    const change = d.changes.find((c) => c.relevance === 'behaviour')!;
    expect(change.sides!.at).toBe('host-to-vip step request, role local_request');
    const a = change.sides!.a!.join('\n');
    const b = change.sides!.b!.join('\n');
    expect(a).toMatch(/^ip_vs_in_hook\n(.*\n)*\s+ip_vs_service_find/);
    expect(a).not.toContain('ip_vs_rht_hash_linfo');
    expect(b).toMatch(/^ip_vs_in_hook\n(.*\n)*\s+ip_vs_service_find\n\s+ip_vs_rht_hash_linfo {3}<== here/);
    // Cosmetic changes carry no excerpt; the HTML puts the two sides in one table, with a link to the trees.
    expect(d.changes.filter((c) => c.relevance !== 'behaviour').every((c) => c.sides === undefined)).toBe(true);
    const $ = load(diffHtml(d, 0));
    const table = $('li[data-relevance="behaviour"] table.change-sides');
    expect(table.find('th').map((_, e) => $(e).text()).get()).toEqual(['debian:6.12', 'debian:7.3']);
    expect(table.find('pre.calls').eq(1).text()).toContain('ip_vs_rht_hash_linfo   <== here');
    expect(table.find('a').attr('href')).toBe('#sbs-host-to-vip');
  });
});
