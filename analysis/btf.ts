// A small reader of BTF (the kernel's own type information, /sys/kernel/btf/vmlinux): enough to find
// where a struct member lives (`sk_buff.data`, `net.ns.inum`) on the kernel that wrote the blob.
// Format: Documentation/bpf/btf.rst (a 24-byte header, then the type and string sections).

export class BtfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BtfError';
  }
}

const MAGIC = 0xeb9f;

// BTF_KIND_*
const K_INT = 1, K_PTR = 2, K_ARRAY = 3, K_STRUCT = 4, K_UNION = 5, K_ENUM = 6, K_FWD = 7, K_TYPEDEF = 8,
  K_VOLATILE = 9, K_CONST = 10, K_RESTRICT = 11, K_FUNC = 12, K_FUNC_PROTO = 13, K_VAR = 14, K_DATASEC = 15,
  K_FLOAT = 16, K_DECL_TAG = 17, K_TYPE_TAG = 18, K_ENUM64 = 19;

export interface BtfMember {
  name: string;
  type: number;
  /** Offset in bits from the start of the struct. */
  bitOffset: number;
  /** Bitfield size in bits; 0 for a plain member. */
  bitSize: number;
}

export interface BtfType {
  kind: number;
  name: string;
  /** size (INT, STRUCT, UNION, ENUM, FLOAT) or referenced type id (PTR, TYPEDEF, CONST, ...). */
  sizeOrType: number;
  members?: BtfMember[];
  /** ARRAY: element type, index type and count. */
  array?: { type: number; index: number; nelems: number };
  /** INT: the encoding word (signedness, bit offset, bits). */
  intEncoding?: number;
  /** ENUM / ENUM64: how many values (the values themselves are not kept). */
  vlen?: number;
}

/** Where a member lives: byte offset from the start of the outer struct and its size in bytes. */
export interface MemberLocation {
  offset: number;
  size: number;
}

export class Btf {
  /** Index = type id; 0 is void. */
  readonly types: (BtfType | null)[];
  private byName: Map<string, number[]> | null = null;

  constructor(types: (BtfType | null)[]) {
    this.types = types;
  }

  /** The ids of structs (and unions) with that name, with members (not forward declarations). */
  structIds(name: string): number[] {
    if (this.byName === null) {
      this.byName = new Map();
      this.types.forEach((t, id) => {
        if (t === null || (t.kind !== K_STRUCT && t.kind !== K_UNION) || t.name === '') return;
        const list = this.byName!.get(t.name);
        if (list) list.push(id);
        else this.byName!.set(t.name, [id]);
      });
    }
    return this.byName.get(name) ?? [];
  }

  /** Follows typedefs and qualifiers to the type that has a shape. */
  resolve(id: number): number {
    for (let guard = 0; guard < 64; guard++) {
      const t = this.types[id];
      if (!t) return id;
      if (t.kind === K_TYPEDEF || t.kind === K_VOLATILE || t.kind === K_CONST || t.kind === K_RESTRICT || t.kind === K_TYPE_TAG) id = t.sizeOrType;
      else return id;
    }
    throw new BtfError(`type ${id}: typedef chain too long`);
  }

  sizeOf(id: number): number {
    const t = this.types[this.resolve(id)];
    if (!t) return 0;
    switch (t.kind) {
      case K_PTR: return 8;
      case K_ARRAY: return t.array!.nelems * this.sizeOf(t.array!.type);
      case K_INT: case K_STRUCT: case K_UNION: case K_ENUM: case K_ENUM64: case K_FLOAT: return t.sizeOrType;
      default: return 0;
    }
  }

  /**
   * The location of `path` (member names, e.g. ['ns', 'inum']) inside struct `struct`; members of
   * anonymous structs and unions are found as the compiler finds them. Throws naming what is missing.
   */
  member(struct: string, path: readonly string[]): MemberLocation {
    const ids = this.structIds(struct);
    if (ids.length === 0) throw new BtfError(`struct ${struct} is not in this BTF`);
    let lastError: BtfError | null = null;
    for (const id of ids) {
      try {
        return this.memberIn(id, struct, path);
      } catch (err) {
        if (!(err instanceof BtfError)) throw err;
        lastError = err;
      }
    }
    throw lastError!;
  }

  private memberIn(id: number, where: string, path: readonly string[]): MemberLocation {
    let offset = 0;
    let typeId = id;
    for (const name of path) {
      const t = this.types[this.resolve(typeId)];
      if (!t || !t.members) throw new BtfError(`${where} is not a struct or union, so it has no member ${name}`);
      const found = this.findMember(this.resolve(typeId), name);
      if (found === null) throw new BtfError(`struct ${where} has no member ${name}`);
      if (found.bitSize !== 0 || found.bitOffset % 8 !== 0) throw new BtfError(`${where}.${name} is a bitfield`);
      offset += found.bitOffset / 8;
      typeId = found.type;
      where = `${where}.${name}`;
    }
    return { offset, size: this.sizeOf(typeId) };
  }

  /** A named member of a struct or union, looking into anonymous members; offsets add up. */
  private findMember(structId: number, name: string): BtfMember | null {
    const t = this.types[structId];
    for (const m of t?.members ?? []) {
      if (m.name === name) return m;
      if (m.name === '') {
        const inner = this.types[this.resolve(m.type)];
        if (inner?.members) {
          const found = this.findMember(this.resolve(m.type), name);
          if (found) return { ...found, bitOffset: found.bitOffset + m.bitOffset };
        }
      }
    }
    return null;
  }
}

/** Parses a raw BTF blob (little-endian, as x86-64 kernels write it). */
export function parseBtf(bytes: Uint8Array): Btf {
  if (bytes.length < 24) throw new BtfError(`not BTF: ${bytes.length} bytes, shorter than the 24-byte header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = dv.getUint16(0, true);
  if (magic !== MAGIC) {
    throw new BtfError(magic === 0x9feb ? 'big-endian BTF is not supported' : `not BTF: magic 0x${magic.toString(16)}, expected 0xeb9f`);
  }
  const hdrLen = dv.getUint32(4, true);
  const typeOff = dv.getUint32(8, true), typeLen = dv.getUint32(12, true);
  const strOff = dv.getUint32(16, true), strLen = dv.getUint32(20, true);
  const typesStart = hdrLen + typeOff, typesEnd = typesStart + typeLen;
  const strStart = hdrLen + strOff, strEnd = strStart + strLen;
  if (typesEnd > bytes.length || strEnd > bytes.length) throw new BtfError(`truncated BTF: sections end at ${Math.max(typesEnd, strEnd)}, blob has ${bytes.length} bytes`);
  const decoder = new TextDecoder();
  const str = (off: number): string => {
    if (off === 0) return '';
    const start = strStart + off;
    let end = start;
    while (end < strEnd && bytes[end] !== 0) end++;
    return decoder.decode(bytes.subarray(start, end));
  };
  const types: (BtfType | null)[] = [null];
  let p = typesStart;
  const u32 = (at: number): number => dv.getUint32(at, true);
  while (p < typesEnd) {
    if (p + 12 > typesEnd) throw new BtfError(`truncated type ${types.length} at byte ${p}`);
    const nameOff = u32(p), info = u32(p + 4), sizeOrType = u32(p + 8);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kindFlag = (info >>> 31) === 1;
    p += 12;
    const t: BtfType = { kind, name: str(nameOff), sizeOrType };
    switch (kind) {
      case K_INT: t.intEncoding = u32(p); p += 4; break;
      case K_VAR: case K_DECL_TAG: p += 4; break;
      case K_ARRAY: t.array = { type: u32(p), index: u32(p + 4), nelems: u32(p + 8) }; p += 12; break;
      case K_STRUCT: case K_UNION: {
        const members: BtfMember[] = [];
        for (let i = 0; i < vlen; i++, p += 12) {
          const off = u32(p + 8);
          members.push({
            name: str(u32(p)), type: u32(p + 4),
            bitOffset: kindFlag ? off & 0xffffff : off, bitSize: kindFlag ? off >>> 24 : 0,
          });
        }
        t.members = members;
        break;
      }
      case K_ENUM: t.vlen = vlen; p += 8 * vlen; break;
      case K_ENUM64: t.vlen = vlen; p += 12 * vlen; break;
      case K_FUNC_PROTO: p += 8 * vlen; break;
      case K_DATASEC: p += 12 * vlen; break;
      case K_PTR: case K_FWD: case K_TYPEDEF: case K_VOLATILE: case K_CONST: case K_RESTRICT: case K_FUNC: case K_FLOAT: case K_TYPE_TAG: break;
      default: throw new BtfError(`unknown BTF kind ${kind} for type ${types.length} at byte ${p - 12}`);
    }
    types.push(t);
  }
  return new Btf(types);
}

export const BTF_KINDS = { K_INT, K_PTR, K_ARRAY, K_STRUCT, K_UNION, K_ENUM, K_ENUM64, K_FWD, K_TYPEDEF, K_CONST, K_VOLATILE, K_RESTRICT, K_TYPE_TAG, K_FLOAT, K_FUNC, K_FUNC_PROTO, K_VAR, K_DATASEC, K_DECL_TAG };
