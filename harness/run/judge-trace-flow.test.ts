// Expected graphs scoped to a flow (`flow: pod1 -> vip:80/tcp`), judged on real captures with the
// flow probes (test/fixtures/traces/flows). On pod-to-vip-ipv6 the kernel's IPv6 neighbour discovery
// passes the same LOCAL_IN request hook as the connection; a graph saying "every LOCAL_IN request
// call of the step looks the connection up" holds only on the connection's own calls.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../scenarios/parse-scenario.ts';
import { ScenarioError } from '../../scenarios/errors.ts';
import { loadScenarioFile, SEED_DIR } from '../scenario-loader.ts';
import { judgeTrace } from './judge-trace.ts';

const dir = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'traces', 'flows');
const seedText = readFileSync(join(SEED_DIR, 'pod-to-vip-ipv6.yaml'), 'utf8');
const withGraphs = (graphs: string) => parseScenario(`${seedText.slice(0, seedText.indexOf('graphs:'))}graphs:\n${graphs}`, 'flow-test.yaml');
const EVERY = (flow: string) => `  - step: request
    role: remote_request6
    match: every
${flow}    path: [ip_vs_conn_in_get]
`;

describe('graphs scoped by flow:', () => {
  const trace = readFileSync(join(dir, '5.10', 'pod-to-vip-ipv6.trace.txt'), 'utf8');

  it('holds on the connection\'s own calls where the kernel\'s ND interleaves, and not without the scope', () => {
    const scoped = judgeTrace(trace, withGraphs(EVERY('    flow: pod1 -> vip:80/tcp\n')), '5.10.0-46-cloud-amd64').graphs[0]!;
    expect(scoped.name).toBe('request/remote_request6 [flow pod1 -> vip:80/tcp]');
    expect(scoped.holds, scoped.diff).toBe(true);
    expect(scoped.notes).toContain('flow pod1 -> vip:80/tcp: 1 flow(s) of the trace selected');
    const whole = judgeTrace(trace, withGraphs(EVERY('')), '5.10.0-46-cloud-amd64').graphs[0]!;
    expect(whole.holds).toBe(false);
  });

  it('a flow the step does not have leaves no call to judge', () => {
    const g = judgeTrace(trace, withGraphs(EVERY('    flow: pod1 -> vip:53/udp\n')), '5.10.0-46-cloud-amd64').graphs[0]!;
    expect(g.holds).toBe(false);
    expect(g.notes).toContain('flow pod1 -> vip:53/udp: 0 flow(s) of the trace selected');
  });

  it('the seed scenario\'s own graphs hold scoped to the connection as well', () => {
    const seed = loadScenarioFile(join(SEED_DIR, 'pod-to-vip-ipv6.yaml')).scenario;
    const scoped = { ...seed, graphs: seed.graphs.map((g) => ({ ...g, flow: { text: 'pod1 -> vip:80/tcp', client: 'fd00:244:2::2', service: 'fd00:96::10', port: 80, proto: 'tcp' } })) };
    const judged = judgeTrace(trace, scoped, '5.10.0-46-cloud-amd64');
    expect(judged.graphs.filter((g) => !g.holds).map((g) => `${g.name}\n${g.diff}`)).toEqual([]);
  });

  it('names what is wrong in a flow:', () => {
    const bad = (flow: string) => {
      try {
        withGraphs(EVERY(`    flow: ${flow}\n`));
        return '';
      } catch (err) {
        return (err as ScenarioError).message;
      }
    };
    expect(bad('pod9 -> vip:80/tcp')).toMatch(/graphs\[0\]\.flow: client "pod9" is neither a namespace of the topology \(rs1, pod1\)/);
    expect(bad('pod1 -> vip:80/icmp')).toMatch(/unknown protocol "icmp"/);
    expect(bad('pod1 vip')).toMatch(/is not a flow; e\.g\. "pod1 -> vip:80\/tcp"/);
  });
});
