// Differences that are the harness's timing, not the kernel: hook calls that land on the other side
// of a step's end marker, and roots that are not hook calls. On the seed run's real 6.1 call graphs,
// with one step's late calls moved out of the step as a second run of the same kernel shows them.
import { describe, expect, it } from 'vitest';
import type { CallGraphEntry, CanonCall } from '../analysis/report/callgraph-summary.ts';
import { hasBehaviourChange } from '../analysis/report/callgraph-diff.ts';
import { diffRunSides, type RunSide } from '../analysis/report/diff-runs.ts';
import { RESULTS_VERSION } from '../analysis/report/results.ts';
import { fixtureReport, type FixtureName } from './report-fixtures.ts';

function side(label: string, fixture: FixtureName = 'seed', kernel = 'debian:6.1'): RunSide {
  const { report, traced } = fixtureReport(fixture);
  const results = { ...report.run, version: RESULTS_VERSION, kernels: report.kernels, scenarios: report.scenarios, cells: report.cells.map((c) => c.result) };
  return { results, traced, entries: report.callGraphs.entries, kernel, label };
}

describe('two runs of one kernel', () => {
  it('7.3.4 captured twice (new-kernels, traceable): no difference at all in the scenarios both ran (diff exits 0)', () => {
    const d = diffRunSides(side('run-1', 'new-kernels', 'debian:7.3'), side('run-2', 'traceable', 'debian:7.3'));
    expect(d.scenarios.map((s) => s.scenario)).toEqual(['host-to-vip', 'no-destination', 'pod-to-vip']);
    expect(hasBehaviourChange(d)).toBe(false);
    expect(d.changes).toEqual([]);
  });
});

const moved = (e: CallGraphEntry, role: string): boolean => e.kernel === 'debian:6.1' && e.scenario === 'pod-to-vip' && e.step === 'request' && e.role === role && e.context === 'top';

describe('hook calls on the other side of a step marker', () => {
  it('a role whose calls fall outside the step on the second run is informational, with the reason', () => {
    const a = side('run-1');
    const b = side('run-2');
    b.entries = b.entries.map((e) => (moved(e, 'reply') ? { ...e, step: '' } : e));
    const d = diffRunSides(a, b);
    expect(d.totals.behaviour).toBe(0);
    const change = d.changes.find((c) => c.kind === 'role-removed')!;
    expect(change).toMatchObject({ relevance: 'info', summary: 'reply hook calls on run-1 only' });
    expect(change.reason).toBe('moved across a step boundary: run-2 has as many more of these hook calls outside the steps (late packets of a step on either side of its marker)');
  });

  it('a role gone from a step with nothing to make up for it elsewhere stays behaviour-relevant', () => {
    const a = side('run-1');
    const b = side('run-2');
    b.entries = b.entries.filter((e) => !moved(e, 'reply'));
    const d = diffRunSides(a, b);
    expect(d.changes.filter((c) => c.relevance === 'behaviour').map((c) => `${c.kind} ${c.summary}`)).toEqual(['role-removed reply hook calls on run-1 only']);
  });

  it('a root that is not a hook call (a timer) appearing in a step is informational', () => {
    const a = side('run-1');
    const b = side('run-2');
    const timer: CallGraphEntry = { ...b.entries.find((e) => moved(e, 'reply'))!, role: 'call:estimation_timer', hook: null, symbols: ['estimation_timer'], calls: 1, variants: [{ count: 1, tree: { fn: 'estimation_timer', module: 'ip_vs' } }] };
    b.entries = [...b.entries, timer];
    const d = diffRunSides(a, b);
    expect(d.totals.behaviour).toBe(0);
    expect(d.changes.find((c) => c.kind === 'role-added')?.reason).toBe('not a hook call: estimation_timer runs outside the netfilter hooks, in whichever step its time falls');
  });
});

const icmp = (e: CallGraphEntry, step: string, role: string): boolean => e.kernel === 'debian:6.1' && e.scenario === 'icmp-from-ip_vs_out' && e.step === step && e.role === role && e.context === 'top';

describe('late packets of an earlier step (issue 19: icmp-from-ip_vs_out, two runs of one kernel)', () => {
  it('hook calls in a step that sends nothing itself (the sysctls step icmp-off) are informational, with the reason', () => {
    const a = side('run-1');
    const b = side('run-2');
    const late = b.entries.find((e) => icmp(e, 'tcp-late-on', 'reply'))!;
    b.entries = [...b.entries, { ...late, step: 'icmp-off', calls: 2 }];
    const d = diffRunSides(a, b);
    expect(a.results.cells.find((c) => c.kernel === 'debian:6.1' && c.scenario === 'icmp-from-ip_vs_out')!.steps.find((s) => s.name === 'icmp-off')!.kind).toBe('sysctls');
    expect(d.totals.behaviour).toBe(0);
    const change = d.changes.find((c) => c.kind === 'role-added')!;
    expect(change.relevance).toBe('info');
    expect(change.reason).toBe('step icmp-off sends no packets of its own (a sysctls step): its hook calls are late packets of an earlier step');
  });

  it('a role missing from a traffic step after a step that did not drain is informational, naming what was in flight', () => {
    const a = side('run-1');
    const b = side('run-2');
    b.entries = b.entries.filter((e) => !icmp(e, 'udp-off', 'reply'));
    const strict = diffRunSides(a, b);
    expect(strict.changes.filter((c) => c.relevance === 'behaviour').map((c) => `${c.kind} ${c.summary}`)).toEqual(['role-removed reply hook calls on run-1 only']);
    // The same change when run-2's runner recorded that tcp-late-on's real server was still retransmitting.
    b.results = {
      ...b.results,
      cells: b.results.cells.map((c) => (c.kernel === 'debian:6.1' && c.scenario === 'icmp-from-ip_vs_out'
        ? { ...c, steps: c.steps.map((s) => (s.name === 'tcp-late-on' ? { ...s, inFlight: ['rs2: 10.244.1.3:81 -> 10.244.2.2:40412 ESTABLISHED, retransmitting, 11 byte(s) unacknowledged'] } : s)) }
        : c)),
    };
    const d = diffRunSides(a, b);
    expect(d.totals.behaviour).toBe(0);
    expect(d.changes.find((c) => c.kind === 'role-removed')!.reason).toBe('step tcp-late-on still had packets in flight at its end marker (rs2: 10.244.1.3:81 -> 10.244.2.2:40412 ESTABLISHED, retransmitting, 11 byte(s) unacknowledged): late packets land in whichever later step their time falls');
  });
});

describe('a timer callback inside a hook call', () => {
  it('estimation_timer run inside a call on one side only is informational (it runs when its timer fires)', () => {
    const a = side('run-1');
    const b = side('run-2');
    const withTimer = (t: CanonCall): CanonCall => ({ ...t, calls: [...(t.calls ?? []), { fn: 'estimation_timer', module: 'ip_vs' }] });
    b.entries = b.entries.map((e) => (moved(e, 'reply') ? { ...e, variants: e.variants.map((v) => ({ ...v, tree: withTimer(v.tree) })) } : e));
    const d = diffRunSides(a, b);
    expect(d.totals.behaviour).toBe(0);
    const c = d.changes.find((x) => x.kind === 'added' && x.fn === 'estimation_timer')!;
    expect(c.relevance).toBe('info');
    expect(c.reason).toBe('estimation_timer is a timer callback: it runs when its timer fires, inside whatever call is running then');
  });
});

describe('runs of different tracers', () => {
  it('a scenario traced by bpftrace on one side and by ftrace on the other is not compared, with the reason', () => {
    const a = side('run-1');
    const b = side('run-2');
    b.results = { ...b.results, cells: b.results.cells.map((c) => (c.scenario === 'pod-to-vip' ? { ...c, tracer: 'bpftrace' as const } : c)) };
    const d = diffRunSides(a, b);
    expect(d.scenarios.map((s) => s.scenario)).not.toContain('pod-to-vip');
    expect(d.notCompared).toContain('pod-to-vip: traced by ftrace on run-1 and by bpftrace on run-2; compare runs of one tracer (--tracer)');
    // `both` is judged on function_graph first: comparable with an ftrace run.
    b.results = { ...b.results, cells: b.results.cells.map((c) => (c.scenario === 'pod-to-vip' ? { ...c, tracer: 'both' as const } : c)) };
    expect(diffRunSides(a, b).scenarios.map((s) => s.scenario)).toContain('pod-to-vip');
  });
});
