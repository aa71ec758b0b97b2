// The host cache of a guest image's own listings: written once, read back by image key and by what
// was loaded; nothing without a usable key; a cache that cannot be written is not an error.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readListing, writeListing } from './traceable-cache.ts';

const dir = mkdtempSync(join(tmpdir(), 'ipvsh-listings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('listings kept by image key', () => {
  it('reads back what was written, per kind and per key', () => {
    const cache = { cacheDir: dir, imageKey: 'a8be8041a2658b18185cc257' };
    expect(readListing(cache, 'traceable', 'ip_vs ip_vs_rr')).toBeUndefined();
    writeListing(cache, 'traceable', 'ip_vs ip_vs_rr', '1:ip_vs_in_hook [ip_vs]\n');
    expect(readListing(cache, 'traceable', 'ip_vs ip_vs_rr')).toBe('1:ip_vs_in_hook [ip_vs]\n');
    expect(readListing(cache, 'traceable', 'ip_vs')).toBeUndefined();
    expect(readListing(cache, 'filtered', 'ip_vs ip_vs_rr')).toBeUndefined();
    expect(readListing({ ...cache, imageKey: '238a7adf8b18edee8abad25e' }, 'traceable', 'ip_vs ip_vs_rr')).toBeUndefined();
  });

  it('keeps nothing without a cache or with a key that is not a plain hash', () => {
    writeListing(undefined, 'traceable', 'k', 'x');
    expect(readListing(undefined, 'traceable', 'k')).toBeUndefined();
    const odd = { cacheDir: dir, imageKey: '../../etc' };
    writeListing(odd, 'traceable', 'k', 'x');
    expect(readListing(odd, 'traceable', 'k')).toBeUndefined();
  });

  it('a cache folder that cannot be written is not an error', () => {
    const blocked = join(dir, 'blocked');
    writeFileSync(blocked, 'a file where the folder would be');
    chmodSync(blocked, 0o400);
    expect(() => writeListing({ cacheDir: blocked, imageKey: 'abc' }, 'traceable', 'k', 'x')).not.toThrow();
    expect(readListing({ cacheDir: blocked, imageKey: 'abc' }, 'traceable', 'k')).toBeUndefined();
  });
});
