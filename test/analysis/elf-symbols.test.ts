// The module symbol reader on a real module: debian:5.10's ip_vs.ko (test/fixtures/elf, cut by
// scripts/elf-fixture.ts: only the symbol table and names kept). The expected addresses are what that
// kernel's kprobes/list printed for the ten hook functions probed by name, with ip_vs's .text base
// read beside them (test/fixtures/kprobes): base + offset must be the kernel's own address of each.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ElfError, sectionFunctionOffsets } from '../../analysis/elf-symbols.ts';
import { HOOK_FUNCTIONS } from '../../scenarios/trace-plan.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const ko = gunzipSync(Buffer.from(readFileSync(join(FIXTURES, 'elf', '5.10.0-46-cloud-amd64-ip_vs.ko.gz.b64'), 'utf8'), 'base64'));
const listing = readFileSync(join(FIXTURES, 'kprobes', '5.10-ip_vs-hooks.txt'), 'utf8').split('\n');

describe('sectionFunctionOffsets on debian:5.10 ip_vs.ko', () => {
  const offsets = sectionFunctionOffsets(ko);
  const base = BigInt(listing.find((l) => l.startsWith('.text '))!.split(' ')[1]!);
  const placed = listing.map((l) => /^([0-9a-f]{16})\s+k\s+(\S+)\+0x0\s/.exec(l)).filter((m) => m !== null);

  it('the capture has the ten hook functions of 5.10', () => {
    expect(placed.map((m) => m[2]).sort()).toEqual(HOOK_FUNCTIONS.filter((f) => !f.endsWith('_hook')).sort());
  });

  it("puts every hook function where the kernel placed it: .text base + offset", () => {
    for (const [, addr, fn] of placed) {
      expect(offsets.get(fn!), fn).toBeDefined();
      expect((base + BigInt(offsets.get(fn!)!)).toString(16), fn).toBe(addr);
    }
  });

  it('lists only functions of .text (not .text.unlikely, not data)', () => {
    expect(offsets.size).toBeGreaterThan(100);
    expect(offsets.has('ip_vs_conn_tab')).toBe(false); // an object, not a function
    const unlikely = sectionFunctionOffsets(ko, '.text.unlikely');
    expect(unlikely.has('ip_vs_conn_new.cold')).toBe(true);
    for (const name of unlikely.keys()) expect(offsets.has(name), name).toBe(false);
  });

  it('refuses what is not a 64-bit little-endian ELF, and a section it does not have', () => {
    expect(() => sectionFunctionOffsets(new TextEncoder().encode('#!/bin/sh\necho not a module\n'.repeat(4)))).toThrow(ElfError);
    const be = Uint8Array.from(ko.subarray(0, 64));
    be[5] = 2;
    expect(() => sectionFunctionOffsets(be)).toThrow(/little-endian 64-bit/);
    expect(() => sectionFunctionOffsets(ko.subarray(0, 4096))).toThrow(/out of the file/);
    expect(() => sectionFunctionOffsets(ko, '.no-such-section')).toThrow(/no \.no-such-section section/);
  });
});
