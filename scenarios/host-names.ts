// What the scenario calls each address, for the flows' stories (`pod1 -> VIP -> rs1`): its
// namespaces by their address, the node by the namespaces' gateways, the services' VIPs. Stored in
// the cell's results (CellResult.hostNames), so the report names hosts without the scenario file.
import type { Scenario } from './schema.ts';

export function hostNames(s: Pick<Scenario, 'topology' | 'services'>): Record<string, string> {
  const names: Record<string, string> = {};
  for (const ns of s.topology.namespaces) names[ns.gateway] ??= 'node';
  for (const vip of [...s.topology.vips, ...s.services.map((x) => x.vip)]) names[vip] = 'VIP';
  for (const ns of s.topology.namespaces) names[ns.address] = ns.name;
  return names;
}
