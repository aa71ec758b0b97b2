// A small, valid BTF holding only what a few structs' member offsets need: the structs, and every type
// embedded in them (nested structs, unions, arrays, typedefs, integers), with pointers cut to `void *`
// and enum values dropped. Used to commit a real kernel's layout as a test fixture of a few KB
// instead of its 3-6 MB BTF (scripts/btf-fixture.ts); the offsets are unchanged.
import { BTF_KINDS as K, BtfError, type Btf } from './btf.ts';

export function btfSubset(btf: Btf, structs: readonly string[]): Uint8Array {
  const keep = new Map<number, number>();
  const order: number[] = [];
  const visit = (id: number): void => {
    if (id === 0 || keep.has(id)) return;
    const t = btf.types[id];
    if (!t) throw new BtfError(`type ${id} does not exist`);
    keep.set(id, order.length + 1);
    order.push(id);
    if (t.members) for (const m of t.members) visit(m.type);
    else if (t.array) { visit(t.array.type); visit(t.array.index); }
    else if ([K.K_TYPEDEF, K.K_CONST, K.K_VOLATILE, K.K_RESTRICT, K.K_TYPE_TAG].includes(t.kind)) visit(t.sizeOrType);
  };
  for (const name of structs) {
    const ids = btf.structIds(name);
    if (ids.length === 0) throw new BtfError(`struct ${name} is not in this BTF`);
    ids.forEach(visit);
  }
  const strings: number[] = [0];
  const stringOff = new Map<string, number>([['', 0]]);
  const encoder = new TextEncoder();
  const str = (s: string): number => {
    const known = stringOff.get(s);
    if (known !== undefined) return known;
    const off = strings.length;
    strings.push(...encoder.encode(s), 0);
    stringOff.set(s, off);
    return off;
  };
  const words: number[] = [];
  const info = (kind: number, vlen: number, flag = false): number => ((flag ? 1 : 0) << 31 | kind << 24 | vlen) >>> 0;
  const newId = (id: number): number => (id === 0 ? 0 : keep.get(id)!);
  for (const id of order) {
    const t = btf.types[id]!;
    if (t.members) {
      const bitfields = t.members.some((m) => m.bitSize !== 0);
      words.push(str(t.name), info(t.kind, t.members.length, bitfields), t.sizeOrType);
      for (const m of t.members) words.push(str(m.name), newId(m.type), bitfields ? (m.bitSize << 24 | m.bitOffset) >>> 0 : m.bitOffset);
    } else if (t.kind === K.K_ARRAY) {
      words.push(0, info(K.K_ARRAY, 0), 0, newId(t.array!.type), newId(t.array!.index), t.array!.nelems);
    } else if (t.kind === K.K_INT) {
      words.push(str(t.name), info(K.K_INT, 0), t.sizeOrType, t.intEncoding ?? 0);
    } else if (t.kind === K.K_PTR) {
      words.push(0, info(K.K_PTR, 0), 0);
    } else if (t.kind === K.K_ENUM || t.kind === K.K_ENUM64 || t.kind === K.K_FLOAT) {
      words.push(str(t.name), info(t.kind, 0), t.sizeOrType);
    } else if (t.kind === K.K_FWD) {
      words.push(str(t.name), info(K.K_FWD, 0), 0);
    } else {
      words.push(str(t.name), info(t.kind, 0), newId(t.sizeOrType));
    }
  }
  const typeLen = words.length * 4;
  const out = new Uint8Array(24 + typeLen + strings.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 0xeb9f, true);
  dv.setUint8(2, 1);
  dv.setUint32(4, 24, true);
  dv.setUint32(8, 0, true);
  dv.setUint32(12, typeLen, true);
  dv.setUint32(16, typeLen, true);
  dv.setUint32(20, strings.length, true);
  words.forEach((w, i) => dv.setUint32(24 + 4 * i, w, true));
  out.set(strings, 24 + typeLen);
  return out;
}
