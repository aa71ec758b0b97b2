// The cache's guest images (images/<key>.cpio) are kept within a size: each image is keyed by every
// input (kernel, modules, tools, init), so a new harness version, a new kernel package or a new build
// of one's own ip_vs makes a new one (~21 MB; ~230 MB with bpftrace) and the old ones would stay
// forever. A hit marks its image used (mtime); after an image is written, the least recently used ones
// go until the rest fits the limit. Images used in the last minutes stay whatever the limit (the age is
// read again just before each removal), so a run in another process keeps the image it is about to
// copy; if it loses it all the same, bootGuest builds it again (vm/guest.ts).
import { readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { VmError } from './errors.ts';

export const IMAGE_CACHE_ENV = 'IPVS_HARNESS_IMAGE_CACHE_MB';
export const DEFAULT_IMAGE_CACHE_MB = 2048;
/** Never removed when used this recently, whatever the limit. */
export const RECENTLY_USED_MS = 10 * 60_000;
/** A half-written image (a process killed while writing it) older than this is removed. */
const STALE_TEMP_MS = 60 * 60_000;

const IMAGE_NAME = /^[0-9a-f]{24}\.cpio$/;
const TEMP_NAME = /^[0-9a-f]{24}\.cpio\.tmp-\d+$/;

/** The limit in bytes, from IPVS_HARNESS_IMAGE_CACHE_MB (whole megabytes); CACHE_LIMIT_INVALID when it is not one. */
export function imageCacheLimit(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[IMAGE_CACHE_ENV];
  if (raw === undefined || raw === '') return DEFAULT_IMAGE_CACHE_MB * 1024 * 1024;
  if (!/^\d+$/.test(raw.trim())) {
    throw new VmError('CACHE_LIMIT_INVALID', `${IMAGE_CACHE_ENV} must be a whole number of megabytes for the cache's guest images (e.g. ${DEFAULT_IMAGE_CACHE_MB}), got ${JSON.stringify(raw)}; unset it for the default (${DEFAULT_IMAGE_CACHE_MB})`, { phase: 'cache' });
  }
  return Number(raw.trim()) * 1024 * 1024;
}

/**
 * Marks a cached image used; false when it is gone (another process removed it: build it again). An
 * image it may not mark (another user's, in a shared cache: only a file's owner may set its times) is
 * used as it is.
 */
export function markImageUsed(path: string, now = new Date()): boolean {
  try {
    utimesSync(path, now, now);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

export interface PrunedImages {
  removed: string[];
  freedBytes: number;
}

/**
 * Removes the least recently used images of `dir` until the rest fits `limitBytes`, never `keep` (the
 * image just written) nor one used within RECENTLY_USED_MS; and half-written images older than an hour.
 * Other files (the bare image, the ldd memo) are not its business.
 */
export function pruneImages(dir: string, opts: { limitBytes: number; keep?: string; nowMs?: number }): PrunedImages {
  const now = opts.nowMs ?? Date.now();
  const images: { name: string; bytes: number; usedMs: number }[] = [];
  const removed: string[] = [];
  let freedBytes = 0;
  const remove = (name: string, bytes: number): boolean => {
    try {
      rmSync(join(dir, name), { force: true });
      removed.push(name);
      freedBytes += bytes;
      return true;
    } catch {
      // A permission (another user's image in a shared cache): the next prune tries again.
      return false;
    }
  };
  /** Used within RECENTLY_USED_MS, read again now: another process may have just marked it. */
  const usedLately = (name: string): boolean => {
    try {
      return now - statSync(join(dir, name)).mtimeMs < RECENTLY_USED_MS;
    } catch {
      return true; // Gone already: nothing to remove.
    }
  };
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return { removed, freedBytes };
  }
  for (const name of names) {
    const isImage = IMAGE_NAME.test(name);
    if (!isImage && !TEMP_NAME.test(name)) continue;
    let st;
    try {
      st = statSync(join(dir, name));
    } catch {
      continue; // Removed meanwhile.
    }
    if (!isImage) {
      if (now - st.mtimeMs > STALE_TEMP_MS) remove(name, st.size);
      continue;
    }
    images.push({ name, bytes: st.size, usedMs: st.mtimeMs });
  }
  // The least recently used first, while over the limit.
  images.sort((a, b) => a.usedMs - b.usedMs);
  let total = images.reduce((n, i) => n + i.bytes, 0);
  for (const image of images) {
    if (total <= opts.limitBytes) break;
    if (image.name === opts.keep || now - image.usedMs < RECENTLY_USED_MS || usedLately(image.name)) continue;
    if (remove(image.name, image.bytes)) total -= image.bytes;
  }
  return { removed, freedBytes };
}
