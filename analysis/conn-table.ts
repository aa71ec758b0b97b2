// IPVS's connection table beside the call graphs: /proc/net/ip_vs_conn (what `ipvsadm -Lnc` reads and
// formats; read directly, one exec of ipvsadm less per read under TCG), /proc/net/ip_vs_status
// and the conn_lfactor / svc_lfactor sysctls (7.x's resizable tables), as the guest printed them
// before and after a step (scenarios/conn-table-command.ts), parsed here.

import { endpoint, ipv4, ipv6 } from './packet-header.ts';

export interface ConnEntry {
  /** TCP, UDP, SCTP */
  proto: string;
  /** Seconds left, from `mm:ss`. */
  expireS: number;
  state: string;
  source: string;
  virtual: string;
  destination: string;
}

export interface ConnTable {
  entries: ConnEntry[];
  /** /proc/net/ip_vs_status as `key: value` pairs (7.x: Conns, Conn buckets, ...); absent on kernels without it. */
  status?: Record<string, string>;
  /** conn_lfactor, svc_lfactor where the kernel has them. */
  lfactor?: Record<string, number>;
}

export const CONN_SECTION = '--- ipvsh conns';
export const STATUS_SECTION = '--- ipvsh status';
export const LFACTOR_SECTION = '--- ipvsh lfactor';

function mmss(text: string): number {
  const parts = text.split(':').map(Number);
  return parts.reduce((acc, n) => acc * 60 + (Number.isFinite(n) ? n : 0), 0);
}

/** `ipvsadm -Lnc` rows: `TCP 01:57  FIN_WAIT    10.244.2.2:58168   10.96.0.10:80      10.244.1.2:80`. */
export function parseIpvsadmConnections(text: string): ConnEntry[] {
  const out: ConnEntry[] = [];
  for (const line of text.split('\n')) {
    const w = line.trim().split(/\s+/);
    if (w.length !== 6 || !/^[A-Z]+$/.test(w[0]!) || !/^\d+:\d+$/.test(w[1]!)) continue;
    out.push({ proto: w[0]!, expireS: mmss(w[1]!), state: w[2]!, source: w[3]!, virtual: w[4]!, destination: w[5]! });
  }
  return out;
}

/**
 * /proc/net/ip_vs_conn rows (net/netfilter/ipvs/ip_vs_conn.c, ip_vs_conn_seq_show), as `ipvsadm -Lnc`
 * shows them: `TCP 0AF40202 E3B8 0A60000A 0050 0AF40102 0050 FIN_WAIT         117` (IPv4 in network
 * order, ports in hex, seconds left); IPv6 addresses as eight four-digit groups.
 */
export function parseProcConnections(text: string): ConnEntry[] {
  const out: ConnEntry[] = [];
  const hex = /^[0-9A-Fa-f]{4}$/;
  for (const line of text.split('\n')) {
    const w = line.trim().split(/\s+/);
    if (w.length < 9 || !/^[A-Z]+$/.test(w[0]!) || w[0] === 'Pro' || !hex.test(w[2]!) || !hex.test(w[4]!) || !hex.test(w[6]!) || !/^\d+$/.test(w[8]!)) continue;
    const at = (addr: string, port: string): string | undefined => {
      const a = procAddress(addr);
      return a === undefined ? undefined : endpoint(a, parseInt(port, 16));
    };
    const [source, virtual, destination] = [at(w[1]!, w[2]!), at(w[3]!, w[4]!), at(w[5]!, w[6]!)];
    if (!source || !virtual || !destination) continue;
    out.push({ proto: w[0]!, expireS: Number(w[8]), state: w[7]!, source, virtual, destination });
  }
  return out;
}

/** Entries as `ipvsadm -Lnc` prints them (its header and `%-3s %02d:%02d  %-11s %-18s %-18s %-18s` rows). */
export function formatIpvsadmConnections(entries: readonly ConnEntry[]): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  const rows = entries.map((e) => `${e.proto.padEnd(3)} ${two(Math.floor(e.expireS / 60))}:${two(e.expireS % 60)}  ${e.state.padEnd(11)} ${e.source.padEnd(18)} ${e.virtual.padEnd(18)} ${e.destination.padEnd(18)}`.trimEnd());
  return ['IPVS connection entries', 'pro expire state       source             virtual            destination', ...rows].join('\n') + '\n';
}

/** `0AF40202` (IPv4, network order) or `fd00:0244:0002:0000:0000:0000:0000:0002` (IPv6). */
function procAddress(text: string): string | undefined {
  if (/^[0-9A-Fa-f]{8}$/.test(text)) return ipv4(Uint8Array.from(text.match(/../g)!.map((x) => parseInt(x, 16))), 0);
  const groups = text.split(':');
  if (groups.length !== 8 || !groups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return undefined;
  return ipv6(Uint8Array.from(groups.flatMap((g) => { const n = parseInt(g, 16); return [n >> 8, n & 0xff]; })), 0);
}

/** The three sections the guest command prints, parsed; a section the kernel lacks is left out. */
export function parseConnTable(text: string): ConnTable {
  const sections = new Map<string, string[]>();
  let current: string | null = null;
  for (const line of text.split('\n')) {
    if (line === CONN_SECTION || line === STATUS_SECTION || line === LFACTOR_SECTION) {
      current = line;
      sections.set(line, []);
    } else if (current !== null) sections.get(current)!.push(line);
  }
  // /proc/net/ip_vs_conn as the guest prints it now, `ipvsadm -Lnc` as it did before.
  const rows = (sections.get(CONN_SECTION) ?? []).join('\n');
  const table: ConnTable = { entries: [...parseProcConnections(rows), ...parseIpvsadmConnections(rows)] };
  const status = (sections.get(STATUS_SECTION) ?? []).map((l) => /^([^:]+):\s*(.*)$/.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  if (status.length > 0) table.status = Object.fromEntries(status.map((m) => [m[1]!.trim(), m[2]!.trim()]));
  const lf = (sections.get(LFACTOR_SECTION) ?? []).map((l) => /^(\w+) (-?\d+)$/.exec(l.trim())).filter((m): m is RegExpExecArray => m !== null);
  if (lf.length > 0) table.lfactor = Object.fromEntries(lf.map((m) => [m[1]!, Number(m[2])]));
  return table;
}

/** The entries a step created or changed: in `after`, not identical in `before`. */
export function changedEntries(before: ConnTable | undefined, after: ConnTable): ConnEntry[] {
  const seen = new Set((before?.entries ?? []).map((e) => `${e.proto} ${e.source} ${e.virtual} ${e.destination} ${e.state}`));
  return after.entries.filter((e) => !seen.has(`${e.proto} ${e.source} ${e.virtual} ${e.destination} ${e.state}`));
}
