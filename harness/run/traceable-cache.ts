// What a guest lists of itself that depends only on its image (kernel, modules, tools), kept in the host
// cache (`listings/<image key>/<kind>-<hash of what was loaded and asked>.txt`): the traceable
// functions (a grep of available_filter_functions, ~0.45 s under TCG in the first cell of every boot)
// and what a trace filter selected (set_ftrace_filter read back). The image key is a hash of every
// input of the image (vm/initramfs.ts), so a rebuilt module or kernel is another key; an unreadable or
// unwritable entry is read from the guest as before.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeAtomic } from './results-folder.ts';

export interface ListingCache {
  cacheDir: string;
  /** Guest.imageKey; without it nothing is cached. */
  imageKey: string;
}

function file(cache: ListingCache, kind: string, key: string): string | null {
  if (!/^[A-Za-z0-9]+$/.test(cache.imageKey)) return null;
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return join(cache.cacheDir, 'listings', cache.imageKey, `${kind}-${hash}.txt`);
}

export function readListing(cache: ListingCache | undefined, kind: string, key: string): string | undefined {
  const f = cache ? file(cache, kind, key) : null;
  if (!f || !existsSync(f)) return undefined;
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return undefined;
  }
}

export function writeListing(cache: ListingCache | undefined, kind: string, key: string, text: string): void {
  const f = cache ? file(cache, kind, key) : null;
  if (!f) return;
  try {
    mkdirSync(dirname(f), { recursive: true, mode: 0o700 });
    writeAtomic(f, text);
  } catch {
    // A cache that cannot be written costs the next run one more read from its guest.
  }
}
