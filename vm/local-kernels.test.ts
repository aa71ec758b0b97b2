// path: and build: kernels, made from the real Debian 6.12 kernel in the cache (its modules are .ko.xz).
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readBzImageInfo } from './bzimage.ts';
import { defaultCacheDir } from './cache-dir.ts';
import { cachedDebianKernels } from './debian-kernels.ts';
import { isVmError } from './errors.ts';
import { loadOrder, readModulesDep } from './modules.ts';
import { resolveKernel } from './resolve-kernel.ts';

const scratch = mkdtempSync(join(tmpdir(), 'ipvs-harness-local-kernels-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const deb = cachedDebianKernels(defaultCacheDir()).find((k) => k.series === '6.12')!;
const debModules = join(deb.dir, 'lib', 'modules', deb.release);
const cacheDir = join(scratch, 'cache');

describe('local kernels', () => {
  it('reads the release from the bzImage header', () => {
    expect(readBzImageInfo(join(deb.dir, 'boot', `vmlinuz-${deb.release}`)).release).toBe(deb.release);
  });

  it('path: with --modules and --config', async () => {
    const k = await resolveKernel(`path:${join(deb.dir, 'boot', `vmlinuz-${deb.release}`)}`, { cacheDir, modulesDir: debModules, configPath: join(deb.dir, 'boot', `config-${deb.release}`) });
    expect(k.release).toBe(deb.release);
    expect(k.modulesDir).toBe(debModules);
    expect(k.configText).toContain('CONFIG_IP_VS=m');
  });

  it('path: without a config says how to pass one (exit 2)', async () => {
    const image = join(scratch, 'lonely', 'bzImage');
    mkdirSync(dirname(image), { recursive: true });
    copyFileSync(join(deb.dir, 'boot', `vmlinuz-${deb.release}`), image);
    const err = await resolveKernel(`path:${image}`, { cacheDir }).catch((e: unknown) => e);
    expect(isVmError(err, 'KERNEL_CONFIG_MISSING')).toBe(true);
    expect((err as Error).message).toContain('pass --config <file>');
  });

  it('build: takes bzImage, .config, kernel.release and indexes the tree\'s modules without writing to it', async () => {
    const tree = join(scratch, 'linux');
    mkdirSync(join(tree, 'arch/x86/boot'), { recursive: true });
    mkdirSync(join(tree, 'include/config'), { recursive: true });
    copyFileSync(join(deb.dir, 'boot', `vmlinuz-${deb.release}`), join(tree, 'arch/x86/boot/bzImage'));
    copyFileSync(join(deb.dir, 'boot', `config-${deb.release}`), join(tree, '.config'));
    writeFileSync(join(tree, 'include/config/kernel.release'), `${deb.release}\n`);
    const dep = readModulesDep(debModules);
    for (const e of loadOrder(dep, ['ip_vs_rr', 'virtio_net'])) {
      const dest = join(tree, e.path.replace(/^kernel\//, ''));
      mkdirSync(dirname(dest), { recursive: true });
      copyFileSync(join(debModules, e.path), dest);
    }
    const k = await resolveKernel(`build:${tree}`, { cacheDir });
    expect(k.release).toBe(deb.release);
    expect(k.modulesDir!.startsWith(cacheDir)).toBe(true);
    const order = loadOrder(readModulesDep(k.modulesDir!), ['ip_vs_rr']).map((e) => e.name);
    expect(order.at(-1)).toBe('ip_vs_rr');
    expect(order).toContain('nf_conntrack');
    expect(readFileSync(join(k.modulesDir!, 'modules.dep'), 'utf8')).toContain('ip_vs_rr.ko.xz:');
    // A second resolve reuses the index.
    expect((await resolveKernel(`build:${tree}`, { cacheDir })).modulesDir).toBe(k.modulesDir);
  });

  it('build: of a folder without bzImage is NOT_A_KERNEL with the fix', async () => {
    const err = await resolveKernel(`build:${scratch}`, { cacheDir }).catch((e: unknown) => e);
    expect(isVmError(err, 'NOT_A_KERNEL')).toBe(true);
    expect((err as Error).message).toContain('make -j$(nproc) bzImage modules');
  });
});
