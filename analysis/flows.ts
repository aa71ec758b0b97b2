// Hook calls grouped into flows. A flow is one connection as IPVS handles it: the request direction
// before and after NAT and the reply direction before and after SNAT. Each hook call carries the
// packet it saw (the flow probes: analysis/probe-event.ts); the calls are joined
//  - by their endpoint pair ({a, b} and protocol, either direction): request and reply meet there,
//    and the reply from the real server meets the request after NAT;
//  - by the skb: a hook call nested inside another one's transmit with the same skb is that packet
//    re-entering LOCAL_OUT after NAT (ip_vs_nat_xmit -> ip_local_out), so VIP and real server join;
//  - an ICMP error joins the flow of the packet it quotes.
// What IPVS decided is read from each call's own tree (not from the nested hook calls).
import type { ConnEntry } from './conn-table.ts';
import { HOOK_NAMES } from './ipvs-symbols.ts';
import type { CallNode } from './model.ts';
import { describePacket, endpoint, isIcmpError, type PacketEnds, type PacketHeader } from './packet-header.ts';

/** What IPVS did with one packet at one hook, read from the call tree under the hook call. */
export type HookAction =
  | 'scheduled'       // a new connection: ip_vs_schedule / ip_vs_conn_new
  | 'hit'             // an existing connection's packet transmitted (a *_xmit without scheduling)
  | 'no-destination'  // the service had no usable real server: an ICMP error was sent
  | 'snat'            // a reply rewritten to come from the VIP (handle_response -> *_snat_handler)
  | 'reply'           // a reply of a connection IPVS knows, not rewritten (DR, TUN: handle_response alone)
  | 'reply-icmp'      // a reply that matched no connection, answered with an ICMP error (ip_vs_out, nat_icmp_send)
  | 'icmp-related'    // an ICMP error about an IPVS connection handled (ip_vs_in_icmp / ip_vs_out_icmp)
  | 'passed';         // looked at and left alone (not IPVS's, or already handled)

export type FlowDecision = 'new connection scheduled' | 'existing connection' | 'no destination: ICMP sent'
  | 'reply without connection: ICMP sent' | 'not IPVS\'s: passed' | 'kernel\'s own';

export interface FlowHookCall {
  fn: string;
  hook: number | null;
  /** LOCAL_IN, LOCAL_OUT, FORWARD */
  hookName: string | null;
  line: number;
  timeUs: number | null;
  skb: string | null;
  netns: number | null;
  packet: PacketHeader;
  /** tcpdump-style one line: `tcp 10.244.2.2:58168 > 10.96.0.10:80 [S]` */
  summary: string;
  action: HookAction;
  /** A scheduled call on a persistent service: the client's template hit, or created (absent otherwise). */
  persistence?: 'template hit' | 'template created';
  /** The transmitter the call used (ip_vs_nat_xmit, ip_vs_dr_xmit, ...). */
  xmit: string | null;
  /** Inside another hook call's transmit: the packet re-entering LOCAL_OUT after NAT (or its tunnel packet). */
  nested: boolean;
  /** For a nested call: the line of the hook call it ran inside. */
  via: number | null;
}

export interface Flow {
  id: number;
  /** `tcp 10.244.2.2:58168 -> 10.96.0.10:80` (client -> service) */
  key: string;
  family: 4 | 6;
  proto: string;
  /** The connection's client and the address it asked for (the VIP:port), as the first request showed them. */
  client: string;
  service: string;
  /** The real server the request was sent to (after NAT), or that answered; null when no packet showed it. */
  realServer: string | null;
  decision: FlowDecision;
  transmit: string | null;
  /** A reply was SNATed: `10.244.1.2:80 -> 10.96.0.10:80` */
  replySnat: string | null;
  /** The kernel's own packets (ND, MLD, IGMP): what they are. */
  kernelOwn: string | null;
  /** A persistent service (session affinity): whether the client's template chose the real server, or was created. */
  persistence?: 'template hit' | 'template created';
  netns: number | null;
  /** Distinct packets seen (hook calls not nested in another's transmit). */
  packets: number;
  calls: FlowHookCall[];
  /** One sentence: client -> VIP, decision, real server, transmit, reply SNAT. */
  story: string;
  /** The IPVS connection this flow created or hit, from `ipvsadm -Lnc` after its step (results folders only). */
  connection?: ConnEntry;
  /** The hosts by the scenario's names, `pod1 -> VIP:80 -> rs1` (results folders only: CellResult.hostNames). */
  who?: string;
  /** A flow outside the steps that continues one of a step (its late packets, after the step's end marker). */
  continues?: { step: string; flow: number };
}

const SCHEDULE = new Set(['ip_vs_schedule', 'ip_vs_conn_new']);
const SCHEDULER_RE = /^ip_vs_[a-z]+_schedule$/;
const ICMP_SENDERS = new Set(['icmp_send', '__icmp_send', 'icmp6_send', '__icmpv6_send', 'icmpv6_send']);
const ICMP_HANDLERS = new Set(['ip_vs_in_icmp', 'ip_vs_out_icmp', 'ip_vs_in_icmp_v6', 'ip_vs_out_icmp_v6']);
const XMIT_RE = /^ip_vs_\w+_xmit(_v6)?$/;
const SNAT_RE = /_snat_handler$/;
/** The hook functions of the reply direction (ip_vs_out): an ICMP error they send answers a reply without connection. */
const REPLY_HOOKS = new Set(['ip_vs_out_hook', 'ip_vs_reply4', 'ip_vs_reply6', 'ip_vs_local_reply4', 'ip_vs_local_reply6']);
/** Actions after which the same skb at the next hook may carry other addresses (rewritten by IPVS). */
const REWRITING: ReadonlySet<HookAction> = new Set(['scheduled', 'hit', 'snat']);

/** The kernel's own traffic: what it is, or null. */
export function kernelOwnPacket(p: PacketHeader): string | null {
  if (p.proto === 'proto-2') return 'IGMP';
  if (p.proto !== 'icmpv6' || !p.icmp) return null;
  const t = p.icmp.type;
  if (t >= 133 && t <= 137) return 'IPv6 neighbour discovery';
  if (t === 130 || t === 131 || t === 132 || t === 143) return 'MLD (IPv6 multicast listener)';
  return null;
}

interface Reading {
  action: HookAction;
  /** A persistent service (session affinity): the client's template was hit, or created by the scheduler. */
  persistence: 'template hit' | 'template created' | null;
  xmit: string | null;
  /** Hook calls nested inside (the packet re-entering through the transmitter). */
  nestedHooks: CallNode[];
}

/** What the call tree under a hook call shows, not looking into nested hook calls. */
function readCall(node: CallNode): Reading {
  let scheduled = false, icmpSent = false, snat = false, response = false, icmpHandled = false;
  let persist = false, schedulerRan = false;
  let xmit: string | null = null;
  const nestedHooks: CallNode[] = [];
  const stack = [...node.children];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.packet !== undefined) {
      nestedHooks.push(n);
      continue;
    }
    if (n.fn === 'ip_vs_sched_persist') persist = true;
    // A scheduler's own choice (ip_vs_rr_schedule, ip_vs_wrr_schedule, ...): without it a persistent
    // service took the real server from the client's template.
    if (SCHEDULER_RE.test(n.fn)) schedulerRan = true;
    if (SCHEDULE.has(n.fn)) scheduled = true;
    else if (ICMP_SENDERS.has(n.fn)) icmpSent = true;
    else if (n.fn === 'handle_response') response = true;
    else if (SNAT_RE.test(n.fn)) snat = true;
    else if (ICMP_HANDLERS.has(n.fn)) icmpHandled = true;
    if (xmit === null && XMIT_RE.test(n.fn)) xmit = n.fn;
    for (const c of n.children) stack.push(c);
  }
  nestedHooks.sort((a, b) => a.line - b.line);
  const action: HookAction = icmpSent ? (REPLY_HOOKS.has(node.fn) ? 'reply-icmp' : 'no-destination') : scheduled ? 'scheduled'
    : snat ? 'snat' : response ? 'reply' : icmpHandled ? 'icmp-related' : xmit !== null ? 'hit' : 'passed';
  const persistence = persist && action === 'scheduled' ? (schedulerRan ? 'template created' : 'template hit') : null;
  return { action, persistence, xmit, nestedHooks };
}

/** The endpoint pairs a flow's packets travelled between (either direction). */
export function flowPairs(flow: Flow): Set<string> {
  return new Set(flow.calls.map((c) => pairKey(c.packet.inner ?? c.packet)));
}

function pairKey(p: PacketEnds): string {
  const a = endpoint(p.src, p.sport), b = endpoint(p.dst, p.dport);
  return `${p.proto} ${a < b ? `${a} ${b}` : `${b} ${a}`}`;
}

class Groups {
  private parent = new Map<string, string>();
  find(k: string): string {
    if (!this.parent.has(k)) {
      this.parent.set(k, k);
      return k;
    }
    let root = k;
    while (this.parent.get(root) !== root) root = this.parent.get(root)!;
    while (k !== root) {
      const next = this.parent.get(k)!;
      this.parent.set(k, root);
      k = next;
    }
    return root;
  }
  union(a: string, b: string): void {
    const ra = this.find(a), rb = this.find(b);
    if (ra !== rb) this.parent.set(rb, ra);
  }
}

/** Flows of the hook calls in these trees (a whole trace's roots, or one step's). Calls without a packet are left out. */
export function flowsOf(roots: readonly CallNode[]): Flow[] {
  const calls: FlowHookCall[] = [];
  const keys: string[] = [];
  const groups = new Groups();
  // The last hook call per CPU: a packet goes from hook to hook on one CPU.
  const last = new Map<number, { skb: string | null; key: string; action: HookAction }>();
  const visit = (node: CallNode, nested: boolean, outer: { key: string; line: number } | null): void => {
    if (node.packet === undefined) {
      for (const c of node.children) visit(c, nested, outer);
      return;
    }
    const p = node.packet;
    const reading = readCall(node);
    // An ICMP error belongs to the flow of the packet it quotes; the kernel's own packets to one flow per kind.
    const own = kernelOwnPacket(p);
    const key = own !== null ? `kernel ${own}` : pairKey(p.inner ?? p);
    groups.find(key);
    // The kernel's own packets (a neighbour solicitation sent while transmitting) stay in their kind's flow.
    if (own === null && outer !== null) groups.union(outer.key, key);
    // The same skb at the next hook after IPVS rewrote it (local_reply's SNAT, then local_request).
    else {
      const previous = last.get(node.cpu ?? -1);
      if (own === null && previous !== undefined && node.skb !== undefined && previous.skb === node.skb && REWRITING.has(previous.action)) groups.union(previous.key, key);
    }
    last.set(node.cpu ?? -1, { skb: node.skb ?? null, key, action: reading.action });
    calls.push({
      fn: node.fn, hook: node.hook ?? null, hookName: node.hook !== undefined ? HOOK_NAMES[node.hook] ?? null : null,
      line: node.line, timeUs: node.startUs, skb: node.skb ?? null, netns: node.netns ?? null,
      packet: p, summary: describePacket(p), action: reading.action, xmit: reading.xmit, nested, via: outer?.line ?? null,
      ...(reading.persistence !== null ? { persistence: reading.persistence } : {}),
    });
    keys.push(key);
    // What runs the hooks inside this call is the packet it transmitted (NATed, or wrapped in a tunnel
    // on a fresh skb) or an ICMP error about it: the same flow.
    for (const inner of reading.nestedHooks) visit(inner, true, { key, line: node.line });
  };
  for (const r of roots) visit(r, false, null);
  const byGroup = new Map<string, FlowHookCall[]>();
  calls.forEach((c, i) => {
    const g = groups.find(keys[i]!);
    const list = byGroup.get(g);
    if (list) list.push(c);
    else byGroup.set(g, [c]);
  });
  const lists = [...byGroup.values()].map((list) => list.sort((a, b) => a.line - b.line)).sort((a, b) => a[0]!.line - b[0]!.line);
  return mergeBareIcmpErrors(lists).map((list, i) => describeFlow(i + 1, list));
}

/**
 * An ICMP error whose quoted packet is beyond the bytes the probe copied (IPv6: 40 + 8 + 40 > 64)
 * joins the latest earlier flow between the same two hosts (the error goes back to the client,
 * from the VIP or the real server).
 */
function mergeBareIcmpErrors(lists: FlowHookCall[][]): FlowHookCall[][] {
  const out: FlowHookCall[][] = [];
  for (const list of lists) {
    if (list.every((c) => isIcmpError(c.packet) && !c.packet.inner)) {
      const p = list[0]!.packet;
      const target = [...out].reverse().find((l) => l.some((c) => !isIcmpError(c.packet)
        && ((c.packet.src === p.dst && c.packet.dst === p.src) || (c.packet.dst === p.dst && c.packet.src === p.src))));
      if (target) {
        target.push(...list);
        target.sort((a, b) => a.line - b.line);
        continue;
      }
    }
    out.push(list);
  }
  return out;
}

function describeFlow(id: number, calls: FlowHookCall[]): Flow {
  const own = calls.map((c) => kernelOwnPacket(c.packet));
  const kernelOwn = own.every((k) => k !== null) ? [...new Set(own)].join(', ') : null;
  // The request that IPVS acted on names the client and the service; else the first packet seen.
  const lead = calls.find((c) => !c.nested && (c.action === 'scheduled' || c.action === 'no-destination'))
    ?? calls.find((c) => !c.nested && c.action === 'reply-icmp')
    ?? calls.find((c) => !c.nested && c.action === 'hit') ?? calls.find((c) => !c.nested) ?? calls[0]!;
  const p = lead.packet.inner && lead.packet.proto.startsWith('icmp') ? lead.packet.inner : lead.packet;
  const client = endpoint(p.src, p.sport);
  const service = endpoint(p.dst, p.dport);
  // After NAT: the same skb seen again inside the transmit, to another destination.
  const natted = calls.find((c) => c.nested && c.via === lead.line && !isIcmpError(c.packet) && endpoint(c.packet.dst, c.packet.dport) !== service);
  const snatCall = calls.find((c) => c.action === 'snat');
  const fromServer = snatCall ? endpoint(snatCall.packet.src, snatCall.packet.sport) : null;
  const realServer = natted ? endpoint(natted.packet.dst, natted.packet.dport) : fromServer !== null && fromServer !== service ? fromServer : null;
  const actions = new Set(calls.filter((c) => !c.nested).map((c) => c.action));
  const decision: FlowDecision = kernelOwn !== null ? 'kernel\'s own'
    : actions.has('no-destination') ? 'no destination: ICMP sent'
    : actions.has('scheduled') ? 'new connection scheduled'
    : actions.has('hit') || actions.has('snat') || actions.has('reply') || actions.has('icmp-related') ? 'existing connection'
    : actions.has('reply-icmp') ? 'reply without connection: ICMP sent'
    : 'not IPVS\'s: passed';
  const transmit = calls.find((c) => !c.nested && c.xmit !== null)?.xmit ?? null;
  const replySnat = snatCall ? `${fromServer} -> ${service}` : null;
  const proto = p.proto;
  const packets = countPackets(calls);
  const key = `${proto} ${client} -> ${service}`;
  const netns = lead.netns;
  const persistence = calls.find((c) => !c.nested && c.persistence !== undefined)?.persistence;
  let story: string;
  if (kernelOwn !== null) story = `kernel's own: ${kernelOwn}, ${packets} packet(s)`;
  else {
    const parts = [`${client} -> ${service}/${proto}: ${decision}`];
    if (realServer) parts.push(`to ${realServer}`);
    if (persistence) parts.push(persistence === 'template hit' ? '(session affinity: the client\'s template chose it)' : '(session affinity: template created)');
    if (transmit) parts.push(`via ${transmit}`);
    story = parts.join(' ');
    if (replySnat) story += `; reply SNATed ${replySnat}`;
    if (decision !== 'reply without connection: ICMP sent' && actions.has('reply-icmp')) story += '; a reply without connection answered with ICMP (ip_vs_out)';
  }
  return {
    id, key, family: lead.packet.family, proto, client, service, realServer, decision, transmit, replySnat, kernelOwn,
    ...(persistence ? { persistence } : {}), netns, packets, calls, story,
  };
}

function hostOf(endpoint: string): string {
  const m = /^\[(.*)\]:\d+$/.exec(endpoint) ?? /^([^:]+):\d+$/.exec(endpoint);
  return m ? m[1]! : endpoint;
}

/** `pod1 -> VIP:80 -> rs1` from the scenario's names of the addresses; unnamed hosts keep their address. */
export function nameFlow(flow: Flow, names: Readonly<Record<string, string>>): string {
  const name = (ep: string, keepPort: boolean): string => {
    const host = hostOf(ep);
    const n = names[host];
    if (n === undefined) return ep;
    return keepPort && ep !== host ? `${n}${ep.slice(ep.lastIndexOf(':'))}` : n;
  };
  const parts = [name(flow.client, false), name(flow.service, true)];
  if (flow.realServer !== null) parts.push(name(flow.realServer, false));
  return parts.join(' -> ');
}

/** Packets, not hook calls: one packet meets several hooks in a row (the same skb and bytes), and a NATed one re-enters LOCAL_OUT nested. */
function countPackets(calls: readonly FlowHookCall[]): number {
  let n = 0;
  let last: FlowHookCall | null = null;
  for (const c of calls) {
    if (c.nested) continue;
    if (last === null || c.skb === null || c.skb !== last.skb || c.summary !== last.summary) n++;
    last = c;
  }
  return n;
}

/** A pwru-style filter over flows: `host 10.96.0.10`, `port 80`, `proto tcp` (also `tcp`, `udp`, `icmp`), joined by `and`. */
export interface FlowFilter {
  hosts: string[];
  ports: number[];
  protos: string[];
}

export function parseFlowFilter(text: string): FlowFilter | string {
  const f: FlowFilter = { hosts: [], ports: [], protos: [] };
  const words = text.trim().split(/\s+/).filter((w) => w !== '' && w !== 'and' && w !== '&&');
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!.toLowerCase();
    const next = words[i + 1];
    if (w === 'host' || w === 'port' || w === 'proto') {
      if (next === undefined) return `"${w}" needs a value (e.g. "${w} ${w === 'host' ? '10.96.0.10' : w === 'port' ? '80' : 'tcp'}")`;
      i++;
      if (w === 'host') f.hosts.push(next.toLowerCase());
      else if (w === 'port') {
        const n = Number(next);
        if (!Number.isInteger(n) || n < 0 || n > 65535) return `port "${next}" is not a number from 0 to 65535`;
        f.ports.push(n);
      } else f.protos.push(next.toLowerCase());
    } else if (['tcp', 'udp', 'sctp', 'icmp', 'icmpv6', 'icmp6'].includes(w)) {
      f.protos.push(w === 'icmp6' ? 'icmpv6' : w);
    } else {
      return `unknown word "${words[i]}"; a filter is words like: host 10.96.0.10, port 80, proto tcp (or tcp, udp, icmp), joined by "and"`;
    }
  }
  return f;
}

/** A flow matches when one of its packets matches every part of the filter. */
export function flowMatches(flow: Flow, f: FlowFilter): boolean {
  return flow.calls.some(({ packet: p }) => {
    const ends = p.inner ? [p, p.inner] : [p];
    return (f.protos.length === 0 || ends.some((e) => f.protos.includes(e.proto)))
      && f.hosts.every((h) => ends.some((e) => e.src === h || e.dst === h))
      && f.ports.every((port) => ends.some((e) => e.sport === port || e.dport === port));
  });
}

/** Text for a terminal: one block per flow, its story, then its hook calls in order. */
export function renderFlowsText(flows: readonly Flow[]): string {
  const out: string[] = [];
  for (const f of flows) {
    out.push(`flow ${f.id}: ${f.who ? `(${f.who}) ` : ''}${f.story}`);
    for (const c of f.calls) {
      const where = `${c.fn}@${c.hookName ?? '?'}`;
      out.push(`  ${c.nested ? '  ' : ''}${where.padEnd(34)} ${c.summary}  ${c.action}${c.xmit ? ` (${c.xmit})` : ''}  [line ${c.line}]`);
    }
  }
  return out.join('\n') + (out.length > 0 ? '\n' : '');
}
