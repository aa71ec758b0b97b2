// The pure pieces of the report on small outlines: role labels, the summary's folding and contexts,
// the differ's classification (renames, clones, inlining, added/removed, outside the steps), escaping.
import { describe, expect, it } from 'vitest';
import { parseFunctionGraph } from '../function-graph-parser.ts';
import { findRoleInstances, resolveGeneration } from '../roles.ts';
import { outline } from '../../test/analysis/outline.ts';
import { roleLabel } from './call-tree-view.ts';
import { diffCallGraphs, type CallChange } from './callgraph-diff.ts';
import { summarizeCell, type CallGraphEntry } from './callgraph-summary.ts';
import { toJson } from './render-json.ts';
import { escapeXml, jsonForScript, relativeHref, stripInvalidXml } from './xml-escape.ts';

const STEP = [{ name: 's', section: { from: 'ipvs-harness step s begin', to: 'ipvs-harness step s end' } }];

function entries(kernel: string, release: string, body: string): CallGraphEntry[] {
  const trace = parseFunctionGraph(outline(`# ipvs-harness step s begin\n${body}\n# ipvs-harness step s end`));
  return summarizeCell({ trace, kernel, release, scenario: 'x', steps: STEP });
}

function diff(a: CallGraphEntry[], b: CallGraphEntry[]): CallChange[] {
  const side = (k: string) => ({ label: k, kernel: k, release: null, generation: '' });
  return diffCallGraphs({ side: side('A'), entries: a }, { side: side('B'), entries: b }, ['x']).scenarios[0]!.roles.flatMap((r) => r.changes);
}

const OLD = `
ip_vs_local_request4 [ip_vs]
  ip_vs_in.part.0 [ip_vs]
    ip_vs_conn_in_get [ip_vs]
    tcp_conn_schedule [ip_vs]
      ip_vs_schedule [ip_vs]
        ip_vs_conn_new [ip_vs]
    ip_vs_nat_xmit [ip_vs]
      nf_hook_slow
        ip_vs_local_reply4 [ip_vs]
`;
const NEW = `
ip_vs_in_hook [ip_vs] @hook=3
  ip_vs_conn_in_get [ip_vs]
  tcp_conn_schedule [ip_vs]
    ip_vs_schedule [ip_vs]
      ip_vs_conn_new [ip_vs]
  ip_vs_nat_xmit [ip_vs]
    nf_hook_slow
      ip_vs_out_hook [ip_vs] @hook=3
`;

describe('role labels', () => {
  const label = (text: string, release: string) => {
    const trace = parseFunctionGraph(outline(text));
    const g = resolveGeneration(trace, release);
    return findRoleInstances(trace, g).map((i) => roleLabel(i, g).text);
  };
  it('names the role, the netfilter hook and the function, with the hook number where the symbol does not say it', () => {
    expect(label('ip_vs_local_request4 [ip_vs]\nip_vs_reply4 [ip_vs]', '5.10.0-46-cloud-amd64')).toEqual([
      'local_request (LOCAL_OUT) = ip_vs_local_request4',
      'reply (LOCAL_IN or FORWARD) = ip_vs_reply4',
    ]);
    expect(label('ip_vs_in_hook [ip_vs] @hook=3\nip_vs_in_hook [ip_vs]', '6.1.0-56-cloud-amd64')).toEqual([
      'local_request (LOCAL_OUT) = ip_vs_in_hook, hook 3',
      'remote_request or local_request (hook unknown) = ip_vs_in_hook',
    ]);
  });
});

describe('canonical summary', () => {
  it('folds identical packets and keeps nested hook calls as entries of their own', () => {
    const e = entries('A', '6.1.0-56-cloud-amd64', `${NEW}\n${NEW}`);
    const top = e.find((x) => x.role === 'local_request' && x.context === 'top')!;
    expect(top).toMatchObject({ calls: 2, hook: 'LOCAL_OUT', symbols: ['ip_vs_in_hook'] });
    expect(top.variants).toHaveLength(1);
    expect(top.variants[0]!.count).toBe(2);
    expect(e.find((x) => x.role === 'local_reply')).toMatchObject({ context: 'local_request > ip_vs_nat_xmit > nf_hook_slow', calls: 2 });
    expect(toJson({ format: 'ipvs-harness/report' } as never)).toBe('{\n  "format": "ipvs-harness/report"\n}\n');
  });
});

describe('differ', () => {
  it('5.10 wrappers vs 6.x hooks: renamed hook functions and an inlined helper, nothing else', () => {
    const changes = diff(entries('A', '5.10.0-46-cloud-amd64', OLD), entries('B', '6.1.0-56-cloud-amd64', NEW));
    expect(changes.map((c) => `${c.relevance} ${c.kind}`).sort()).toEqual(['cosmetic inlining', 'cosmetic renamed', 'cosmetic renamed']);
  });

  it('a call on the IPVS path that disappears is behaviour; its subtree is one change', () => {
    const gone = NEW.replace('    ip_vs_schedule [ip_vs]\n      ip_vs_conn_new [ip_vs]\n', '    ip_vs_leave [ip_vs]\n');
    const changes = diff(entries('A', '6.1', NEW), entries('B', '6.1', gone)).filter((c) => c.relevance === 'behaviour');
    expect(changes.map((c) => `${c.kind} ${c.path}`)).toEqual(['removed tcp_conn_schedule > ip_vs_schedule', 'added tcp_conn_schedule > ip_vs_leave']);
    expect(changes[0]!.message).toBe('ip_vs_schedule is called on A but not on B (and 1 call(s) inside it)');
  });

  it('a call renamed with the same calls inside, and a compiler clone, are cosmetic', () => {
    const renamed = NEW.replace('tcp_conn_schedule [ip_vs]', 'tcp_conn_sched [ip_vs]').replace('ip_vs_nat_xmit [ip_vs]', 'ip_vs_nat_xmit.constprop.0 [ip_vs]');
    const changes = diff(entries('A', '6.1', NEW), entries('B', '6.1', renamed));
    expect(changes.map((c) => `${c.relevance} ${c.kind}: ${c.message}`)).toEqual([
      'cosmetic renamed: tcp_conn_schedule on A is tcp_conn_sched on B (same calls inside)',
      'cosmetic clone: ip_vs_nat_xmit is printed ip_vs_nat_xmit on A and ip_vs_nat_xmit.constprop.0 on B (compiler clone)',
    ]);
  });

  it('calls outside every step are informational only', () => {
    const a = parseFunctionGraph(outline(NEW));
    const b = parseFunctionGraph(outline(NEW.replace('      ip_vs_conn_new [ip_vs]\n', '')));
    const side = (k: string) => ({ label: k, kernel: k, release: null, generation: '' });
    const e = (t: typeof a, k: string) => summarizeCell({ trace: t, kernel: k, release: '6.1', scenario: 'x', steps: STEP });
    const d = diffCallGraphs({ side: side('A'), entries: e(a, 'A') }, { side: side('B'), entries: e(b, 'B') }, ['x']);
    expect(d.totals).toEqual({ behaviour: 0, cosmetic: 0, info: 1 });
  });
});

describe('escaping', () => {
  it('escapes markup and drops characters XML forbids', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(stripInvalidXml('a\u0000b\u001bc\ud800d')).toBe('a\ufffdb\ufffdc\ufffdd');
    expect(jsonForScript({ t: '</script><script>' })).toBe('{"t":"\\u003c/script>\\u003cscript>"}');
  });

  it('links only plain relative paths inside the folder', () => {
    expect(relativeHref('debian-6.1/pod to vip/trace.txt')).toBe('debian-6.1/pod%20to%20vip/trace.txt');
    for (const bad of ['/etc/passwd', '../x', 'a/../../b', 'javascript:alert(1)', 'https://x', '', 'a//b']) expect(relativeHref(bad)).toBeNull();
  });
});
