// Writes the ELF test fixture of one kernel module: the module with every section's bytes zeroed except
// the section names, the symbol table and its strings, and the first 16 bytes of each function in .text
// (its entry: endbr64, the ftrace call; what analysis/elf-symbols.ts reads), gzipped, as base64 text so
// the repository holds no binary file (a few KB instead of ~300).
//   npx tsx scripts/elf-fixture.ts <lib/modules/.../ip_vs.ko> test/fixtures/elf/<release>-ip_vs.ko.gz.b64
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { sectionFunctionOffsets } from '../analysis/elf-symbols.ts';

const [from, to] = process.argv.slice(2);
if (!from || !to) {
  console.error('usage: tsx scripts/elf-fixture.ts <module .ko> <out .ko.gz.b64>');
  process.exit(2);
}
const elf = readFileSync(from);
const entries = sectionFunctionOffsets(elf);
const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
const shoff = Number(view.getBigUint64(0x28, true));
const shentsize = view.getUint16(0x3a, true);
const shnum = view.getUint16(0x3c, true);
const SHT_SYMTAB = 2, SHT_STRTAB = 3, SHT_NOBITS = 8;
const shstrndx = view.getUint16(0x3e, true);
const names = Number(view.getBigUint64(shoff + shstrndx * shentsize + 0x18, true));
for (let i = 0; i < shnum; i++) {
  const at = shoff + i * shentsize;
  const type = view.getUint32(at + 4, true);
  if (type === SHT_SYMTAB || type === SHT_STRTAB || type === SHT_NOBITS) continue;
  const offset = Number(view.getBigUint64(at + 0x18, true));
  const size = Number(view.getBigUint64(at + 0x20, true));
  let name = '';
  for (let k = names + view.getUint32(at, true); elf[k] !== 0; k++) name += String.fromCharCode(elf[k]!);
  const kept = name === '.text' ? [...entries.values()].map((o) => Buffer.from(elf.subarray(offset + o, offset + Math.min(o + 16, size)))) : [];
  elf.fill(0, offset, offset + size);
  if (name === '.text') [...entries.values()].forEach((o, j) => kept[j]!.copy(elf, offset + o));
}
const gz = gzipSync(elf, { level: 9 });
writeFileSync(to, gz.toString('base64').replace(/.{76}/g, '$&\n') + '\n');
console.log(`wrote ${to}: ${gz.length} bytes gzipped from ${elf.length}`);
