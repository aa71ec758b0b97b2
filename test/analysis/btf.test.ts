// The BTF reader on real kernels' type information: the subsets in test/fixtures/btf were cut from
// /sys/kernel/btf/vmlinux of the four default Debian kernels (scripts/btf-fixture.ts). The expected
// offsets are the ones the flow probes used on those kernels, whose packet bytes decoded to the
// scenario's own addresses (test/fixtures/traces/flows): a wrong offset reads garbage.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BtfError, parseBtf } from '../../analysis/btf.ts';
import { btfSubset } from '../../analysis/btf-subset.ts';
import { flowLayoutOf } from '../../analysis/flow-layout.ts';
import { flowFetchArgs } from '../../scenarios/trace-plan.ts';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'btf');
const blob = (release: string): Uint8Array => Buffer.from(readFileSync(join(DIR, `${release}.btf.b64`), 'utf8'), 'base64');

const EXPECTED: Record<string, { hook: [number, number]; pf: number; net: number; inum: number; data: number }> = {
  '5.10.0-46-cloud-amd64': { hook: [0, 4], pf: 4, net: 32, inum: 144, data: 200 },
  '6.1.0-57-cloud-amd64': { hook: [0, 1], pf: 1, net: 32, inum: 144, data: 208 },
  '6.12.118+deb13-cloud-amd64': { hook: [0, 1], pf: 1, net: 32, inum: 136, data: 208 },
  '7.3.4+deb13-cloud-amd64': { hook: [0, 1], pf: 1, net: 32, inum: 280, data: 208 },
};

describe('BTF flow layout of real kernels', () => {
  it('has a fixture for each default kernel', () => {
    expect(readdirSync(DIR).map((f) => f.replace(/\.btf\.b64$/, '')).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [release, e] of Object.entries(EXPECTED)) {
    it(`${release}: nf_hook_state, sk_buff.data and net.ns.inum`, () => {
      const l = flowLayoutOf(parseBtf(blob(release)));
      expect([l.hook.offset, l.hook.size]).toEqual(e.hook);
      expect(l.pf).toEqual({ offset: e.pf, size: 1 });
      expect(l.net).toEqual({ offset: e.net, size: 8 });
      expect(l.netnsInum).toEqual({ offset: e.inum, size: 4 });
      expect(l.skbData).toEqual({ offset: e.data, size: 8 });
    });
  }

  it('writes the probe fetch-args from the layout (5.10: a 32-bit hook number)', () => {
    expect(flowFetchArgs(flowLayoutOf(parseBtf(blob('5.10.0-46-cloud-amd64'))))).toBe(
      'hook=+0(%dx):u32 pf=+4(%dx):u8 skb=%si:x64 netns=+144(+32(%dx)):u32 pkt=+0(+200(%si)):u8[64]',
    );
  });

  it('a subset of a subset keeps the offsets (the writer round-trips)', () => {
    const btf = parseBtf(blob('7.3.4+deb13-cloud-amd64'));
    const again = parseBtf(btfSubset(btf, ['nf_hook_state', 'sk_buff', 'net']));
    expect(flowLayoutOf(again)).toEqual(flowLayoutOf(btf));
    // Members of anonymous unions are found (sk_buff's next/prev live in one since 4.x).
    expect(again.member('sk_buff', ['next']).offset).toBe(0);
  });

  it('names what is missing', () => {
    const btf = parseBtf(blob('6.1.0-57-cloud-amd64'));
    expect(() => btf.member('nf_hook_state', ['nope'])).toThrow('struct nf_hook_state has no member nope');
    expect(() => btf.member('no_such_struct', ['x'])).toThrow('struct no_such_struct is not in this BTF');
    expect(() => btf.member('net', ['ns', 'inum', 'x'])).toThrow(BtfError);
  });

  it('refuses what is not BTF', () => {
    expect(() => parseBtf(new Uint8Array(10))).toThrow('shorter than the 24-byte header');
    expect(() => parseBtf(new TextEncoder().encode('x'.repeat(40)))).toThrow('expected 0xeb9f');
    const cut = blob('6.1.0-57-cloud-amd64').subarray(0, 1000);
    expect(() => parseBtf(cut)).toThrow('truncated BTF');
  });
});
