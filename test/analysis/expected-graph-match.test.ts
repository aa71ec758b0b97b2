// Semantics of expected graphs, on small outlines written as function_graph text.
import { describe, expect, it } from 'vitest';
import { matchExpectedGraph, type MatchOptions } from '../../analysis/expected-graph-match.ts';
import type { ExpectationInput } from '../../analysis/expected-graph-types.ts';
import { defineExpectedGraph } from '../../analysis/expected-graph-validate.ts';
import { parseFunctionGraph } from '../../analysis/function-graph-parser.ts';
import { outline } from './outline.ts';

const trace = (text: string) => parseFunctionGraph(outline(text));
const judge = (text: string, exp: ExpectationInput, options: MatchOptions = {}) =>
  matchExpectedGraph(trace(text), defineExpectedGraph({ version: 1, name: 't', expect: [exp] }), options);

// A 6.x local request with its hook number, the shape of host_vip.
const REQUEST = `
ip_vs_in_hook [ip_vs] @hook=3
  ip_vs_conn_in_get_proto [ip_vs]
    ip_vs_conn_in_get [ip_vs]
  tcp_conn_schedule [ip_vs]
    ip_vs_service_find [ip_vs]
    ip_vs_schedule [ip_vs]
      ip_vs_rr_schedule [ip_vs_rr]
      ip_vs_conn_new [ip_vs]
  ip_vs_nat_xmit [ip_vs]
    nf_hook_slow
      ip_vs_out_hook [ip_vs] @hook=3
        ip_vs_conn_out_get [ip_vs]
        handle_response [ip_vs]
  ip_vs_conn_put [ip_vs]
`;

describe('paths', () => {
  it('holds when the calls appear in document order, nested or not', () => {
    const v = judge(REQUEST, { role: 'local_request', path: ['ip_vs_conn_in_get', 'tcp_conn_schedule', 'ip_vs_schedule', 'ip_vs_conn_new', 'ip_vs_nat_xmit'] });
    expect(v.holds).toBe(true);
    expect(v.perRole[0]).toMatchObject({ holds: true, definite: 1, candidates: 1, notes: [] });
  });

  it('a call named like an Object property (valueOf, constructor) is just a missing call (found by the fuzz tests)', () => {
    for (const name of ['valueOf', 'constructor', '__proto__', 'toString']) {
      const v = judge(REQUEST, { role: 'local_request', path: [name], forbid: [name] });
      expect(v.holds, name).toBe(false);
      expect(v.mismatches[0], name).toMatchObject({ kind: 'path', step: { status: 'missing' } });
    }
  });

  it('fails on a call out of order and says where it was', () => {
    const v = judge(REQUEST, { role: 'local_request', path: ['ip_vs_schedule', 'ip_vs_conn_in_get'] });
    expect(v.holds).toBe(false);
    expect(v.mismatches[0]).toMatchObject({ kind: 'path', at: 'expect[0].path[1]', step: { status: 'out-of-order' } });
    expect(v.diffText).toContain('OUT OF ORDER');
    expect(v.diffText).toMatch(/called at line \d+, before ip_vs_schedule/);
  });

  it('fails on a missing call and shows the expected path, the closest subtree and the first problem', () => {
    const v = judge(REQUEST, { role: 'local_request', path: ['ip_vs_conn_in_get', 'ip_vs_leave', 'ip_vs_nat_xmit'] });
    expect(v.mismatches[0]).toMatchObject({ at: 'expect[0].path[1]', step: { status: 'missing', expected: 'ip_vs_leave' } });
    expect(v.diffText).toContain('expected path (expect[0].path):');
    expect(v.diffText).toMatch(/ok +ip_vs_conn_in_get +line 4/);
    expect(v.diffText).toMatch(/MISSING +ip_vs_leave +not called after ip_vs_conn_in_get \(line 4\)/);
    expect(v.diffText).toContain('closest root: ip_vs_in_hook at line 1');
    expect(v.diffText).toMatch(/ip_vs_conn_in_get \[ip_vs\] +<- expect\[0\]\.path\[0\]/);
    expect(v.diffText).toContain('first problem: expect[0].path[1] ip_vs_leave: missing');
  });

  it('lets optional steps be absent, and matches them when present', () => {
    expect(judge(REQUEST, { role: 'local_request', path: ['ip_vs_conn_in_get', { call: 'ip_vs_leave', optional: true }, 'ip_vs_nat_xmit'] }).holds).toBe(true);
    // Taking the optional call would leave no room for the next step: it is skipped instead.
    expect(judge(REQUEST, { role: 'local_request', path: [{ call: 'ip_vs_conn_put', optional: true }, 'ip_vs_nat_xmit'] }).holds).toBe(true);
  });

  it('checks direct children, looking through helpers that some kernels inline', () => {
    expect(judge(REQUEST, { role: 'local_request', path: [{ call: 'tcp_conn_schedule', direct: true }] }).holds).toBe(true);
    const nested = judge(REQUEST, { role: 'local_request', path: [{ call: 'ip_vs_schedule', direct: true }] });
    expect(nested.holds).toBe(false);
    expect(nested.mismatches[0]!.step).toMatchObject({ status: 'not-direct' });
    const v510 = `
ip_vs_local_request4 [ip_vs]
  ip_vs_in.part.0 [ip_vs]
    tcp_conn_schedule [ip_vs]
`;
    expect(judge(v510, { role: 'local_request', path: [{ call: 'tcp_conn_schedule', direct: true }] }).holds).toBe(true);
  });

  it('matches nested sub-paths inside a call', () => {
    expect(judge(REQUEST, { role: 'local_request', path: [{ call: 'tcp_conn_schedule', inside: ['ip_vs_schedule', 'ip_vs_conn_new'] }] }).holds).toBe(true);
    const v = judge(REQUEST, { role: 'local_request', path: [{ call: 'tcp_conn_schedule', inside: ['ip_vs_conn_new', 'ip_vs_nat_xmit'] }] });
    expect(v.holds).toBe(false);
    expect(v.mismatches[0]).toMatchObject({ at: 'expect[0].path[0].inside[1]', step: { status: 'missing', expected: 'ip_vs_nat_xmit' } });
  });

  it('tries alternatives (anyOf) and name lists', () => {
    expect(judge(REQUEST, { role: 'local_request', path: [{ anyOf: ['udp_conn_schedule', ['tcp_conn_schedule', 'ip_vs_conn_new']] }, 'ip_vs_nat_xmit'] }).holds).toBe(true);
    expect(judge(REQUEST, { role: 'local_request', path: [{ call: ['udp_conn_schedule', 'tcp_conn_schedule'], inside: ['ip_vs_schedule'] }] }).holds).toBe(true);
    const v = judge(REQUEST, { role: 'local_request', path: [{ anyOf: ['udp_conn_schedule', 'sctp_conn_schedule'] }] });
    expect(v.holds).toBe(false);
    expect(v.diffText).toContain('anyOf(udp_conn_schedule | sctp_conn_schedule)');
  });

  it('forbids calls in the root and inside a step', () => {
    const root = judge(REQUEST, { role: 'local_request', path: ['ip_vs_conn_new'], forbid: ['ip_vs_conn_put'] });
    expect(root.holds).toBe(false);
    expect(root.diffText).toMatch(/FORBIDDEN .*ip_vs_conn_put is called at line \d+/);
    expect(root.mismatches[0]).toMatchObject({ kind: 'forbidden', at: 'expect[0].forbid' });
    expect(judge(REQUEST, { role: 'local_request', path: [{ call: 'tcp_conn_schedule', forbid: ['ip_vs_leave'] }] }).holds).toBe(true);
    const step = judge(REQUEST, { role: 'local_request', path: [{ call: 'tcp_conn_schedule', forbid: ['ip_vs_conn_new'] }] });
    expect(step.mismatches[0]!.step).toMatchObject({ status: 'forbidden' });
  });

  it('counts calls: exact, min, max; a zero minimum makes the step optional', () => {
    const t = `
ip_vs_in_hook [ip_vs] @hook=3
  ip_vs_conn_in_get_proto [ip_vs]
  ip_vs_schedule [ip_vs]
    ip_vs_conn_in_get_proto [ip_vs]
`;
    expect(judge(t, { role: 'local_request', path: [{ call: 'ip_vs_conn_in_get_proto', count: 2 }] }).holds).toBe(true);
    expect(judge(t, { role: 'local_request', path: [{ call: 'ip_vs_conn_in_get_proto', count: { max: 1 } }] }).mismatches[0]!.step).toMatchObject({ status: 'count', detail: 'called 2 time(s); expected at most 1' });
    expect(judge(t, { role: 'local_request', path: [{ call: 'ip_vs_leave', count: { max: 0 } }] }).holds).toBe(true);
    expect(judge(t, { role: 'local_request', path: [{ call: 'ip_vs_schedule', count: { min: 2 } }] }).holds).toBe(false);
  });

  it('lets helpers that kernels inline be absent, looking for their nested steps in their place', () => {
    const v61 = `
ip_vs_out_hook [ip_vs] @hook=3
  handle_response [ip_vs]
    tcp_snat_handler [ip_vs]
    ip_vs_conn_put [ip_vs]
`;
    const exp = { role: 'local_reply', path: [{ call: 'ip_vs_out', inside: [{ call: 'handle_response', inside: ['tcp_snat_handler', 'ip_vs_route_me_harder', 'ip_vs_conn_put'] }] }] };
    const v = judge(v61, exp);
    expect(v.holds).toBe(true);
    const strict = judge(v61, { role: 'local_reply', path: [{ call: 'ip_vs_route_me_harder', required: true }] });
    expect(strict.holds).toBe(false);
  });

  it('accepts the names a graph uses for functions traced under another symbol (icmp_send)', () => {
    const t = `
ip_vs_out_hook [ip_vs] @hook=2
  ip_vs_has_real_service [ip_vs]
  __icmp_send
`;
    expect(judge(t, { role: 'reply', path: ['ip_vs_has_real_service', 'icmp_send'] }).holds).toBe(true);
  });

  it('does not search nested hook calls or interrupts unless asked', () => {
    const exp = { role: 'local_request', path: ['handle_response'] };
    expect(judge(REQUEST, exp).holds).toBe(false);
    expect(judge(REQUEST, exp, { crossHooks: true }).holds).toBe(true);
    const irq = `
ip_vs_in_hook [ip_vs] @hook=3
  ! __sysvec_apic_timer_interrupt
    ip_vs_conn_new [ip_vs]
`;
    expect(judge(irq, { role: 'local_request', path: ['ip_vs_conn_new'] }).holds).toBe(false);
    expect(judge(irq, { role: 'local_request', path: ['ip_vs_conn_new'] }, { includeIrq: true }).holds).toBe(true);
  });

  it('judges a nested hook call as a root of its own role', () => {
    expect(judge(REQUEST, { role: 'local_reply', path: ['ip_vs_conn_out_get', 'handle_response'] }).holds).toBe(true);
  });

  it('matches calls of any function with root:', () => {
    expect(judge(REQUEST, { root: 'nf_hook_slow', path: ['ip_vs_out_hook'] }).holds).toBe(true);
    expect(judge(REQUEST, { root: 'nf_hook_slow', path: ['ip_vs_in_hook'] }).holds).toBe(false);
  });
});

describe('roots of a role', () => {
  const TWO = `
ip_vs_in_hook [ip_vs] @hook=3
  tcp_conn_schedule [ip_vs]
ip_vs_in_hook [ip_vs] @hook=3
  ip_vs_conn_put [ip_vs]
ip_vs_in_hook [ip_vs] @hook=1
  tcp_conn_schedule [ip_vs]
`;

  it('any: at least one root; roots: how many must satisfy', () => {
    expect(judge(TWO, { role: 'local_request', path: ['tcp_conn_schedule'] }).perRole[0]).toMatchObject({ holds: true, definite: 2, satisfied: [{ line: 1 }] });
    const two = judge(TWO, { role: 'local_request', path: ['tcp_conn_schedule'], roots: { min: 2 } });
    expect(two.mismatches[0]).toMatchObject({ kind: 'root-count', message: '1 root(s) of role local_request satisfy the path; expected at least 2' });
  });

  it('every: all roots of the role must satisfy', () => {
    const v = judge(TWO, { role: 'local_request', match: 'every', path: ['tcp_conn_schedule'] });
    expect(v.holds).toBe(false);
    expect(v.mismatches[0]).toMatchObject({ kind: 'every', message: '1 of 2 root(s) of role local_request do not satisfy the path (first: ip_vs_in_hook at line 5)' });
    expect(judge(TWO, { role: 'remote_request', match: 'every', path: ['tcp_conn_schedule'], roots: 1 }).holds).toBe(true);
  });

  it('says when no call has the role, listing the hook calls present', () => {
    const v = judge(TWO, { role: 'forward_icmp', path: [] });
    expect(v.mismatches[0]).toMatchObject({ kind: 'no-root' });
    expect(v.mismatches[0]!.message).toContain('ip_vs_in_hook (local_request)');
  });

  it('treats >= 5.16 hook calls without a hook number as candidates for every role of the function, and says so', () => {
    const unknown = `
ip_vs_in_hook [ip_vs]
  tcp_conn_schedule [ip_vs]
`;
    const v = judge(unknown, { role: 'local_request', path: ['tcp_conn_schedule'] });
    expect(v.perRole[0]).toMatchObject({ holds: true, definite: 0, candidates: 1 });
    expect(v.perRole[0]!.notes[0]).toContain('could be remote_request or local_request');
    const every = judge(unknown, { role: 'remote_request', match: 'every', path: ['tcp_conn_schedule'] });
    expect(every.perRole[0]!.notes.join('\n')).toContain('judged as "any" over 1 candidate(s)');
  });

  it('uses the family a probe reported (pf=10 is IPv6)', () => {
    const v6 = `
ip_vs_in_hook [ip_vs] @hook=3 pf=10
  tcp_conn_schedule [ip_vs]
`;
    expect(judge(v6, { role: 'local_request6', path: ['tcp_conn_schedule'] }).holds).toBe(true);
    expect(judge(v6, { role: 'local_request4', path: ['tcp_conn_schedule'] }).mismatches[0]!.kind).toBe('no-root');
  });

  it('picks the symbol generation from --kernel-release and warns when the trace disagrees', () => {
    const v = judge(TWO, { role: 'local_request', path: [] }, { kernelRelease: '5.10.0-46-cloud-amd64' });
    expect(v.generation).toMatchObject({ id: 'wrappers', source: 'kernel-release' });
    expect(v.notes[0]).toContain('the trace shows hooks symbols');
    expect(v.holds).toBe(false); // ip_vs_in_hook is not a hook function on 5.10
  });
});

describe('sections', () => {
  const STEPS = `
# ipvs-harness step connect begin
ip_vs_in_hook [ip_vs] @hook=3
  tcp_conn_schedule [ip_vs]
# ipvs-harness step connect end
# ipvs-harness step again begin
ip_vs_in_hook [ip_vs] @hook=3
  ip_vs_conn_put [ip_vs]
# ipvs-harness step again end
`;

  it('judges only the roots between the markers of a section', () => {
    expect(judge(STEPS, { role: 'local_request', section: 'step connect', match: 'every', path: ['tcp_conn_schedule'] }).holds).toBe(true);
    expect(judge(STEPS, { role: 'local_request', section: 'again', path: ['tcp_conn_schedule'] }).holds).toBe(false);
    expect(judge(STEPS, { role: 'local_request', section: { from: 'step again begin', to: 'step again end' }, path: ['ip_vs_conn_put'] }).holds).toBe(true);
    expect(judge(STEPS, { role: 'local_request', path: ['ip_vs_conn_put'] }, { section: 'step again' }).holds).toBe(true);
  });

  it('fails with the markers present when the section is not in the trace', () => {
    const v = judge(STEPS, { role: 'local_request', section: 'step missing', path: [] });
    expect(v.mismatches[0]).toMatchObject({ kind: 'section' });
    expect(v.mismatches[0]!.message).toContain('"ipvs-harness step connect begin"');
  });
});
