// The cpio writer checked by a real reader: busybox cpio extracts what we wrote.
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { CpioWriter } from './cpio-writer.ts';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function extract(archive: Buffer): string {
  dir = mkdtempSync(join(tmpdir(), 'ipvs-harness-cpio-test-'));
  writeFileSync(join(dir, 'a.cpio'), archive);
  execFileSync('busybox', ['cpio', '-i', '-d', '-F', join(dir, 'a.cpio')], { cwd: dir, stdio: 'pipe' });
  return dir;
}

describe('CpioWriter', () => {
  it('writes files, directories, symlinks and modes that busybox cpio extracts', () => {
    const cpio = new CpioWriter();
    cpio.file('/init', '#!/bin/sh\necho hi\n', 0o755);
    cpio.file('etc/deep/nested/file.txt', Buffer.from('abc')); // parents created on the way
    cpio.file('odd-size', Buffer.alloc(1021, 7)); // exercises the 4-byte padding
    cpio.symlink('bin/sh', '/bin/dash');
    cpio.dir('root/.ssh', 0o700);
    const out = extract(cpio.toBuffer());
    expect(readFileSync(join(out, 'init'), 'utf8')).toBe('#!/bin/sh\necho hi\n');
    expect(lstatSync(join(out, 'init')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(out, 'etc/deep/nested/file.txt'), 'utf8')).toBe('abc');
    expect(readFileSync(join(out, 'odd-size'))).toEqual(Buffer.alloc(1021, 7));
    expect(readlinkSync(join(out, 'bin/sh'))).toBe('/bin/dash');
    expect(lstatSync(join(out, 'root/.ssh')).mode & 0o777).toBe(0o700);
  });

  it('lists entries with parents before children and ends with the trailer', () => {
    const cpio = new CpioWriter().file('z/a', 'x').file('a', 'y');
    const listing = execFileSync('busybox', ['cpio', '-t'], { input: cpio.toBuffer() }).toString().trim().split('\n');
    expect(listing).toEqual(['a', 'z', 'z/a']);
  });

  it('is deterministic, and gzip round-trips', () => {
    const build = () => new CpioWriter().file('b', 'two').file('a', 'one').symlink('c', 'a').toBuffer();
    expect(build().equals(build())).toBe(true);
    expect(gunzipSync(gzipSync(build())).equals(build())).toBe(true);
  });

  it('refuses paths that escape the archive', () => {
    expect(() => new CpioWriter().file('../etc/passwd', 'x')).toThrow(/bad path/);
    expect(() => new CpioWriter().file('a/./b', 'x')).toThrow(/bad path/);
  });
});
