// IPv6: the seed scenarios pod-to-vip-ipv6 and no-destination-ipv6 judged on the harness's own
// captures from Debian 5.10, 6.1 and 6.12 (test/fixtures/traces/ipv6). The same roles hold for both
// families; on 6.x the family comes from the kprobe's pf=10, on 5.10 from the *6 wrapper names; IPv4
// expectations and the wrong case's expectations do not hold.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFunctionGraph } from '../../analysis/function-graph-parser.ts';
import { roleLabel } from '../../analysis/report/call-tree-view.ts';
import { findRoleInstances, resolveGeneration } from '../../analysis/roles.ts';
import { loadScenarioFile, SEED_DIR } from '../scenario-loader.ts';
import { judgeTrace } from './judge-trace.ts';

const dir = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'traces', 'ipv6');
const RELEASES: Record<string, string> = { '5.10': '5.10.0-46-cloud-amd64', '6.1': '6.1.0-56-cloud-amd64', '6.12': '6.12.95+deb12-cloud-amd64' };
const capture = (k: string, name = 'pod-to-vip-ipv6') => readFileSync(join(dir, `${name}.${k}.ftrace.txt`), 'utf8');
const scenario = (name: string) => loadScenarioFile(join(SEED_DIR, `${name}.yaml`)).scenario;

describe.each(Object.keys(RELEASES))('pod-to-vip-ipv6 on %s', (k) => {
  it('every expected graph holds (written in roles with family 6)', () => {
    const judged = judgeTrace(capture(k), scenario('pod-to-vip-ipv6'), RELEASES[k]!);
    expect(judged.graphs.map((g) => g.role)).toEqual(['remote_request6', 'local_request6', 'reply6']);
    expect(judged.graphs.filter((g) => !g.holds).map((g) => `${g.name}\n${g.diff}`)).toEqual([]);
    expect(judged.summary.diagnostics).toBe(0);
  });

  it('every hook call is IPv6, from the probe on 6.x and from the wrapper name on 5.10', () => {
    const trace = parseFunctionGraph(capture(k));
    const instances = findRoleInstances(trace, resolveGeneration(trace, RELEASES[k]!));
    const top = instances.filter((i) => !i.nested);
    expect(top.length).toBeGreaterThan(20);
    expect(new Set(instances.map((i) => i.family))).toEqual(new Set([6]));
    expect(new Set(top.map((i) => i.familySource))).toEqual(new Set([k === '5.10' ? 'symbol' : 'probe']));
  });

  it('report labels say IPv6 where the hook function does not (6.x serves both families)', () => {
    const trace = parseFunctionGraph(capture(k));
    const g = resolveGeneration(trace, RELEASES[k]!);
    const labels = new Set(findRoleInstances(trace, g).filter((i) => !i.nested).map((i) => roleLabel(i, g).text));
    if (k === '5.10') expect(labels).toContain('remote_request (LOCAL_IN) = ip_vs_remote_request6');
    else expect(labels).toContain('remote_request (LOCAL_IN) = ip_vs_in_hook, hook 1, IPv6');
  });

  it("pod-to-vip's IPv4 graphs do not hold on it: the request is sent by ip_vs_nat_xmit_v6, not ip_vs_nat_xmit", () => {
    const judged = judgeTrace(capture(k), scenario('pod-to-vip'), RELEASES[k]!);
    const remote = judged.graphs.find((g) => g.role === 'remote_request')!;
    expect(remote.holds).toBe(false);
    expect(remote.diff).toMatch(/ip_vs_nat_xmit: missing/);
  });

  it('no-destination-ipv6: ip_vs_leave sends ICMPv6 port unreachable (icmp6_send) for UDP and TCP', () => {
    const judged = judgeTrace(capture(k, 'no-destination-ipv6'), scenario('no-destination-ipv6'), RELEASES[k]!);
    expect(judged.graphs.map((g) => [g.step, g.role, g.holds])).toEqual([['udp', 'remote_request6', true], ['tcp', 'remote_request6', true]]);
  });

  it('the wrong case: with a usable real server there is no ip_vs_leave', () => {
    // no-destination-ipv6's TCP expectation judged on pod-to-vip-ipv6's request step.
    const nd = scenario('no-destination-ipv6');
    const graphs = nd.graphs.filter((g) => g.step === 'tcp').map((g) => ({ ...g, step: 'request' }));
    const [judged] = judgeTrace(capture(k), { ...scenario('pod-to-vip-ipv6'), graphs }, RELEASES[k]!).graphs;
    expect(judged!.holds).toBe(false);
    expect(judged!.diff).toMatch(/ip_vs_leave: missing/);
  });
});
