// The body of a tracefs probe event as ftrace prints it, both in the `trace` file of the nop tracer and
// as a `/* ... */` comment inside function_graph output:
//   kprobe:    in_hook: (ip_vs_in_hook+0x4/0x3b0 [ip_vs]) hook=3 pf=2
//   kretprobe: in_ret: (nf_hook_slow+0x44/0xc0 <- ip_vs_in_hook) arg1=0x1
// (kernel/trace/trace_kprobe.c: print_kprobe_event / print_kretprobe_event).

import type { MarkerKind, ProbeEvent } from './model.ts';
import { normaliseSymbol } from './normalise.ts';
import { decodePacket, parseByteArray, type PacketHeader } from './packet-header.ts';

const PROBE_RE = /^([\w.:/-]+): \(([^)]*)\)(.*)$/;
const SYMBOL_RE = /^(\S+?)(\+0x[0-9a-fA-F]+\/0x[0-9a-fA-F]+|\+\d+)?(?: \[([\w-]+)\])?$/;
const ARG_RE = /([\w.[\]-]+)=("(?:[^"\\]|\\.)*"|\S*)/g;
const TRACEPOINT_RE = /^[a-z_][a-z0-9_]*: [\w.[\]-]+=/;

interface ParsedSymbol {
  symbol: string;
  offset: string | null;
  module: string | null;
}

function parseSymbol(text: string): ParsedSymbol | null {
  const m = SYMBOL_RE.exec(text.trim());
  if (!m) return null;
  return { symbol: m[1]!, offset: m[2] ?? null, module: m[3] ?? null };
}

export function parseProbeArgs(text: string): Record<string, string> {
  const args: Record<string, string> = {};
  for (const m of text.matchAll(ARG_RE)) {
    let value = m[2]!;
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    args[m[1]!] = value;
  }
  return args;
}

/** Parses a kprobe/kretprobe event body; null when the text has another shape. */
export function parseProbeEvent(body: string): ProbeEvent | null {
  const m = PROBE_RE.exec(body.trim());
  if (!m) return null;
  const inner = m[2]!;
  const arrow = inner.indexOf(' <- ');
  const retprobe = arrow >= 0;
  // For a return probe the probed function is the one after the arrow (the caller comes first).
  const target = parseSymbol(retprobe ? inner.slice(arrow + 4) : inner);
  if (!target) return null;
  return {
    event: m[1]!,
    fn: normaliseSymbol(target.symbol),
    symbol: target.symbol,
    module: target.module,
    offset: retprobe ? null : target.offset,
    retprobe,
    args: parseProbeArgs(m[3] ?? ''),
  };
}

/** What a `/* ... *\/` comment inside function_graph output is: a probe event, another event, or a trace_marker text. */
export function classifyComment(text: string): { kind: MarkerKind; probe?: ProbeEvent } {
  const probe = parseProbeEvent(text);
  if (probe) return { kind: 'kprobe', probe };
  if (TRACEPOINT_RE.test(text)) return { kind: 'event' };
  return { kind: 'marker' };
}

/** Hook number and family a probe reported (`hook=3`, `pf=2`), following the names the docs recommend. */
export function probeHookInfo(probe: ProbeEvent): { hook?: number; family?: 4 | 6 } {
  const out: { hook?: number; family?: 4 | 6 } = {};
  const hook = probe.args['hook'] ?? probe.args['hooknum'];
  if (hook !== undefined) {
    const n = Number(hook);
    if (Number.isInteger(n) && n >= 0 && n <= 7) out.hook = n;
  }
  const pf = probe.args['pf'] ?? probe.args['family'];
  if (pf !== undefined) {
    const n = Number(pf);
    // NFPROTO_IPV4 = 2, NFPROTO_IPV6 = 10 (AF_INET6 has the same value).
    if (n === 2 || n === 4) out.family = 4;
    else if (n === 10 || n === 6) out.family = 6;
  }
  return out;
}

/** What a flow probe (scenarios/trace-plan.ts flowFetchArgs) says about the call it fired in. */
export interface ProbeFlowInfo {
  hook?: number;
  family?: 4 | 6;
  skb?: string;
  netns?: number;
  packet?: PacketHeader;
}

/** Hook, family, skb, netns and the decoded packet a probe reported; fields it did not report are absent. */
export function probeFlowInfo(probe: ProbeEvent): ProbeFlowInfo {
  const out: ProbeFlowInfo = probeHookInfo(probe);
  const skb = probe.args['skb'];
  if (skb !== undefined && /^0x[0-9a-f]+$/i.test(skb)) out.skb = skb.toLowerCase();
  const netns = probe.args['netns'];
  if (netns !== undefined && /^\d+$/.test(netns)) out.netns = Number(netns);
  const pkt = probe.args['pkt'];
  const bytes = pkt === undefined ? null : parseByteArray(pkt);
  const packet = bytes === null ? null : decodePacket(bytes);
  // A header of the other family than the hook's means the bytes were not at the network header.
  if (packet !== null && (out.family === undefined || out.family === packet.family)) out.packet = packet;
  return out;
}

/** Copies a probe's flow fields onto the call it fired in. */
export function applyFlowInfo(node: { hook?: number; family?: 4 | 6; skb?: string; netns?: number; packet?: PacketHeader }, info: ProbeFlowInfo): void {
  if (info.hook !== undefined) node.hook = info.hook;
  if (info.family !== undefined) node.family = info.family;
  if (info.skb !== undefined) node.skb = info.skb;
  if (info.netns !== undefined) node.netns = info.netns;
  if (info.packet !== undefined) node.packet = info.packet;
}
