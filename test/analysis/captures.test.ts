// Real function_graph captures from Debian 5.10, 6.1 and 6.12 (test/fixtures/traces/<kernel>/): every
// line parses, and the trees match snapshot files next to the captures (durations left out, as they
// change on every run; refresh with `vitest -u` after an intended change).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFunctionGraph } from '../../analysis/function-graph-parser.ts';
import { walkCalls } from '../../analysis/model.ts';
import { findRoleInstances, resolveGeneration } from '../../analysis/roles.ts';
import { capture, CASES, KERNELS, roleTree, TRACES } from './fixtures.ts';

describe.each(KERNELS)('real captures, kernel %s', (kernel) => {
  it.each(CASES)('%s parses without diagnostics and matches its tree snapshot', async (name) => {
    const text = capture(kernel, name);
    const trace = parseFunctionGraph(text);
    expect(trace.diagnostics).toEqual([]);
    expect(trace.lines).toBe(text.split('\n').length - 1);
    expect(trace.roots.length).toBeGreaterThan(0);
    // Roots in file order of their first line; every call complete in these clean captures.
    expect(trace.roots.map((r) => r.line)).toEqual([...trace.roots.map((r) => r.line)].sort((a, b) => a - b));
    walkCalls(trace.roots, (n, parent) => {
      expect(n.complete).toBe(true);
      if (parent) expect(n.depth).toBe(parent.depth + 1);
    });
    const tree = roleTree(trace, null);
    await expect(tree).toMatchFileSnapshot(join(TRACES, kernel, `${name}.tree.txt`));
  });
});

describe('what the captures show about the kernels', () => {
  it('5.10 uses the hook wrappers, 6.x ip_vs_in_hook / ip_vs_out_hook', () => {
    for (const kernel of KERNELS) {
      const g = resolveGeneration(parseFunctionGraph(capture(kernel, 'host_vip')), null);
      expect(g).toMatchObject({ id: kernel === '5.10' ? 'wrappers' : 'hooks', source: 'symbols' });
    }
  });

  it('on 6.x without probe events, top-level hook calls are role candidates; nested ones get the hook from their caller', () => {
    const trace = parseFunctionGraph(capture('6.1', 'host_vip'));
    const instances = findRoleInstances(trace, resolveGeneration(trace, '6.1.0-56-cloud-amd64'));
    const top = instances.filter((i) => !i.nested);
    expect(top.every((i) => i.hook === null && i.roles.length === 2)).toBe(true);
    const nested = instances.filter((i) => i.nested && i.node.fn === 'ip_vs_out_hook' && i.hookSource === 'caller');
    // ip_vs_nat_xmit -> nf_hook_slow -> ip_vs_out_hook: the NAT transmitter re-injects at LOCAL_OUT.
    expect(nested[0]).toMatchObject({ hook: 3, roles: ['local_reply'], family: 4 });
    // ip_rcv -> ip_local_deliver -> nf_hook_slow -> ip_vs_out_hook: LOCAL_IN, a reply.
    expect(nested.find((i) => i.hook === 1)).toMatchObject({ roles: ['reply'], family: 4 });
  });
});
