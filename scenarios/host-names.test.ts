// The scenario's names of addresses, as the flows' stories use them.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nameFlow, type Flow } from '../analysis/flows.ts';
import { loadScenarioFile, SEED_DIR } from '../harness/scenario-loader.ts';
import { hostNames } from './host-names.ts';

const seed = (name: string) => loadScenarioFile(join(SEED_DIR, `${name}.yaml`)).scenario;

describe('host names', () => {
  it('pod-to-vip: the namespaces, the node behind their gateways, the VIP', () => {
    expect(hostNames(seed('pod-to-vip'))).toEqual({ '10.244.1.1': 'node', '10.244.2.1': 'node', '10.96.0.10': 'VIP', '10.244.1.2': 'rs1', '10.244.2.2': 'pod1' });
  });

  it('name a flow, IPv6 too, keeping the service port and unnamed hosts\' addresses', () => {
    const names = hostNames(seed('pod-to-vip-ipv6'));
    const flow = { client: '[fd00:244:2::2]:40000', service: '[fd00:96::10]:80', realServer: '[fd00:244:1::2]:80' } as Flow;
    expect(nameFlow(flow, names)).toBe('pod1 -> VIP:80 -> rs1');
    expect(nameFlow({ ...flow, realServer: null, client: '[fd00:9::9]:1' }, names)).toBe('[fd00:9::9]:1 -> VIP:80');
  });
});
