// IPVS's connection table beside the call graphs: `ipvsadm -Lnc` (every kernel), /proc/net/ip_vs_status
// and the conn_lfactor / svc_lfactor sysctls (7.x's resizable tables), as the guest printed them
// before and after a step (scenarios/conn-table-command.ts), parsed here.

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
  const table: ConnTable = { entries: parseIpvsadmConnections((sections.get(CONN_SECTION) ?? []).join('\n')) };
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
