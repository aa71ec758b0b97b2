// The drain before a step's end marker: the guest script run by busybox (the guest's own sh, awk,
// sed and cut) over this machine's real /proc/net/tcp, with a real socket stuck in SYN_SENT, and its
// output read back.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeProcAddress, drainCommand, parseDrain } from './drain.ts';
import { parseScenario } from './parse-scenario.ts';

const seed = (name: string) => {
  const file = join(import.meta.dirname, 'seed', `${name}.yaml`);
  return parseScenario(readFileSync(file, 'utf8'), file);
};

describe('decodeProcAddress', () => {
  it('reads IPv4 and IPv6 addresses as /proc/net/tcp and tcp6 print them (words in host byte order)', () => {
    expect(decodeProcAddress('0201F40A:0051')).toBe('10.244.1.2:81');
    expect(decodeProcAddress('440200FD000001000000000002000000:0050')).toBe('[fd00:244:1::2]:80');
    expect(decodeProcAddress('0000000000000000FFFF00000201F40A:0050')).toBe('10.244.1.2:80');
    expect(decodeProcAddress('00000000000000000000000001000000:0016')).toBe('[::1]:22');
  });
});

describe('parseDrain', () => {
  it('names each socket still in flight with its namespace, addresses, state and what is pending', () => {
    const r = parseDrain('busy 1512\nrs2 01 01 0000000B 0301F40A:0051 0202F40A:9DDC\npod1 02 01 00000000 0202F40A:9DDE 0A00600A:0051\n');
    expect(r).toEqual({
      quiet: false, ms: 1512,
      inFlight: ['rs2: 10.244.1.3:81 -> 10.244.2.2:40412 ESTABLISHED, retransmitting, 11 byte(s) unacknowledged', 'pod1: 10.244.2.2:40414 -> 10.96.0.10:81 SYN_SENT, retransmitting'],
    });
    expect(parseDrain('quiet 40\n')).toEqual({ quiet: true, ms: 40, inFlight: [] });
  });
});

describe('drainCommand in busybox over real sockets', () => {
  // A network namespace of our own (unshare -rn: no root needed) where 10.9.0.0/24 is routed into lo
  // and never answered: a real socket retransmits its SYN in SYN_SENT while the drain polls.
  const bin = mkdtempSync(join(tmpdir(), 'ipvsh-drain-'));
  const busybox = execFileSync('sh', ['-c', 'command -v busybox']).toString().trim();
  for (const applet of ['sh', 'awk', 'sed', 'cut', 'cat', 'sleep', 'nc']) symlinkSync(busybox, join(bin, applet));
  afterAll(() => rmSync(bin, { recursive: true, force: true }));
  const node = { ...seed('host-to-vip'), topology: { ...seed('host-to-vip').topology, namespaces: [] } };
  const inOwnNetns = (setup: string, deadlineS: number) => parseDrain(execFileSync('unshare', ['-rn', join(bin, 'sh'), '-c', [
    `export PATH=${bin}:/usr/sbin:/sbin`,
    'ip link set lo up',
    setup,
    drainCommand(node, deadlineS).script,
  ].join('\n')], { timeout: 20_000 }).toString());

  it('waits out the deadline and names a socket whose SYN is being retransmitted', () => {
    const r = inOwnNetns('ip route add 10.9.0.0/24 dev lo; (nc -w 5 10.9.0.2 80 </dev/null >/dev/null 2>&1 &); sleep 0.3', 0.4);
    expect(r.quiet).toBe(false);
    expect(r.ms).toBeGreaterThanOrEqual(300);
    expect(r.inFlight).toEqual([expect.stringMatching(/^node: [\d.]+:\d+ -> 10\.9\.0\.2:80 SYN_SENT, retransmitting, 1 byte\(s\) unacknowledged$/)]);
  });

  it('returns at once when nothing is in flight (a listening socket is not traffic)', () => {
    const r = inOwnNetns('(nc -l -p 8080 </dev/null >/dev/null 2>&1 &); sleep 0.2', 1.5);
    expect(r).toMatchObject({ quiet: true, inFlight: [] });
    expect(r.ms).toBeLessThan(1000);
  });
});
