// buildGuestImage and the images' size limit, wired together: writing an image prunes the least
// recently used ones past the limit and says so; a cache hit marks its image used. Builds a real image
// (~1 s) of a cached Debian 6.1 kernel as a `path:` kernel into a scratch cache (no apt, no network, no
// guest); skipped when the cache has none (run `ipvs-harness setup`).
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultCacheDir } from './cache-dir.ts';
import { cachedDebianKernels } from './debian-kernels.ts';
import type { VmEvent } from './events.ts';
import { buildGuestImage } from './initramfs.ts';
import { resolveKernel } from './resolve-kernel.ts';

const cached = cachedDebianKernels(defaultCacheDir()).find((k) => k.series === '6.1');
const scratch = mkdtempSync(join(tmpdir(), 'ipvsh-image-build-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.skipIf(!cached)('guest images within their limit', () => {
  it('a new image prunes older ones past the limit; a hit marks its image used', async () => {
    const k = cached!;
    const cacheDir = join(scratch, 'cache');
    const images = join(cacheDir, 'images');
    mkdirSync(images, { recursive: true });
    const old = new Date(Date.now() - 48 * 3600_000);
    const stale = ['a', 'b', 'c'].map((c) => join(images, `${c.repeat(24)}.cpio`));
    for (const f of stale) {
      writeFileSync(f, Buffer.alloc(1024));
      utimesSync(f, old, old);
    }
    const kernel = await resolveKernel(`path:${join(k.dir, 'boot', `vmlinuz-${k.release}`)}`, {
      cacheDir, modulesDir: join(k.dir, 'lib', 'modules', k.release), configPath: join(k.dir, 'boot', `config-${k.release}`),
    });
    const events: VmEvent[] = [];
    // A limit below one image: everything but the image just written goes.
    const built = await buildGuestImage(kernel, { cacheDir, imageCacheBytes: 1, onEvent: (e) => events.push(e) });
    expect(built.cached).toBe(false);
    expect(existsSync(built.path)).toBe(true);
    expect(stale.filter((f) => existsSync(f))).toEqual([]);
    expect(events.find((e) => e.kind === 'image-cache-pruned')).toEqual({ kind: 'image-cache-pruned', count: 3, bytes: 3 * 1024, limitBytes: 1 });

    utimesSync(built.path, old, old);
    const again = await buildGuestImage(kernel, { cacheDir, imageCacheBytes: 1 });
    expect(again).toMatchObject({ cached: true, path: built.path });
    expect(Date.now() - statSync(built.path).mtimeMs).toBeLessThan(60_000);
  });
});
