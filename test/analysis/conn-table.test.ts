// IPVS's connection table as the runner's guest command printed it (scenarios/conn-table-command.ts),
// from real runs: Debian 5.10 after pod-to-vip (no ip_vs_status, no lfactor sysctls) and 7.3 (both), as
// ipvsadm -Lnc printed them; and /proc/net/ip_vs_conn, which the runner reads now, beside ipvsadm.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { changedEntries, formatIpvsadmConnections, parseConnTable, parseIpvsadmConnections, parseProcConnections } from '../../analysis/conn-table.ts';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'conn-table');
const table = (name: string) => parseConnTable(readFileSync(join(DIR, name), 'utf8'));

describe('connection table', () => {
  it('5.10: one TCP connection pod1 -> VIP -> rs1 in TIME_WAIT; no status, no load factors', () => {
    const t = table('5.10-after-pod-to-vip.txt');
    expect(t.entries).toEqual([{ proto: 'TCP', expireS: 119, state: 'TIME_WAIT', source: '10.244.2.2:49826', virtual: '10.96.0.10:80', destination: '10.244.1.2:80' }]);
    expect(t.status).toBeUndefined();
    expect(t.lfactor).toBeUndefined();
  });

  it('7.3: the entries, ip_vs_status and conn_lfactor / svc_lfactor', () => {
    const t = table('7.3-after-pod-to-vip-ipv6.txt');
    expect(t.entries).toHaveLength(1);
    expect(t.entries[0]!.virtual).toBe('[fd00:96::10]:80');
    expect(t.status?.['Conns']).toBe('1');
    expect(Object.keys(t.lfactor ?? {}).sort()).toEqual(['conn_lfactor', 'svc_lfactor']);
  });

  it('what a step created: the entries not in the table before it', () => {
    const after = table('5.10-after-pod-to-vip.txt');
    expect(changedEntries({ entries: [] }, after)).toEqual(after.entries);
    expect(changedEntries(after, after)).toEqual([]);
  });
});

describe('/proc/net/ip_vs_conn, read directly', () => {
  // Captured from a 6.1 guest at one moment: the proc file, then `ipvsadm -Lnc` (which reads and formats it).
  const text = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'conn-table', '6.1-proc-and-ipvsadm.txt'), 'utf8');
  const [proc, ipvsadm] = text.split('=== ipvsadm\n');

  it('gives the entries ipvsadm -Lnc shows: IPv4 and IPv6, TCP and UDP, a persistence template (port 0)', () => {
    const fromProc = parseConnTable(proc!).entries;
    const fromIpvsadm = parseIpvsadmConnections(ipvsadm!);
    expect(fromProc).toHaveLength(4);
    // ipvsadm's mm:ss rounds nothing away: the seconds are the proc file's.
    expect(fromProc).toEqual(fromIpvsadm);
    expect(fromProc[2]).toEqual({ proto: 'TCP', expireS: 119, state: 'TIME_WAIT', source: '[fd00:96::10]:41001', virtual: '[fd00:96::10]:80', destination: '[fd00::2]:80' });
    expect(fromProc[3]!.source).toBe('10.96.0.10:0');
  });

  it('shows the entries as ipvsadm -Lnc prints them (the report\'s table at the end of a cell), byte for byte', () => {
    expect(formatIpvsadmConnections(parseConnTable(proc!).entries)).toBe(ipvsadm);
  });

  it('skips the header and rows it cannot read', () => {
    expect(parseProcConnections('Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\nTCP zz 0050 0A60000A 0050 0A010102 0050 ESTABLISHED 10\n')).toEqual([]);
  });
});
