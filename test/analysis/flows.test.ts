// Flows on real captures with the flow probes (test/fixtures/traces/flows/<kernel>/<scenario>.trace.txt,
// recorded by `ipvs-harness run` on Debian's 5.10, 6.1, 6.12 and 7.3 kernels). Every hook call of a
// step belongs to a flow; pod-to-vip shows pod1 -> VIP -> rs1 with the scheduling and the reply's SNAT.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flowMatches, flowsOf, parseFlowFilter, renderFlowsText, type FlowFilter } from '../../analysis/flows.ts';
import { parseFunctionGraph } from '../../analysis/function-graph-parser.ts';
import { flowsByStep } from '../../analysis/step-flows.ts';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'traces', 'flows');
const KERNELS = ['5.10', '6.1', '6.12', '7.3'] as const;
const load = (kernel: string, scenario: string) => parseFunctionGraph(readFileSync(join(DIR, kernel, `${scenario}.trace.txt`), 'utf8'));
const stepFlows = (kernel: string, scenario: string, step: string) => flowsByStep(load(kernel, scenario)).find((s) => s.step === step)!;

describe.each(KERNELS)('flows on %s', (kernel) => {
  it('pod-to-vip: pod1 -> VIP, scheduled to rs1 through ip_vs_nat_xmit, the reply SNATed; nothing unattributed', () => {
    const s = stepFlows(kernel, 'pod-to-vip', 'request');
    expect(s.unattributed).toBe(0);
    expect(s.flows).toHaveLength(1);
    const f = s.flows[0]!;
    expect(f.client).toMatch(/^10\.244\.2\.2:\d+$/);
    expect(f).toMatchObject({
      proto: 'tcp', service: '10.96.0.10:80', realServer: '10.244.1.2:80', decision: 'new connection scheduled',
      transmit: 'ip_vs_nat_xmit', replySnat: '10.244.1.2:80 -> 10.96.0.10:80', kernelOwn: null, netns: expect.any(Number),
    });
    // The SYN: seen at LOCAL_IN, scheduled there, then again at LOCAL_OUT inside the transmit, NATed.
    const syn = f.calls.filter((c) => c.packet.tcpFlags === 'S');
    expect(syn.map((c) => [c.hookName, c.nested, c.packet.dst])).toEqual([
      ['LOCAL_IN', false, '10.96.0.10'], ['LOCAL_IN', false, '10.96.0.10'],
      ['LOCAL_OUT', true, '10.244.1.2'], ['LOCAL_OUT', true, '10.244.1.2'],
    ]);
    expect(syn.filter((c) => c.action === 'scheduled')).toHaveLength(1);
    expect(f.calls.some((c) => c.hookName === 'FORWARD' && c.action === 'snat' && c.packet.tcpFlags === 'S.')).toBe(true);
    // The nested calls are the same packet: one skb.
    const sched = syn.find((c) => c.action === 'scheduled')!;
    expect(syn.filter((c) => c.nested).every((c) => c.skb === sched.skb && c.via === sched.line)).toBe(true);
  });
});

describe('flows of the other seed scenarios', () => {
  it('pod-to-vip-ipv6 (5.10): the kernel\'s ND named as such, one connection flow to rs1', () => {
    const s = stepFlows('5.10', 'pod-to-vip-ipv6', 'request');
    expect(s.unattributed).toBe(0);
    const own = s.flows.filter((f) => f.kernelOwn !== null);
    expect(own.map((f) => f.kernelOwn)).toEqual(['IPv6 neighbour discovery']);
    const conns = s.flows.filter((f) => f.kernelOwn === null);
    expect(conns.map((f) => f.story)).toEqual([expect.stringMatching(
      /^\[fd00:244:2::2\]:\d+ -> \[fd00:96::10\]:80\/tcp: new connection scheduled to \[fd00:244:1::2\]:80 via ip_vs_nat_xmit_v6; reply SNATed \[fd00:244:1::2\]:80 -> \[fd00:96::10\]:80$/,
    )]);
  });

  it('no-destination (6.12): each step one flow, no destination: ICMP sent, the error in the flow', () => {
    const trace = load('6.12', 'no-destination');
    for (const step of ['udp', 'tcp']) {
      const s = flowsByStep(trace).find((x) => x.step === step)!;
      expect(s.flows.map((f) => f.decision)).toEqual(['no destination: ICMP sent']);
    }
  });

  it('pod-to-vip-tun (7.3): the tunnel packet (IPIP on a fresh skb) joins the flow; the real server is its outer destination', () => {
    const f = stepFlows('7.3', 'pod-to-vip-tun', 'request').flows.filter((x) => x.kernelOwn === null);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ transmit: 'ip_vs_tunnel_xmit', realServer: '10.244.1.2', replySnat: null, decision: 'new connection scheduled' });
    expect(f[0]!.calls.some((c) => c.nested && c.packet.proto === 'proto-4')).toBe(true);
  });

  it('local-real-server (6.1): the local server\'s reply, SNATed at LOCAL_OUT then seen by local_request, is the same flow', () => {
    const f = stepFlows('6.1', 'local-real-server', 'request').flows;
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ decision: 'new connection scheduled', realServer: expect.stringMatching(/:8080$/) });
    expect(f[0]!.replySnat).toMatch(/:8080 -> 10\.96\.0\.11:80$/);
  });
});

describe('flow filters', () => {
  const flows = flowsOf(load('5.10', 'pod-to-vip-ipv6').roots);
  const f = (text: string) => parseFlowFilter(text) as FlowFilter;

  it('select by host, port and protocol, pwru-style', () => {
    expect(flows.filter((x) => flowMatches(x, f('host fd00:96::10 and port 80'))).map((x) => x.proto)).toEqual(['tcp']);
    expect(flows.filter((x) => flowMatches(x, f('icmpv6'))).every((x) => x.kernelOwn !== null)).toBe(true);
    expect(flows.filter((x) => flowMatches(x, f('udp')))).toEqual([]);
  });

  it('name what is wrong in a filter', () => {
    expect(parseFlowFilter('port http')).toMatch(/port "http" is not a number/);
    expect(parseFlowFilter('host')).toMatch(/"host" needs a value/);
    expect(parseFlowFilter('dst 1.2.3.4')).toMatch(/unknown word "dst"/);
  });

  it('renders a flow and its hook calls, nested ones indented', () => {
    const text = renderFlowsText(flowsOf(load('6.1', 'pod-to-vip').roots));
    expect(text.split('\n')[0]).toMatch(/^flow 1: 10\.244\.2\.2:\d+ -> 10\.96\.0\.10:80\/tcp: new connection scheduled to 10\.244\.1\.2:80 via ip_vs_nat_xmit; reply SNATed/);
    expect(text).toMatch(/\n {4}ip_vs_out_hook@LOCAL_OUT +tcp 10\.244\.2\.2:\d+ > 10\.244\.1\.2:80 \[S\] +passed/);
  });
});

describe('ICMP from the reply hooks, and late packets (icmp-from-ip_vs_out on 6.12)', () => {
  const steps = flowsByStep(load('6.12', 'icmp-from-ip_vs_out'));
  const story = (step: string | null) => steps.find((s) => s.step === step)!.flows.map((f) => f.story);

  it('a real server\'s datagram without connection, answered by ip_vs_out with an ICMP error, only while nat_icmp_send is on', () => {
    expect(story('udp-on')).toEqual(['10.244.1.2:53 -> 10.244.2.2:9999/udp: reply without connection: ICMP sent']);
    expect(story('udp-off')).toEqual(['10.244.1.2:53 -> 10.244.2.2:9999/udp: not IPVS\'s: passed']);
  });

  it('a connection whose late reply got an ICMP error says so; the packets after the step\'s marker continue its flow', () => {
    expect(story('tcp-late-on')).toEqual([expect.stringMatching(/new connection scheduled to 10\.244\.1\.3:81 via ip_vs_nat_xmit; reply SNATed .*; a reply without connection answered with ICMP \(ip_vs_out\)$/)]);
    const late = steps.find((s) => s.step === null)!.flows;
    expect(late.map((f) => f.continues)).toEqual([{ step: 'tcp-late-on', flow: 1 }]);
    expect(late[0]!.story).toMatch(/^late packets of step tcp-late-on's flow 1: /);
  });
});

describe('session affinity in the flows (6.1, session-affinity, a persistent service)', () => {
  it('the first connection creates the client\'s template, the second is sent by it (no scheduler call), to the same real server', () => {
    const first = stepFlows('6.1', 'session-affinity', 'first');
    const second = stepFlows('6.1', 'session-affinity', 'second');
    for (const s of [first, second]) {
      expect(s.unattributed).toBe(0);
      expect(s.flows).toHaveLength(1);
      expect(s.flows[0]).toMatchObject({ decision: 'new connection scheduled', realServer: '10.244.1.3:80', transmit: 'ip_vs_nat_xmit' });
    }
    const scheduled = (s: typeof first) => s.flows[0]!.calls.filter((c) => c.action === 'scheduled').map((c) => c.persistence);
    expect(scheduled(first)).toEqual(['template created']);
    expect(scheduled(second)).toEqual(['template hit']);
    expect(first.flows[0]!.story).toContain('(session affinity: template created)');
    expect(second.flows[0]!.story).toContain('(session affinity: the client\'s template chose it)');
  });

  it('a service without persistence says nothing about templates', () => {
    const s = stepFlows('6.1', 'pod-to-vip', 'request');
    expect(s.flows[0]!.calls.every((c) => c.persistence === undefined)).toBe(true);
    expect(s.flows[0]!.story).not.toContain('session affinity');
  });
});
