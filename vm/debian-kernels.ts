// Debian kernels: resolve a debian: spec to a package (debian-lookup.ts), download it (and, for
// split kernels, its parts) through the private apt config, unpack it into the cache in one layout
// whatever Debian's layout was (boot/vmlinuz-<rel>, boot/config-<rel>, boot/System.map-<rel>,
// lib/modules/<rel>), and index its modules with depmod.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { aptContext, aptDownloadAll } from './apt-config.ts';
import { ensureCacheDir } from './cache-dir.ts';
import { readMemo, readMemoAnyAge, writeMemo } from './debian-memo.ts';
import { seriesOfPackage, type DebianPackageRef } from './debian-packages.ts';
import { compareDebianVersions } from './debian-version.ts';
import { lookupDebianKernel, type DebianLookup } from './debian-lookup.ts';
import { sha256File } from './file-hash.ts';
import { withFileLock } from './file-lock.ts';
import { VmError } from './errors.ts';
import type { OnVmEvent } from './events.ts';
import type { DebianKernelSpec } from './kernel-spec.ts';
import type { PinnedPackage, ResolvedKernel } from './resolved-kernel.ts';
import { commitCacheEntry } from './cache-meta.ts';

export type { DebianPackageRef } from './debian-packages.ts';

/** kernel.json in each cached kernel's folder. Format 1 (before split packages) lacks packages and imageSha256. */
interface CachedKernelMeta {
  format?: number;
  packageName: string;
  version: string;
  suite: string;
  release: string;
  series?: string;
  packages?: PinnedPackage[];
  imageSha256?: string;
}

const META_FORMAT = 2;

export function cachedDebianKernels(cacheDir: string): (CachedKernelMeta & { dir: string })[] {
  const root = join(cacheDir, 'kernels', 'debian');
  if (!existsSync(root)) return [];
  const out: (CachedKernelMeta & { dir: string })[] = [];
  for (const name of readdirSync(root)) {
    const metaPath = join(root, name, 'kernel.json');
    if (!existsSync(metaPath)) continue;
    try {
      out.push({ ...(JSON.parse(readFileSync(metaPath, 'utf8')) as CachedKernelMeta), dir: join(root, name) });
    } catch {
      // A half-written entry is ignored and replaced on the next download.
    }
  }
  return out;
}

async function toResolved(meta: CachedKernelMeta, dir: string, label: string): Promise<ResolvedKernel> {
  const image = join(dir, 'boot', `vmlinuz-${meta.release}`);
  if (!meta.imageSha256) {
    // A kernel cached before images were pinned: hash it once and remember.
    meta.imageSha256 = await sha256File(image);
    const tmp = join(dir, `kernel.json.tmp-${process.pid}`);
    writeFileSync(tmp, JSON.stringify({ ...meta, dir: undefined }, null, 2) + '\n');
    renameSync(tmp, join(dir, 'kernel.json'));
  }
  return {
    label,
    release: meta.release,
    image,
    configText: readFileSync(join(dir, 'boot', `config-${meta.release}`), 'utf8'),
    modulesDir: join(dir, 'lib', 'modules', meta.release),
    systemMapPath: join(dir, 'boot', `System.map-${meta.release}`),
    source: `${meta.packageName} ${meta.version} (${meta.suite})`,
    imageSha256: meta.imageSha256,
    packages: meta.packages ?? [{ name: meta.packageName, version: meta.version, suite: meta.suite }],
  };
}

/** Moves `from` to `to` when `from` exists and `to` does not. */
function adopt(from: string, to: string): void {
  if (existsSync(from) && !existsSync(to)) renameSync(from, to);
}

/**
 * Brings an unpacked kernel into the cache's layout. Bookworm-era packages ship boot/ and
 * lib/modules/<rel>; trixie-era ones usr/lib/modules/<rel> (merged /usr); split 6.19+ ones have no
 * boot/ at all: vmlinuz, config and System.map sit in usr/lib/modules/<rel>/.
 */
export function normaliseKernelLayout(root: string, what: string): string {
  const releasesIn = (d: string): string[] => (existsSync(d) ? readdirSync(d).filter((n) => /^\d/.test(n)) : []);
  const release = [...releasesIn(join(root, 'lib', 'modules')), ...releasesIn(join(root, 'usr', 'lib', 'modules'))][0];
  if (!release) throw new VmError('NOT_A_KERNEL', `${what} holds no lib/modules/<release> or usr/lib/modules/<release>: is it a kernel image package?`, { phase: 'download' });
  mkdirSync(join(root, 'lib', 'modules'), { recursive: true });
  mkdirSync(join(root, 'boot'), { recursive: true });
  adopt(join(root, 'usr', 'lib', 'modules', release), join(root, 'lib', 'modules', release));
  const mods = join(root, 'lib', 'modules', release);
  for (const [inModules, inBoot] of [['vmlinuz', 'vmlinuz'], ['config', 'config'], ['System.map', 'System.map']] as const) {
    adopt(join(mods, inModules), join(root, 'boot', `${inBoot}-${release}`));
  }
  const lacking = ['vmlinuz', 'config'].filter((f) => !existsSync(join(root, 'boot', `${f}-${release}`)));
  if (lacking.length > 0) {
    throw new VmError('NOT_A_KERNEL', `${what} has no ${lacking.join(' or ')} for ${release} (looked in boot/ and usr/lib/modules/${release}/)`, { phase: 'download' });
  }
  return release;
}

async function unpack(debs: string[], lookup: DebianLookup, destDir: string, signal?: AbortSignal): Promise<CachedKernelMeta> {
  const opt = signal ? { cancelSignal: signal } : {};
  for (const deb of debs) await execa('dpkg-deb', ['-x', deb, destDir], opt);
  const { image } = lookup;
  const release = normaliseKernelLayout(destDir, lookup.packages.map((p) => p.packageName).join(' + '));
  // The .debs have no modules.dep; depmod reads .ko.xz/.ko.zst as they are.
  await execa('depmod', ['-b', destDir, release], opt);
  return {
    format: META_FORMAT,
    packageName: image.packageName,
    version: image.version,
    suite: image.suite,
    release,
    series: seriesOfPackage(image.packageName) ?? '',
    packages: lookup.packages.map((p) => ({ name: p.packageName, version: p.version, suite: p.suite, ...(p.sha256 ? { debSha256: p.sha256 } : {}) })),
    imageSha256: await sha256File(join(destDir, 'boot', `vmlinuz-${release}`)),
  };
}

function dirOf(cacheDir: string, ref: DebianPackageRef): string {
  // The folder name as earlier versions made it ('~' -> '_'), so caches filled by them stay valid.
  return join(cacheDir, 'kernels', 'debian', `${ref.packageName}_${ref.version}`.replace(/[^A-Za-z0-9.+_-]/g, '_'));
}

/** Offline: the package this spec resolved to last time, if it is cached; else the newest cached kernel of its series or name. */
function cachedFallback(cacheDir: string, spec: DebianKernelSpec): (CachedKernelMeta & { dir: string }) | undefined {
  const cached = cachedDebianKernels(cacheDir);
  const remembered = readMemoAnyAge(cacheDir, spec.text);
  const byMemo = remembered && cached.find((k) => k.packageName === remembered.packageName && k.version === remembered.version);
  if (byMemo) return byMemo;
  const matches = spec.kind === 'debian-series' ? cached.filter((k) => k.series === spec.series) : spec.kind === 'debian-package' ? cached.filter((k) => k.packageName === spec.packageName) : [];
  return matches.sort((a, b) => compareDebianVersions(a.version, b.version)).at(-1);
}

export async function resolveDebianKernel(
  spec: DebianKernelSpec,
  opts: { cacheDir: string; signal?: AbortSignal; onEvent?: OnVmEvent; updateLists?: boolean },
): Promise<ResolvedKernel & { cached: boolean }> {
  ensureCacheDir(opts.cacheDir, 'kernels', 'debian');
  const lookupOpts = { cacheDir: opts.cacheDir, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onEvent ? { onEvent: opts.onEvent } : {}), ...(opts.updateLists ? { force: true } : {}) };
  let lookup: DebianLookup;
  try {
    lookup = (await readMemo(spec.text, lookupOpts)) ?? (await lookupDebianKernel(spec, lookupOpts));
    writeMemo(opts.cacheDir, spec.text, lookup);
  } catch (err) {
    if (opts.signal?.aborted || (err instanceof VmError && err.code !== 'KERNEL_DOWNLOAD_FAILED')) throw err;
    // The lists could not be refreshed (offline?): a cached kernel of this spec still works.
    const hit = cachedFallback(opts.cacheDir, spec);
    if (!hit) throw err;
    opts.onEvent?.({ kind: 'warning', phase: 'download', message: `${(err as Error).message}; using the cached ${hit.packageName} ${hit.version}` });
    return { ...(await toResolved(hit, hit.dir, spec.text)), cached: true };
  }
  const dir = dirOf(opts.cacheDir, lookup.image);
  const metaPath = join(dir, 'kernel.json');
  const readCached = async (): Promise<(ResolvedKernel & { cached: boolean }) | undefined> =>
    existsSync(metaPath) ? { ...(await toResolved(JSON.parse(readFileSync(metaPath, 'utf8')) as CachedKernelMeta, dir, spec.text)), cached: true } : undefined;
  return (await readCached()) ?? withFileLock(dir, 'download', async () => (await readCached()) ?? downloadAndUnpack(lookup, spec, dir, opts), opts.signal ? { signal: opts.signal } : {});
}

async function downloadAndUnpack(lookup: DebianLookup, spec: DebianKernelSpec, dir: string, opts: { cacheDir: string; signal?: AbortSignal; onEvent?: OnVmEvent }): Promise<ResolvedKernel & { cached: boolean }> {
  const { image } = lookup;
  const parts = lookup.packages.slice(1).map((p) => p.packageName.replace(/-\d.*$/, ''));
  opts.onEvent?.({ kind: 'kernel-download', packageName: image.packageName, version: image.version, ...(parts.length ? { parts } : {}), bytes: lookup.packages.reduce((n, p) => n + (p.size ?? 0), 0) });
  // Everything is assembled in a temporary sibling and renamed into place: a failed or interrupted
  // download leaves nothing half-written under kernels/debian/.
  const tmp = ensureCacheDir(opts.cacheDir, 'kernels', 'debian', `.tmp-${process.pid}-${Date.now()}`);
  try {
    const ctx = aptContext(opts.cacheDir, image.release);
    const debs = await aptDownloadAll(ctx, lookup.packages.map((p) => `${p.packageName}=${p.version}`), join(tmp, 'deb'), opts.signal);
    const meta = await unpack(debs, lookup, join(tmp, 'root'), opts.signal);
    commitCacheEntry(join(tmp, 'root'), dir, 'kernel.json', meta);
    return { ...(await toResolved(meta, dir, spec.text)), cached: false };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
