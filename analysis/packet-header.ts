// The first bytes of a packet as a hook saw them (the flow probes' `pkt={69,0,...}`: skb->data, which
// at a netfilter IP hook points at the network header), decoded into what identifies its flow.
// IPv4 options are followed (IHL); of the IPv6 extension headers only hop-by-hop (MLD) is skipped.

export type ProtoName = 'tcp' | 'udp' | 'sctp' | 'icmp' | 'icmpv6' | `proto-${number}`;

export interface PacketEnds {
  proto: ProtoName;
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
}

export interface PacketHeader extends PacketEnds {
  family: 4 | 6;
  /** TCP flags, tcpdump style: `S`, `S.`, `.`, `P.`, `F.`, `R` */
  tcpFlags?: string;
  /** ICMP / ICMPv6 type and code. */
  icmp?: { type: number; code: number };
  /** An ICMP error's quoted packet, as far as the bytes reach (addresses; ports when they fit). */
  inner?: PacketEnds;
}

const PROTOS: Record<number, ProtoName> = { 6: 'tcp', 17: 'udp', 132: 'sctp', 1: 'icmp', 58: 'icmpv6' };

export function protoName(n: number): ProtoName {
  return PROTOS[n] ?? `proto-${n}`;
}

/** `{69,0,0,60,...}` (u8 array as tracefs prints it) into bytes; null when it is not such a list. */
export function parseByteArray(text: string): Uint8Array | null {
  const m = /^\{([0-9a-fx,]*)\}$/i.exec(text.trim());
  if (!m) return null;
  const parts = m[1]!.split(',').filter((p) => p !== '');
  const out = new Uint8Array(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const n = Number(parts[i]);
    if (!Number.isInteger(n) || n < 0 || n > 255) return null;
    out[i] = n;
  }
  return out;
}

export function ipv4(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/** RFC 5952 text of 16 bytes: lower case, the longest run of zero groups (2 or more) as `::`. */
export function ipv6(b: Uint8Array, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((b[at + 2 * i]! << 8) | b[at + 2 * i + 1]!);
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

const u16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;

function tcpFlags(f: number): string {
  let s = '';
  if (f & 0x02) s += 'S';
  if (f & 0x01) s += 'F';
  if (f & 0x04) s += 'R';
  if (f & 0x08) s += 'P';
  if (f & 0x10) s += '.';
  return s || 'none';
}

/** Ports (and TCP flags, ICMP type) of the layer-4 header at `l4`, as far as the bytes reach. */
function layer4(b: Uint8Array, l4: number, p: PacketHeader): void {
  if (p.proto === 'tcp' || p.proto === 'udp' || p.proto === 'sctp') {
    if (l4 + 4 <= b.length) {
      p.sport = u16(b, l4);
      p.dport = u16(b, l4 + 2);
    }
    if (p.proto === 'tcp' && l4 + 14 <= b.length) p.tcpFlags = tcpFlags(b[l4 + 13]!);
  } else if ((p.proto === 'icmp' || p.proto === 'icmpv6') && l4 + 2 <= b.length) {
    p.icmp = { type: b[l4]!, code: b[l4 + 1]! };
  }
}

/** ICMP (v4) errors: destination unreachable 3, time exceeded 11, parameter problem 12, source quench 4, redirect 5. */
const ICMP_ERRORS = new Set([3, 4, 5, 11, 12]);

/** An ICMP or ICMPv6 error (ICMPv6 errors are the types below 128). */
export function isIcmpError(p: { proto: ProtoName; icmp?: { type: number } }): boolean {
  if (!p.icmp) return false;
  return p.proto === 'icmp' ? ICMP_ERRORS.has(p.icmp.type) : p.proto === 'icmpv6' && p.icmp.type < 128;
}

/** Decodes a packet's first bytes; null when they are not an IPv4 or IPv6 header. */
export function decodePacket(b: Uint8Array): PacketHeader | null {
  const version = b.length > 0 ? b[0]! >> 4 : 0;
  if (version === 4 && b.length >= 20) {
    const ihl = (b[0]! & 15) * 4;
    if (ihl < 20) return null;
    const p: PacketHeader = { family: 4, proto: protoName(b[9]!), src: ipv4(b, 12), dst: ipv4(b, 16) };
    layer4(b, ihl, p);
    if (p.proto === 'icmp' && isIcmpError(p)) {
      const at = ihl + 8;
      if (at + 20 <= b.length && b[at]! >> 4 === 4) {
        const inner: PacketHeader = { family: 4, proto: protoName(b[at + 9]!), src: ipv4(b, at + 12), dst: ipv4(b, at + 16) };
        layer4(b, at + (b[at]! & 15) * 4, inner);
        p.inner = ends(inner);
      }
    }
    return p;
  }
  if (version === 6 && b.length >= 40) {
    let next = b[6]!;
    let l4 = 40;
    if (next === 0 && b.length >= 42) {
      next = b[40]!;
      l4 = 40 + (b[41]! + 1) * 8;
    }
    const p: PacketHeader = { family: 6, proto: protoName(next), src: ipv6(b, 8), dst: ipv6(b, 24) };
    layer4(b, l4, p);
    if (isIcmpError(p)) {
      const at = l4 + 8;
      if (at + 40 <= b.length && b[at]! >> 4 === 6) {
        const inner: PacketHeader = { family: 6, proto: protoName(b[at + 6]!), src: ipv6(b, at + 8), dst: ipv6(b, at + 24) };
        layer4(b, at + 40, inner);
        p.inner = ends(inner);
      }
    }
    return p;
  }
  return null;
}

function ends(p: PacketHeader): PacketEnds {
  const e: PacketEnds = { proto: p.proto, src: p.src, dst: p.dst };
  if (p.sport !== undefined) e.sport = p.sport;
  if (p.dport !== undefined) e.dport = p.dport;
  return e;
}

/** `10.244.2.2:58168` / `[fd00::2]:80` / a bare address when there is no port. */
export function endpoint(addr: string, port: number | undefined): string {
  if (port === undefined) return addr;
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** One line: `tcp 10.244.2.2:58168 > 10.96.0.10:80 [S]`, `icmp 10.244.1.1 > 10.244.2.2 type 3/3 (quoting udp ...)`. */
export function describePacket(p: PacketHeader): string {
  let s = `${p.proto} ${endpoint(p.src, p.sport)} > ${endpoint(p.dst, p.dport)}`;
  if (p.tcpFlags) s += ` [${p.tcpFlags}]`;
  if (p.icmp) s += ` type ${p.icmp.type}/${p.icmp.code}`;
  if (p.inner) s += ` (quoting ${p.inner.proto} ${endpoint(p.inner.src, p.inner.sport)} > ${endpoint(p.inner.dst, p.inner.dport)})`;
  return s;
}
