// A newc ("070701") cpio writer, so the guest image is built in-process: no root, no cpio binary.
// Entries are deterministic (mtime 0, uid/gid 0) so the same inputs give the same bytes.

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

interface Entry {
  mode: number;
  data: Buffer;
  rdevMajor: number;
  rdevMinor: number;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

export class CpioWriter {
  private readonly entries = new Map<string, Entry>();

  /** Normalises "/a/b/" to "a/b": newc archives hold relative names. */
  private static clean(path: string): string {
    const p = path.replace(/^\/+/, '').replace(/\/+$/, '').replace(/\/+/g, '/');
    if (!p || p.split('/').some((part) => part === '..' || part === '.')) throw new Error(`cpio: bad path "${path}"`);
    return p;
  }

  private ensureParents(path: string): void {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      const existing = this.entries.get(dir);
      if (!existing) this.entries.set(dir, { mode: S_IFDIR | 0o755, data: Buffer.alloc(0), rdevMajor: 0, rdevMinor: 0 });
      else if ((existing.mode & 0o170000) !== S_IFDIR) throw new Error(`cpio: ${dir} is not a directory`);
    }
  }

  private put(path: string, entry: Entry): this {
    const p = CpioWriter.clean(path);
    this.ensureParents(p);
    this.entries.set(p, entry);
    return this;
  }

  has(path: string): boolean {
    return this.entries.has(CpioWriter.clean(path));
  }

  dir(path: string, perm = 0o755): this {
    return this.put(path, { mode: S_IFDIR | perm, data: Buffer.alloc(0), rdevMajor: 0, rdevMinor: 0 });
  }

  file(path: string, data: Buffer | string, perm = 0o644): this {
    return this.put(path, { mode: S_IFREG | perm, data: Buffer.isBuffer(data) ? data : Buffer.from(data), rdevMajor: 0, rdevMinor: 0 });
  }

  symlink(path: string, target: string): this {
    return this.put(path, { mode: S_IFLNK | 0o777, data: Buffer.from(target), rdevMajor: 0, rdevMinor: 0 });
  }

  charDevice(path: string, major: number, minor: number, perm = 0o600): this {
    return this.put(path, { mode: S_IFCHR | perm, data: Buffer.alloc(0), rdevMajor: major, rdevMinor: minor });
  }

  get size(): number {
    return this.entries.size;
  }

  /** The archive: parents come before children because names are sorted. */
  toBuffer(): Buffer {
    const chunks: Buffer[] = [];
    let ino = 1;
    const names = [...this.entries.keys()].sort();
    const emit = (name: string, e: Entry): void => {
      const nameBuf = Buffer.from(name + '\0');
      const header =
        '070701' +
        [ino++, e.mode, 0, 0, (e.mode & 0o170000) === S_IFDIR ? 2 : 1, 0, e.data.length, 0, 0, e.rdevMajor, e.rdevMinor, nameBuf.length, 0]
          .map(hex8)
          .join('');
      chunks.push(Buffer.from(header, 'latin1'), nameBuf, Buffer.alloc(pad4(110 + nameBuf.length)));
      if (e.data.length) chunks.push(e.data, Buffer.alloc(pad4(e.data.length)));
    };
    for (const name of names) emit(name, this.entries.get(name)!);
    emit('TRAILER!!!', { mode: 0, data: Buffer.alloc(0), rdevMajor: 0, rdevMinor: 0 });
    return Buffer.concat(chunks);
  }
}
