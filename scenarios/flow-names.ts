// A graph item's `flow:` (`pod1 -> vip:80/tcp`, `[fd00:244:2::2] -> [fd00:96::10]:80/tcp`, `* -> vip`)
// resolved against the scenario: a namespace name is its address, `vip` the scenario's one VIP (the
// services' VIP, else topology.vips), `*` any client. Pure.
import type { FlowSelector } from '../analysis/flow-scope.ts';
import type { ScenarioData } from './schema.ts';
import { isIpAddress } from './values.ts';

const PROTOS = ['tcp', 'udp', 'sctp'];
export const FLOW_SYNTAX = 'e.g. "pod1 -> vip:80/tcp": <namespace, address or *> -> <vip or address>[:port][/tcp|udp|sctp]';

/** `name`, `address`, `[v6]`, with an optional `:port` and `/proto` on the service side. */
function splitEnd(text: string): { host: string; port?: number; proto?: string } | string {
  let rest = text;
  let proto: string | undefined;
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    proto = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
    if (!PROTOS.includes(proto)) return `unknown protocol "${proto}"; expected one of ${PROTOS.join(', ')}`;
  }
  let host = rest;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracket) {
    host = bracket[1]!;
    portText = bracket[2];
  } else if (rest.split(':').length === 2) {
    [host, portText] = rest.split(':') as [string, string];
  }
  const out: { host: string; port?: number; proto?: string } = { host };
  if (portText !== undefined) {
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) return `port "${portText}" is not a number from 1 to 65535`;
    out.port = port;
  }
  if (proto !== undefined) out.proto = proto;
  return out;
}

/** The names a flow may use: namespaces by name, the VIPs `vip` may stand for. */
export interface FlowNames {
  namespaces: ReadonlyMap<string, string>;
  vips: readonly string[];
}

export function flowNamesOf(s: Pick<ScenarioData, 'topology' | 'services'>): FlowNames {
  return {
    namespaces: new Map(s.topology.namespaces.map((ns) => [ns.name, ns.address])),
    vips: [...new Set(s.services.length > 0 ? s.services.map((x) => x.vip) : s.topology.vips)],
  };
}

/** Outside a scenario (`check --flow`): addresses and `*` only. */
export const NO_FLOW_NAMES: FlowNames = { namespaces: new Map(), vips: [] };

export function resolveFlow(text: string, known: FlowNames): FlowSelector | string {
  const parts = text.split('->').map((p) => p.trim());
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') return `"${text}" is not a flow; ${FLOW_SYNTAX}`;
  const [clientText, serviceText] = parts as [string, string];
  const svc = splitEnd(serviceText);
  if (typeof svc === 'string') return svc;
  const names = known.namespaces;
  const vips = known.vips;
  let service: string;
  if (svc.host === 'vip') {
    if (vips.length !== 1) return `"vip" is ambiguous or unknown here (VIPs: ${vips.join(', ') || 'none'}); write the VIP's address`;
    service = vips[0]!;
  } else if (isIpAddress(svc.host)) service = svc.host;
  else return `"${svc.host}" is not "vip" nor an address`;
  const sel: FlowSelector = { text, service };
  if (svc.port !== undefined) sel.port = svc.port;
  if (svc.proto !== undefined) sel.proto = svc.proto;
  const client = clientText.replace(/^\[(.*)\]$/, '$1');
  if (client !== '*') {
    const address = names.get(client) ?? (isIpAddress(client) ? client : undefined);
    if (address === undefined) return `client "${clientText}" is neither a namespace of the topology (${[...names.keys()].join(', ') || 'none'}), an address, nor *`;
    sel.client = address;
  }
  return sel;
}
