// The packet bytes of real flow probes (Debian 5.10, seed scenarios no-destination and
// pod-to-vip-ipv6: `pkt={...}` as tracefs printed them) decoded into what identifies a flow.
import { describe, expect, it } from 'vitest';
import { decodePacket, describePacket, ipv6, parseByteArray } from '../../analysis/packet-header.ts';

const bytes = (text: string) => parseByteArray(text)!;

describe('decodePacket on real probe bytes', () => {
  it('a UDP datagram from a pod to the VIP', () => {
    const p = decodePacket(bytes('{69,0,0,33,237,170,64,0,64,17,53,194,10,244,2,2,10,96,0,10,221,123,0,53,0,13,23,126,112,105,110,103,10,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0}'))!;
    expect(p).toEqual({ family: 4, proto: 'udp', src: '10.244.2.2', dst: '10.96.0.10', sport: 56699, dport: 53 });
  });

  it('a TCP SYN, with its flags', () => {
    const p = decodePacket(bytes('{69,0,0,60,120,186,64,0,64,6,170,162,10,244,2,2,10,96,0,10,191,0,0,80,7,171,245,116,0,0,0,0,160,2,250,240,23,142,0,0,2,4,5,180,4,2,8,10,120,75,226,187,0,0,0,0,1,3,3,6,0,0,0,0}'))!;
    expect(describePacket(p)).toBe('tcp 10.244.2.2:48896 > 10.96.0.10:80 [S]');
  });

  it('the port unreachable IPVS sent from the VIP, quoting the datagram (ports included)', () => {
    const p = decodePacket(bytes('{69,192,0,61,139,90,0,0,64,1,215,70,10,96,0,10,10,244,2,2,3,3,30,240,0,0,0,0,69,0,0,33,237,170,64,0,64,17,53,194,10,244,2,2,10,96,0,10,221,123,0,53,0,13,23,126,112,105,110,103,10,0,0,0}'))!;
    expect(p.icmp).toEqual({ type: 3, code: 3 });
    expect(p.inner).toEqual({ proto: 'udp', src: '10.244.2.2', dst: '10.96.0.10', sport: 56699, dport: 53 });
    expect(describePacket(p)).toBe('icmp 10.96.0.10 > 10.244.2.2 type 3/3 (quoting udp 10.244.2.2:56699 > 10.96.0.10:53)');
  });

  it('an IPv6 router solicitation (the kernel\'s own traffic), link-local to all-routers', () => {
    const p = decodePacket(bytes('{96,0,0,0,0,16,58,255,254,128,0,0,0,0,0,0,252,91,255,255,254,157,69,184,255,2,0,0,0,0,0,0,0,0,0,0,0,0,0,2,133,0,247,201,0,0,0,0,1,1,254,91,255,157,69,184,0,0,0,0,0,0,0,0}'))!;
    expect(p).toMatchObject({ family: 6, proto: 'icmpv6', src: 'fe80::fc5b:ffff:fe9d:45b8', dst: 'ff02::2', icmp: { type: 133, code: 0 } });
  });

  it('refuses bytes that are no IP header, and text that is no byte list', () => {
    expect(decodePacket(new Uint8Array([0, 1, 2]))).toBeNull();
    expect(decodePacket(new Uint8Array(64))).toBeNull();
    expect(parseByteArray('(fault)')).toBeNull();
    expect(parseByteArray('{1,300}')).toBeNull();
  });

  it('writes IPv6 addresses as RFC 5952 does', () => {
    const a = new Uint8Array(16);
    expect(ipv6(a, 0)).toBe('::');
    a[15] = 1;
    expect(ipv6(a, 0)).toBe('::1');
    const b = Uint8Array.from([0xfd, 0, 0, 0x96, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10]);
    expect(ipv6(b, 0)).toBe('fd00:96::10');
    const c = Uint8Array.from([0x20, 1, 0xd, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(ipv6(c, 0)).toBe('2001:db8:0:1::1');
  });
});
