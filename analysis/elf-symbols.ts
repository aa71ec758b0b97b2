// A small reader of an x86-64 kernel module's symbol table (ELF64, little-endian, relocatable): where
// each function lives inside its section. A module's section is placed whole when it loads, so a
// function's address is its section's base (/sys/module/<m>/sections/.text) plus the offset read here.
// Format: the System V ABI's ELF chapter (a 64-byte header, section headers, .symtab and .strtab).

export class ElfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ElfError';
  }
}

const SHT_SYMTAB = 2;
const STT_FUNC = 2;

interface Section {
  name: string;
  type: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

interface Parsed {
  view: DataView;
  sections: Section[];
  target: number;
}

function parse(elf: Uint8Array, sectionName: string): Parsed {
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (elf.byteLength < 64 || view.getUint32(0) !== 0x7f454c46) throw new ElfError('not an ELF file');
  if (elf[4] !== 2 || elf[5] !== 1) throw new ElfError(`not a little-endian 64-bit ELF (class ${elf[4]}, data ${elf[5]})`);
  const shoff = Number(view.getBigUint64(0x28, true));
  const shentsize = view.getUint16(0x3a, true);
  const shnum = view.getUint16(0x3c, true);
  const shstrndx = view.getUint16(0x3e, true);
  if (shentsize < 64 || shoff + shnum * shentsize > elf.byteLength || shstrndx >= shnum) throw new ElfError('section header table out of the file');
  const raw = Array.from({ length: shnum }, (_, i) => {
    const at = shoff + i * shentsize;
    return {
      nameOff: view.getUint32(at, true),
      type: view.getUint32(at + 4, true),
      offset: Number(view.getBigUint64(at + 0x18, true)),
      size: Number(view.getBigUint64(at + 0x20, true)),
      link: view.getUint32(at + 0x28, true),
      entsize: Number(view.getBigUint64(at + 0x38, true)),
    };
  });
  const names = raw[shstrndx]!;
  const sections: Section[] = raw.map((s) => ({ ...s, name: cString(elf, names.offset + s.nameOff, names.offset + names.size) }));
  const target = sections.findIndex((s) => s.name === sectionName);
  if (target < 0) throw new ElfError(`no ${sectionName} section`);
  return { view, sections, target };
}

/**
 * The functions defined in `sectionName` (`.text`) and their offsets in it. A name defined twice (two
 * static functions of one name in different files) is left out: its offset would be a guess.
 */
export function sectionFunctionOffsets(elf: Uint8Array, sectionName = '.text'): Map<string, number> {
  const { view, sections, target } = parse(elf, sectionName);
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  if (!symtab) throw new ElfError('no symbol table (.symtab): the module was stripped');
  const strtab = sections[symtab.link];
  if (!strtab || symtab.entsize < 24 || symtab.offset + symtab.size > elf.byteLength || strtab.offset + strtab.size > elf.byteLength) {
    throw new ElfError('symbol table out of the file');
  }
  const out = new Map<string, number>();
  const twice = new Set<string>();
  for (let at = symtab.offset; at + 24 <= symtab.offset + symtab.size; at += symtab.entsize) {
    const info = elf[at + 4]!;
    const shndx = view.getUint16(at + 6, true);
    if ((info & 0xf) !== STT_FUNC || shndx !== target) continue;
    const name = cString(elf, strtab.offset + view.getUint32(at, true), strtab.offset + strtab.size);
    if (name === '') continue;
    if (out.has(name)) twice.add(name);
    out.set(name, Number(view.getBigUint64(at + 8, true)));
  }
  for (const n of twice) out.delete(n);
  return out;
}

const ENDBR64 = [0xf3, 0x0f, 0x1e, 0xfa];
const NOP5 = [0x0f, 0x1f, 0x44, 0x00, 0x00];

/**
 * Where each function's own code starts, past its ftrace call site: `call __fentry__` (e8 + 4 bytes,
 * relocated when the module loads; a 5-byte nop once ftrace patched it), after an `endbr64` on kernels
 * built with IBT (6.2 and later in Debian). 5 or 9 for a function compiled for ftrace; functions whose
 * entry is anything else are left out. A kprobe there is an ordinary breakpoint, not an ftrace_ops on
 * the call site, whose arming and disarming walk every ftrace record (docs/vm.md).
 */
export function pastFtraceEntry(elf: Uint8Array, offsets: ReadonlyMap<string, number>, sectionName = '.text'): Map<string, number> {
  const { sections, target } = parse(elf, sectionName);
  const text = sections[target]!;
  const out = new Map<string, number>();
  const at = (base: number, bytes: readonly number[]): boolean => bytes.every((b, i) => elf[base + i] === b);
  for (const [name, off] of offsets) {
    const base = text.offset + off;
    if (off < 0 || off + 9 > text.size || base + 9 > elf.byteLength) continue;
    const call = at(base, ENDBR64) ? 4 : 0;
    if (elf[base + call] === 0xe8 || at(base + call, NOP5)) out.set(name, call + 5);
  }
  return out;
}

function cString(bytes: Uint8Array, from: number, end: number): string {
  let to = from;
  while (to < end && bytes[to] !== 0) to++;
  return new TextDecoder().decode(bytes.subarray(from, to));
}
