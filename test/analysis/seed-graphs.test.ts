// The seed expected graphs (analysis/graphs/*.yaml), written once per role, judged on the real captures
// of Debian 5.10, 6.1 and 6.12: they hold on the right cases and fail, with a diff, on the wrong ones.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { matchExpectedGraph } from '../../analysis/expected-graph-match.ts';
import { parseExpectedGraphOrThrow } from '../../analysis/expected-graph-yaml.ts';
import { parseFunctionGraph } from '../../analysis/function-graph-parser.ts';
import { allHookFunctionNames } from '../../analysis/ipvs-symbols.ts';
import type { CallNode } from '../../analysis/model.ts';
import { capture, GRAPHS, KERNELS, TRACES } from './fixtures.ts';

const graph = (name: string) => parseExpectedGraphOrThrow(readFileSync(join(GRAPHS, `${name}.yaml`), 'utf8'), `${name}.yaml`);
const judge = (g: string, kernel: string, name: string) => matchExpectedGraph(parseFunctionGraph(capture(kernel, name)), graph(g));

const RIGHT: Record<string, string[]> = {
  'local-request': ['host_vip', 'local_reply_host'],
  'local-reply': ['local_reply', 'local_reply_host'],
  'icmp-unreachable-from-reply': ['icmp_out', 'icmp_out_tcp'],
  'no-destination': ['noavail_udp', 'noavail_tcp'],
};

// Wrong cases: each graph fails there on every kernel.
const WRONG: Record<string, string[]> = {
  'local-request': ['noavail_tcp', 'noavail_udp', 'icmp_out'],
  'local-reply': ['icmp_out', 'noavail_tcp', 'pod_vip_udp'],
  'icmp-unreachable-from-reply': ['icmp_out_off', 'host_vip', 'noavail_tcp'],
  'no-destination': ['pod_vip', 'host_vip', 'icmp_out'],
};

// The first problem the diff names, for the headline wrong cases (same on every kernel).
const FIRST_PROBLEM: Array<[string, string, string]> = [
  ['icmp-unreachable-from-reply', 'icmp_out_off', 'expect[0].path[1] ip_vs_has_real_service: missing - not called after ip_vs_conn_out_get'],
  ['no-destination', 'pod_vip', 'expect[0].path[1].inside[1] ip_vs_leave: missing - not called after ip_vs_schedule'],
  ['local-reply', 'icmp_out', 'expect[0].path[1] handle_response: missing - not called after ip_vs_conn_out_get'],
];

describe.each(KERNELS)('seed graphs on kernel %s', (kernel) => {
  for (const [g, cases] of Object.entries(RIGHT)) {
    it.each(cases)(`${g} holds on %s`, (name) => {
      const v = judge(g, kernel, name);
      expect(v.diffText, v.diffText).toMatch(/HOLDS/);
      expect(v.holds).toBe(true);
      // 5.10 wrappers name the role; on 6.x, without probe events, the hook number is unknown.
      if (kernel === '5.10') expect(v.perRole[0]!.notes).toEqual([]);
      else expect(v.perRole[0]!.notes.join(' ')).toMatch(/hook number unknown/);
    });
  }
  for (const [g, cases] of Object.entries(WRONG)) {
    it.each(cases)(`${g} fails on %s with a diff`, (name) => {
      const v = judge(g, kernel, name);
      expect(v.holds).toBe(false);
      expect(v.diffText).toContain('DOES NOT HOLD');
      if (v.mismatches[0]!.kind === 'no-root') {
        expect(v.diffText).toMatch(/no call of role \w+; hook calls present: ip_vs_/);
      } else {
        expect(v.diffText).toContain('expected path (expect[0].path):');
        expect(v.diffText).toContain('closest root:');
        expect(v.diffText).toMatch(/first problem: expect\[0\]\.path\S* \w+: (missing|out of order|forbidden|inside|count|not direct) - /);
      }
    });
  }
  it.each(FIRST_PROBLEM)('%s on %s names the first missing call', (g, name, first) => {
    const v = judge(g, kernel, name);
    expect(v.diffText).toContain(`first problem: ${first}`);
  });
});

describe('what the hook number changes on >= 5.16', () => {
  it('without it, a LOCAL_IN reply passes for a local reply (hook unknown: reply or local_reply)', () => {
    const v = judge('local-reply', '6.1', 'host_vip');
    expect(v.holds).toBe(true);
    expect(v.perRole[0]!.notes[0]).toContain('could be reply or local_reply');
    // On 5.10 the wrapper names the role and the same graph fails.
    expect(judge('local-reply', '5.10', 'host_vip').holds).toBe(false);
  });

  /** Adds probe events (as the harness records them) with the hook each call ran at in host_vip. */
  function withHookNumbers(text: string): string {
    const trace = parseFunctionGraph(text);
    const hooks = allHookFunctionNames();
    const inserts = new Map<number, { after: boolean; line: string }>();
    const lines = text.split('\n');
    const visit = (n: CallNode, ancestors: CallNode[]) => {
      if (hooks.has(n.fn)) {
        const grand = ancestors[ancestors.length - 2]?.fn;
        // Top level: wget's packets leave the node (LOCAL_OUT), httpd's replies come in (LOCAL_IN).
        const hook = ancestors.length === 0 ? (n.task === 'wget' ? 3 : 1) : grand === 'ip_local_deliver' ? 1 : 3;
        const src = lines[n.line - 1]!;
        const prefix = src.slice(0, src.indexOf('|', src.indexOf('|') + 1) + 3);
        const event = n.fn === 'ip_vs_in_hook' ? 'in_hook' : 'out_hook';
        const comment = `${prefix}/* ${event}: (${n.fn}+0x0/0x620 [ip_vs]) hook=${hook} */`;
        // Entries get the event inside (after the entry line), leaves before (both orders occur).
        inserts.set(n.line, { after: n.children.length > 0, line: comment });
      }
      n.children.forEach((c) => visit(c, [...ancestors, n]));
    };
    trace.roots.forEach((r) => visit(r, []));
    const out: string[] = [];
    lines.forEach((l, i) => {
      const ins = inserts.get(i + 1);
      if (ins && !ins.after) out.push(ins.line);
      out.push(l);
      if (ins && ins.after) out.push(ins.line);
    });
    return out.join('\n');
  }

  it('with it (probe events), roles are certain: local-request holds without notes, local-reply fails on host_vip', () => {
    const trace = parseFunctionGraph(withHookNumbers(capture('6.1', 'host_vip')));
    expect(trace.diagnostics).toEqual([]);
    const request = matchExpectedGraph(trace, graph('local-request'));
    expect(request.holds).toBe(true);
    expect(request.perRole[0]).toMatchObject({ notes: [], definite: expect.any(Number) });
    expect(request.perRole[0]!.candidates).toBe(request.perRole[0]!.definite);
    const reply = matchExpectedGraph(trace, graph('local-reply'));
    expect(reply.holds).toBe(false);
    expect(reply.diffText).toContain('first problem: expect[0].path[1] handle_response: missing');
  });

  it('on a harness capture with real probe events (6.1), every hook call has its role', () => {
    const trace = parseFunctionGraph(readFileSync(join(TRACES, '6.1-kprobe', 'host-to-vip.ftrace.txt'), 'utf8'));
    const request = matchExpectedGraph(trace, graph('local-request'), { section: 'step request' });
    expect(request.holds).toBe(true);
    expect(request.perRole[0]!.notes).toEqual([]);
    expect(matchExpectedGraph(trace, graph('local-reply')).holds).toBe(false);
  });
});

describe('sections of one trace', () => {
  it('judges each case of a trace holding several, by its trace_marker lines', () => {
    const both = parseFunctionGraph(capture('6.12', 'host_vip') + capture('6.12', 'noavail_tcp'));
    expect(matchExpectedGraph(both, graph('local-request'), { section: 'case host_vip' }).holds).toBe(true);
    expect(matchExpectedGraph(both, graph('local-request'), { section: 'case noavail_tcp' }).holds).toBe(false);
    expect(matchExpectedGraph(both, graph('no-destination'), { section: 'case noavail_tcp' }).holds).toBe(true);
    expect(matchExpectedGraph(both, graph('no-destination'), { section: 'case host_vip' }).holds).toBe(false);
  });
});
