// The module symbol reader on real modules: debian:5.10's and debian:6.12's ip_vs.ko (test/fixtures/elf,
// cut by scripts/elf-fixture.ts: only the symbol table, names and each function's first 16 bytes kept). The expected addresses are what that
// kernel's kprobes/list printed for the ten hook functions probed by name, with ip_vs's .text base
// read beside them (test/fixtures/kprobes): base + offset must be the kernel's own address of each.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ElfError, pastFtraceEntry, sectionFunctionOffsets } from '../../analysis/elf-symbols.ts';
import { HOOK_FUNCTIONS } from '../../scenarios/trace-plan.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const module = (release: string) => gunzipSync(Buffer.from(readFileSync(join(FIXTURES, 'elf', `${release}-ip_vs.ko.gz.b64`), 'utf8'), 'base64'));
const ko = module('5.10.0-46-cloud-amd64');
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

describe('pastFtraceEntry: where a hook function\'s own code starts, past its ftrace call', () => {
  it('5.10 (no IBT): `call __fentry__` at +0, so +5, for every hook function', () => {
    const offsets = sectionFunctionOffsets(ko);
    const hooks = new Map([...offsets].filter(([n]) => (HOOK_FUNCTIONS as readonly string[]).includes(n)));
    expect(hooks.size).toBe(10);
    const past = pastFtraceEntry(ko, hooks);
    expect([...past.values()]).toEqual(Array(10).fill(5));
  });

  it('6.12 (IBT): endbr64, then the call at +4, so +9', () => {
    const ko612 = module('6.12.118+deb13-cloud-amd64');
    const offsets = sectionFunctionOffsets(ko612);
    const hooks = new Map([...offsets].filter(([n]) => (HOOK_FUNCTIONS as readonly string[]).includes(n)));
    expect([...hooks.keys()]).toEqual(expect.arrayContaining(['ip_vs_forward_icmp', 'ip_vs_in_hook', 'ip_vs_out_hook']));
    const past = pastFtraceEntry(ko612, hooks);
    expect(past.size).toBe(hooks.size);
    expect([...past.values()].every((o) => o === 9)).toBe(true);
  });

  it('leaves out a function whose entry is not an ftrace call site, and one past the section', () => {
    const offsets = sectionFunctionOffsets(ko);
    const copy = Uint8Array.from(ko);
    const past = pastFtraceEntry(copy, new Map([['ip_vs_reply4', offsets.get('ip_vs_reply4')!], ['beyond', 1 << 30]]));
    expect([...past.keys()]).toEqual(['ip_vs_reply4']);
    // The same function with its first byte changed (no call): left out.
    const textAt = past.get('ip_vs_reply4')! > 0 ? findText(copy) + offsets.get('ip_vs_reply4')! : -1;
    copy[textAt] = 0x90;
    expect(pastFtraceEntry(copy, new Map([['ip_vs_reply4', offsets.get('ip_vs_reply4')!]])).size).toBe(0);
  });
});

/** The file offset of .text (section headers read directly, as the reader does). */
function findText(elf: Uint8Array): number {
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const shoff = Number(view.getBigUint64(0x28, true));
  const shnum = view.getUint16(0x3c, true);
  const names = Number(view.getBigUint64(shoff + view.getUint16(0x3e, true) * 64 + 0x18, true));
  for (let i = 0; i < shnum; i++) {
    let name = '';
    for (let k = names + view.getUint32(shoff + i * 64, true); elf[k] !== 0; k++) name += String.fromCharCode(elf[k]!);
    if (name === '.text') return Number(view.getBigUint64(shoff + i * 64 + 0x18, true));
  }
  throw new Error('no .text');
}
