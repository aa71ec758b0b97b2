// IPVS's connection table as the runner's guest command printed it (scenarios/conn-table-command.ts),
// from real runs: Debian 5.10 after pod-to-vip (no ip_vs_status, no lfactor sysctls) and 7.3 (both).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { changedEntries, parseConnTable } from '../../analysis/conn-table.ts';

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
