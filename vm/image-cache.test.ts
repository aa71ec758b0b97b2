// The guest images' size limit: which images a prune removes (least recently used first, never the one
// just written nor one used in the last minutes, nothing that is not an image), and the limit's input.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isVmError } from './errors.ts';
import { DEFAULT_IMAGE_CACHE_MB, IMAGE_CACHE_ENV, imageCacheLimit, markImageUsed, pruneImages, RECENTLY_USED_MS } from './image-cache.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const NOW = Date.parse('2026-12-03T12:00:00Z');
const HOUR = 3600_000;
const key = (n: number): string => n.toString(16).padStart(24, '0');

/** A folder of files of `bytes` bytes, each last used `ageMs` before NOW. */
function folder(files: Record<string, { bytes: number; ageMs: number }>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ipvsh-images-'));
  dirs.push(dir);
  for (const [name, f] of Object.entries(files)) {
    writeFileSync(join(dir, name), Buffer.alloc(f.bytes));
    const t = new Date(NOW - f.ageMs);
    utimesSync(join(dir, name), t, t);
  }
  return dir;
}

describe('pruneImages', () => {
  it('removes the least recently used images until the rest fits', () => {
    const dir = folder({
      [`${key(1)}.cpio`]: { bytes: 100, ageMs: 5 * HOUR },
      [`${key(2)}.cpio`]: { bytes: 100, ageMs: 3 * HOUR },
      [`${key(3)}.cpio`]: { bytes: 100, ageMs: 2 * HOUR },
      [`${key(4)}.cpio`]: { bytes: 100, ageMs: 1 * HOUR },
    });
    const r = pruneImages(dir, { limitBytes: 250, nowMs: NOW });
    expect(r).toEqual({ removed: [`${key(1)}.cpio`, `${key(2)}.cpio`], freedBytes: 200 });
    expect(readdirSync(dir).sort()).toEqual([`${key(3)}.cpio`, `${key(4)}.cpio`]);
  });

  it('removes nothing within the limit', () => {
    const dir = folder({ [`${key(1)}.cpio`]: { bytes: 100, ageMs: 30 * 24 * HOUR } });
    expect(pruneImages(dir, { limitBytes: 100, nowMs: NOW }).removed).toEqual([]);
  });

  it('keeps the image just written and the ones used in the last minutes, even over the limit', () => {
    const dir = folder({
      [`${key(1)}.cpio`]: { bytes: 100, ageMs: 9 * HOUR }, // kept: the one just written (its mtime aside)
      [`${key(2)}.cpio`]: { bytes: 100, ageMs: RECENTLY_USED_MS - 60_000 }, // kept: another run may be copying it
      [`${key(3)}.cpio`]: { bytes: 100, ageMs: 2 * HOUR },
    });
    const r = pruneImages(dir, { limitBytes: 0, keep: `${key(1)}.cpio`, nowMs: NOW });
    expect(r.removed).toEqual([`${key(3)}.cpio`]);
    expect(readdirSync(dir).sort()).toEqual([`${key(1)}.cpio`, `${key(2)}.cpio`]);
  });

  it('leaves what is not an image, and removes half-written images older than an hour', () => {
    const dir = folder({
      'bare-v7.cpio': { bytes: 100, ageMs: 9 * HOUR },
      'ldd-memo.json': { bytes: 100, ageMs: 9 * HOUR },
      'notes.cpio': { bytes: 100, ageMs: 9 * HOUR },
      [`${key(5)}.cpio.tmp-123`]: { bytes: 100, ageMs: 2 * HOUR },
      [`${key(6)}.cpio.tmp-456`]: { bytes: 100, ageMs: 60_000 }, // still being written
    });
    expect(pruneImages(dir, { limitBytes: 0, nowMs: NOW }).removed).toEqual([`${key(5)}.cpio.tmp-123`]);
    expect(readdirSync(dir).sort()).toEqual(['bare-v7.cpio', 'ldd-memo.json', 'notes.cpio', `${key(6)}.cpio.tmp-456`].sort());
  });

  it('a folder that is not there prunes nothing', () => {
    expect(pruneImages(join(tmpdir(), 'ipvsh-no-such-folder', 'images'), { limitBytes: 0 })).toEqual({ removed: [], freedBytes: 0 });
  });
});

describe('markImageUsed', () => {
  it('moves the image to the front of the queue, and says when it is gone', () => {
    const dir = folder({ [`${key(1)}.cpio`]: { bytes: 1, ageMs: 9 * HOUR } });
    const path = join(dir, `${key(1)}.cpio`);
    expect(markImageUsed(path, new Date(NOW))).toBe(true);
    expect(statSync(path).mtimeMs).toBe(NOW);
    rmSync(path);
    expect(markImageUsed(path)).toBe(false);
    expect(existsSync(path)).toBe(false);
  });
});

describe('imageCacheLimit', () => {
  it('defaults to 2048 MB, and takes whole megabytes', () => {
    expect(imageCacheLimit({})).toBe(DEFAULT_IMAGE_CACHE_MB * 1024 * 1024);
    expect(imageCacheLimit({ [IMAGE_CACHE_ENV]: '' })).toBe(DEFAULT_IMAGE_CACHE_MB * 1024 * 1024);
    expect(imageCacheLimit({ [IMAGE_CACHE_ENV]: '500' })).toBe(500 * 1024 * 1024);
    expect(imageCacheLimit({ [IMAGE_CACHE_ENV]: '0' })).toBe(0);
  });

  it.each(['2G', '-1', '1.5', 'lots'])('refuses %j as bad input (exit 2) naming the variable and the fix', (value) => {
    let err: unknown;
    try {
      imageCacheLimit({ [IMAGE_CACHE_ENV]: value });
    } catch (e) {
      err = e;
    }
    expect(isVmError(err, 'CACHE_LIMIT_INVALID')).toBe(true);
    expect((err as { exitCode: number }).exitCode).toBe(2);
    expect((err as Error).message).toContain(`${IMAGE_CACHE_ENV} must be a whole number of megabytes`);
    expect((err as Error).message).toContain(JSON.stringify(value));
    expect((err as Error).message).toContain('unset it for the default');
  });
});
