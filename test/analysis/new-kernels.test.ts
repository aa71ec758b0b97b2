// Captures the harness made itself on Debian 6.18.15 (trixie-backports, one package) and 7.3.4 (a
// split package) through `run -k debian:7.3 -k debian:6.18` (test/fixtures/results/new-kernels/).
// They parse cleanly, and they show what changed in IPVS between the generations: 7.x's resizable
// service hash table (ip_vs_rht_hash_linfo under ip_vs_service_find), and ip_vs_conn_fill_param_proto,
// traced on 6.12, inlined away from 6.18 on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFunctionGraph } from '../../analysis/function-graph-parser.ts';
import { walkCalls, type CallNode } from '../../analysis/model.ts';
import type { RunResults } from '../../analysis/report/results.ts';
import { resolveGeneration } from '../../analysis/roles.ts';

const RESULTS = join(import.meta.dirname, '..', 'fixtures', 'results');
const load = (name: string) => {
  const dir = join(RESULTS, name);
  const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResults;
  const trace = (kernel: string, scenario: string) => {
    const cell = results.cells.find((c) => c.kernel === kernel && c.scenario === scenario)!;
    return { text: readFileSync(join(dir, cell.artifacts.trace!), 'utf8'), release: cell.kernelRelease! };
  };
  return { results, trace };
};
const fresh = load('new-kernels');
const seed = load('seed');

function calls(text: string): Map<string, CallNode[]> {
  const out = new Map<string, CallNode[]>();
  walkCalls(parseFunctionGraph(text).roots, (n) => out.set(n.fn, [...(out.get(n.fn) ?? []), n]));
  return out;
}

describe.each(['debian:6.18', 'debian:7.3'])('captures from %s', (kernel) => {
  const scenarios = fresh.results.cells.filter((c) => c.kernel === kernel).map((c) => c.scenario);

  it.each(scenarios)('%s parses without diagnostics, every call complete, hook generation', (scenario) => {
    const { text, release } = fresh.trace(kernel, scenario);
    const trace = parseFunctionGraph(text);
    expect(trace.diagnostics).toEqual([]);
    expect(trace.lostEvents).toBe(0);
    expect(trace.roots.length).toBeGreaterThan(0);
    walkCalls(trace.roots, (n) => expect(n.complete).toBe(true));
    expect(resolveGeneration(trace, release)).toMatchObject({ id: 'hooks' });
  });
});

describe('what changed in IPVS: 6.12 -> 6.18 -> 7.3 (host-to-vip)', () => {
  const k612 = calls(seed.trace('debian:6.12', 'host-to-vip').text);
  const k618 = calls(fresh.trace('debian:6.18', 'host-to-vip').text);
  const k73 = calls(fresh.trace('debian:7.3', 'host-to-vip').text);

  it('7.3 hashes the service lookup through the resizable table (ip_vs_rht_hash_linfo under ip_vs_service_find); 6.18 does not', () => {
    const under = (m: Map<string, CallNode[]>) => (m.get('ip_vs_service_find') ?? []).flatMap((n) => n.children.map((c) => c.fn));
    expect(k73.get('ip_vs_service_find')!.length).toBeGreaterThan(0);
    expect(under(k73)).toContain('ip_vs_rht_hash_linfo');
    expect(k618.has('ip_vs_rht_hash_linfo')).toBe(false);
    expect(under(k618)).not.toContain('ip_vs_rht_hash_linfo');
  });

  it('ip_vs_conn_fill_param_proto is traced on 6.12 and inlined on 6.18 and 7.3; the rest of the path is the same', () => {
    expect(k612.has('ip_vs_conn_fill_param_proto')).toBe(true);
    expect(k618.has('ip_vs_conn_fill_param_proto')).toBe(false);
    expect(k73.has('ip_vs_conn_fill_param_proto')).toBe(false);
    const ipvs = (m: Map<string, CallNode[]>) => [...m.keys()].filter((f) => m.get(f)!.some((n) => n.module === 'ip_vs')).sort();
    expect(ipvs(k73).filter((f) => f !== 'ip_vs_rht_hash_linfo')).toEqual(ipvs(k618));
    for (const fn of ['ip_vs_out_hook', 'ip_vs_in_hook', 'ip_vs_conn_in_get', 'tcp_conn_schedule', 'ip_vs_schedule', 'ip_vs_conn_new', 'ip_vs_nat_xmit', 'handle_response', 'tcp_snat_handler']) {
      expect(k73.has(fn), fn).toBe(true);
    }
  });
});
