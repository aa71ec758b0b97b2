// path: and build: kernels, made from the real Debian kernels in the cache (6.12's modules are
// .ko.xz, 6.1's plain .ko, recompressed here to zstd and gzip) and the real user build with IPVS
// built in (shared/fixtures/kernels/6.1-ipvs-builtin).
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILTIN_TREE, treeSnapshot } from '../test/builtin-tree.ts';
import { kernelBuiltinModules, ipvsBuildOf } from './builtin-modules.ts';
import { readBzImageInfo } from './bzimage.ts';
import { defaultCacheDir } from './cache-dir.ts';
import { cachedDebianKernels } from './debian-kernels.ts';
import { isVmError } from './errors.ts';
import { loadOrder, readModulesDep, SHIPPED_MODULES } from './modules.ts';
import { resolveKernel } from './resolve-kernel.ts';

const scratch = mkdtempSync(join(tmpdir(), 'ipvs-harness-local-kernels-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const debian = (series: string) => {
  const k = cachedDebianKernels(defaultCacheDir()).find((x) => x.series === series)!;
  return { ...k, modules: join(k.dir, 'lib', 'modules', k.release), image: join(k.dir, 'boot', `vmlinuz-${k.release}`), config: join(k.dir, 'boot', `config-${k.release}`) };
};
const deb = debian('6.12');
const cacheDir = join(scratch, 'cache');
/** What a guest needs from a tree (network, IPVS, topology), as the module-tree paths of Debian's closure. */
const NEEDED = ['virtio_net', 'virtio_pci', 'veth', 'dummy', 'ip_vs_rr'];

/** A build tree in the shape `make bzImage modules` leaves, with Debian's kernel and the given modules at their tree paths. */
function fakeBuildTree(dir: string, k: ReturnType<typeof debian>, modules: readonly string[]): string {
  mkdirSync(join(dir, 'arch/x86/boot'), { recursive: true });
  mkdirSync(join(dir, 'include/config'), { recursive: true });
  copyFileSync(k.image, join(dir, 'arch/x86/boot/bzImage'));
  copyFileSync(k.config, join(dir, '.config'));
  writeFileSync(join(dir, 'include/config/kernel.release'), `${k.release}\n`);
  const order: string[] = [];
  for (const e of loadOrder(readModulesDep(k.modules), modules)) {
    const rel = e.path.replace(/^kernel\//, '');
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    copyFileSync(join(k.modules, e.path), join(dir, rel));
    order.push(rel.replace(/\.(xz|zst|gz)$/, ''));
  }
  writeFileSync(join(dir, 'modules.order'), order.map((l) => `${l}\n`).join(''));
  return dir;
}

/** Debian 6.1's plain modules (the closure of what the guest ships), recompressed with `tool`, in an installed tree's shape. */
async function recompressedTree(dir: string, tool: 'zstd' | 'gzip'): Promise<string> {
  const k = debian('6.1');
  const ext = tool === 'zstd' ? 'zst' : 'gz';
  for (const e of loadOrder(readModulesDep(k.modules), SHIPPED_MODULES)) {
    const dest = join(dir, e.path);
    mkdirSync(dirname(dest), { recursive: true });
    const args = tool === 'zstd' ? ['-q', '-19', join(k.modules, e.path), '-o', `${dest}.${ext}`] : ['-c', join(k.modules, e.path)];
    const r = await execa(tool, args, { encoding: 'buffer' });
    if (tool === 'gzip') writeFileSync(`${dest}.${ext}`, r.stdout);
  }
  for (const f of ['modules.builtin', 'modules.order']) copyFileSync(join(k.modules, f), join(dir, f));
  return dir;
}

describe('path: kernels', () => {
  it('reads the release from the bzImage header', () => {
    expect(readBzImageInfo(deb.image).release).toBe(deb.release);
  });

  it('path: with --modules and --config', async () => {
    const k = await resolveKernel(`path:${deb.image}`, { cacheDir, modulesDir: deb.modules, configPath: deb.config });
    expect(k.release).toBe(deb.release);
    expect(k.modulesDir).toBe(deb.modules);
    expect(k.configText).toContain('CONFIG_IP_VS=m');
  });

  it('path: without a config says how to pass one (exit 2)', async () => {
    const image = join(scratch, 'lonely', 'bzImage');
    mkdirSync(dirname(image), { recursive: true });
    copyFileSync(deb.image, image);
    const err = await resolveKernel(`path:${image}`, { cacheDir }).catch((e: unknown) => e);
    expect(isVmError(err, 'KERNEL_CONFIG_MISSING')).toBe(true);
    expect((err as Error).message).toContain('pass --config <file>');
  });

  it('path: of a kernel with IPVS as modules but no --modules is refused before booting (exit 2), naming them', async () => {
    const err = await resolveKernel(`path:${deb.image}`, { cacheDir, configPath: deb.config }).catch((e: unknown) => e);
    expect(isVmError(err, 'MODULES_MISSING')).toBe(true);
    expect((err as { exitCode: number }).exitCode).toBe(2);
    expect((err as Error).message).toMatch(/builds CONFIG_VIRTIO_NET, .*CONFIG_IP_VS, CONFIG_IP_VS_RR as modules and no --modules was given; pass --modules/);
  });

  it.each(['zstd', 'gzip'] as const)('path: with a %s-compressed module tree (Debian 6.1 recompressed) is indexed, IPVS a module', async (tool) => {
    const k61 = debian('6.1');
    const tree = await recompressedTree(join(scratch, `mods-${tool}`), tool);
    const k = await resolveKernel(`path:${k61.image}`, { cacheDir, modulesDir: tree, configPath: k61.config });
    expect(k.modulesDir!.startsWith(cacheDir)).toBe(true);
    const dep = readFileSync(join(k.modulesDir!, 'modules.dep'), 'utf8');
    // depmod read the dependencies out of the compressed files (zstd) or out of the copies we decompressed (gzip: Debian's kmod has no zlib).
    const order = loadOrder(readModulesDep(k.modulesDir!), ['ip_vs_rr']).map((e) => e.name);
    expect(order.slice(-3)).toEqual(['nf_conntrack', 'ip_vs', 'ip_vs_rr']);
    expect(dep).toMatch(tool === 'zstd' ? /ip_vs_rr\.ko\.zst: .*ip_vs\.ko\.zst/ : /ip_vs_rr\.ko: .*ip_vs\.ko /);
    expect(ipvsBuildOf(kernelBuiltinModules(k))).toEqual({ core: 'module', builtIn: [] });
  });
});

describe('build: kernels', () => {
  it('takes bzImage, .config, kernel.release and indexes the tree\'s modules (.ko.xz) without writing to it', async () => {
    const tree = fakeBuildTree(join(scratch, 'linux'), deb, NEEDED);
    const before = treeSnapshot(tree);
    const k = await resolveKernel(`build:${tree}`, { cacheDir });
    expect(k.release).toBe(deb.release);
    expect(k.modulesDir!.startsWith(cacheDir)).toBe(true);
    const order = loadOrder(readModulesDep(k.modulesDir!), ['ip_vs_rr']).map((e) => e.name);
    expect(order.at(-1)).toBe('ip_vs_rr');
    expect(order).toContain('nf_conntrack');
    expect(readFileSync(join(k.modulesDir!, 'modules.dep'), 'utf8')).toContain('ip_vs_rr.ko.xz:');
    // A second resolve reuses the index.
    expect((await resolveKernel(`build:${tree}`, { cacheDir })).modulesDir).toBe(k.modulesDir);
    expect(treeSnapshot(tree)).toEqual(before);
  });

  it('takes the output folder of make O=<dir> (a `source` link to the source elsewhere, modules found through modules.order)', async () => {
    const src = join(scratch, 'src-clean');
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'Kconfig'), 'mainmenu "Linux"\n');
    writeFileSync(join(src, 'Makefile'), 'VERSION = 6\n');
    const out = fakeBuildTree(join(scratch, 'build-out'), deb, NEEDED);
    symlinkSync(src, join(out, 'source'));
    writeFileSync(join(out, 'Makefile'), `# Automatically generated by ${src}/Makefile: don't edit\ninclude ${src}/Makefile\n`);
    // A module that modules.order does not list (left from an earlier build) is not taken.
    const stale = join(out, 'drivers/stale/stale.ko.xz');
    mkdirSync(dirname(stale), { recursive: true });
    copyFileSync(join(deb.modules, readModulesDep(deb.modules).get('veth')!.path), stale);
    const k = await resolveKernel(`build:${out}`, { cacheDir });
    const names = [...readModulesDep(k.modulesDir!).keys()];
    expect(names).toEqual(expect.arrayContaining(['virtio_net', 'veth', 'dummy', 'ip_vs', 'ip_vs_rr']));
    expect(names).not.toContain('stale');
  });

  it('the clean source tree of a make O= build says to pass the output folder (exit 2)', async () => {
    const err = await resolveKernel(`build:${join(scratch, 'src-clean')}`, { cacheDir }).catch((e: unknown) => e);
    expect(isVmError(err, 'NOT_A_KERNEL')).toBe(true);
    expect((err as Error).message).toContain('if you built it with make O=<dir>, pass build:<dir>');
  });

  it('a tree whose modules were not built (bzImage only) says to run make modules (exit 2)', async () => {
    const tree = fakeBuildTree(join(scratch, 'no-modules'), deb, []);
    rmSync(join(tree, 'modules.order'));
    const err = await resolveKernel(`build:${tree}`, { cacheDir }).catch((e: unknown) => e);
    expect(isVmError(err, 'MODULES_MISSING')).toBe(true);
    expect((err as { exitCode: number }).exitCode).toBe(2);
    expect((err as Error).message).toMatch(/builds CONFIG_VIRTIO_NET=m \(virtio_net\.ko\), .*CONFIG_IP_VS=m \(ip_vs\.ko\).* but its modules were not built: run `make -C .*no-modules -j\$\(nproc\) modules`/);
  });

  it('a tree missing some modules names them', async () => {
    const tree = fakeBuildTree(join(scratch, 'some-modules'), deb, ['virtio_net', 'virtio_pci', 'veth', 'dummy', 'nf_conntrack']);
    const err = await resolveKernel(`build:${tree}`, { cacheDir }).catch((e: unknown) => e);
    expect(isVmError(err, 'MODULES_MISSING')).toBe(true);
    expect((err as Error).message).toMatch(/builds CONFIG_IP_VS=m \(ip_vs\.ko\), CONFIG_IP_VS_RR=m \(ip_vs_rr\.ko\) as module\(s\) but they are not built/);
  });

  it('build: of a folder without bzImage is NOT_A_KERNEL with the fix', async () => {
    const err = await resolveKernel(`build:${scratch}`, { cacheDir }).catch((e: unknown) => e);
    expect(isVmError(err, 'NOT_A_KERNEL')).toBe(true);
    expect((err as Error).message).toContain('make -j$(nproc) bzImage modules');
  });

  it('the shared user build with IPVS built in resolves without writing into it; IPVS is read as built in', async () => {
    const before = treeSnapshot(BUILTIN_TREE);
    const k = await resolveKernel(`build:${BUILTIN_TREE}`, { cacheDir });
    expect(k.release).toBe('6.1.192');
    expect(ipvsBuildOf(kernelBuiltinModules(k))).toEqual({ core: 'built-in', builtIn: ['ip_vs', 'ip_vs_ftp', 'ip_vs_lc', 'ip_vs_rr', 'ip_vs_sh', 'ip_vs_wrr'] });
    expect([...readModulesDep(k.modulesDir!).keys()].sort()).toEqual(['efivarfs', 'iptable_nat', 'nf_log_syslog', 'x86_pkg_temp_thermal', 'xt_LOG', 'xt_MASQUERADE', 'xt_addrtype', 'xt_mark', 'xt_nat']);
    expect(treeSnapshot(BUILTIN_TREE)).toEqual(before);
  });
});
