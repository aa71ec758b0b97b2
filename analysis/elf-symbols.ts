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

/**
 * The functions defined in `sectionName` (`.text`) and their offsets in it. A name defined twice (two
 * static functions of one name in different files) is left out: its offset would be a guess.
 */
export function sectionFunctionOffsets(elf: Uint8Array, sectionName = '.text'): Map<string, number> {
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
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  if (target < 0) throw new ElfError(`no ${sectionName} section`);
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

function cString(bytes: Uint8Array, from: number, end: number): string {
  let to = from;
  while (to < end && bytes[to] !== 0) to++;
  return new TextDecoder().decode(bytes.subarray(from, to));
}
