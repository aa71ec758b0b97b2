// Reads the x86 boot header of a kernel image: refuses files that are not a bzImage, and finds the
// kernel release (needed to pick lib/modules/<release>) from the header's version string.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { VmError } from './errors.ts';

export interface BzImageInfo {
  /** "6.1.0-13-amd64" */
  release?: string;
  /** The whole version string: "6.1.0-13-amd64 (debian-kernel@...) #1 SMP ..." */
  versionString?: string;
  protocol: number;
}

function readAt(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, offset);
  return buf.subarray(0, n);
}

export function readBzImageInfo(path: string): BzImageInfo {
  let fd: number;
  try {
    if (!statSync(path).isFile()) throw new Error('not a regular file');
    fd = openSync(path, 'r');
  } catch (err) {
    throw new VmError('NOT_A_KERNEL', `kernel image ${path} cannot be read (${(err as Error).message}); pass path:<bzImage>, e.g. path:arch/x86/boot/bzImage`, { phase: 'spec' });
  }
  try {
    const header = readAt(fd, 0, 0x240);
    if (header.length < 0x240 || header.toString('latin1', 0x202, 0x206) !== 'HdrS') {
      throw new VmError(
        'NOT_A_KERNEL',
        `${path} is not an x86 bzImage (no "HdrS" boot header at offset 0x202); pass the compressed kernel, e.g. arch/x86/boot/bzImage or /boot/vmlinuz-*, not vmlinux or another file`,
        { phase: 'spec' },
      );
    }
    const protocol = header.readUInt16LE(0x206);
    const versionPtr = header.readUInt16LE(0x20e);
    const info: BzImageInfo = { protocol };
    if (versionPtr) {
      const raw = readAt(fd, versionPtr + 0x200, 256).toString('latin1');
      const versionString = raw.slice(0, Math.max(0, raw.indexOf('\0'))) || raw;
      info.versionString = versionString;
      const release = versionString.split(' ')[0];
      if (release) info.release = release;
    }
    return info;
  } finally {
    closeSync(fd);
  }
}
