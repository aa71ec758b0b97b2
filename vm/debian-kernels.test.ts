// Resolving debian: specs against the private apt lists and the cache (no downloads: setup ran first).
import { describe, expect, it } from 'vitest';
import { defaultCacheDir } from './cache-dir.ts';
import { cachedDebianKernels } from './debian-kernels.ts';
import { isVmError } from './errors.ts';
import { resolveKernel } from './resolve-kernel.ts';

const cacheDir = defaultCacheDir();

describe('debian: specs', () => {
  it('a series resolves to the cached newest package, with image, config, modules and System.map', async () => {
    const events: string[] = [];
    const k = await resolveKernel('debian:6.1', { cacheDir, onEvent: (e) => events.push(e.kind) });
    expect(k.release).toMatch(/^6\.1\.0-\d+-cloud-amd64$/);
    expect(k.configText).toContain('CONFIG_IP_VS=m');
    expect(k.modulesDir).toMatch(/lib\/modules\/6\.1\.0-/);
    expect(k.systemMapPath).toMatch(/System\.map-6\.1\.0-/);
    expect(events).not.toContain('kernel-download');
  });

  it('an exact package name resolves to the same cached kernel', async () => {
    const cached = cachedDebianKernels(cacheDir).find((c) => c.series === '6.1')!;
    const k = await resolveKernel(`debian:${cached.packageName}`, { cacheDir });
    expect(k.release).toBe(cached.release);
  });

  it('a package that no suite has is KERNEL_NOT_FOUND (exit 2)', async () => {
    const err = await resolveKernel('debian:linux-image-9.9.9-99-nope-amd64', { cacheDir }).catch((e: unknown) => e);
    expect(isVmError(err, 'KERNEL_NOT_FOUND')).toBe(true);
    expect((err as { exitCode: number }).exitCode).toBe(2);
  });
});
