// Debian kernels: pick the package for a spec, download it through the private apt config, unpack it
// into the cache (one folder per package version) and index its modules with depmod.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { aptContext, aptDownload, listsUpdatedAt, readPackagesIndex, updateAptListsIfStale, type AptContext } from './apt-config.ts';
import { ensureCacheDir } from './cache-dir.ts';
import { compareDebianVersions } from './debian-version.ts';
import { withFileLock } from './file-lock.ts';
import { VmError } from './errors.ts';
import type { OnVmEvent } from './events.ts';
import { DEBIAN_SERIES, type DebianSeries, type KernelSpec } from './kernel-spec.ts';
import type { ResolvedKernel } from './resolved-kernel.ts';

export interface DebianPackageRef {
  packageName: string;
  version: string;
  suite: string;
}

/** Parses a Packages index into (name, version) pairs matching `nameRe`. Linear scan: the indexes are ~100 MB. */
export function findPackages(indexText: string, nameRe: RegExp, suite: string): DebianPackageRef[] {
  const out: DebianPackageRef[] = [];
  let at = 0;
  while ((at = indexText.indexOf('Package: linux-image-', at)) >= 0) {
    if (at > 0 && indexText[at - 1] !== '\n') {
      at += 8;
      continue;
    }
    const lineEnd = indexText.indexOf('\n', at);
    const name = indexText.slice(at + 9, lineEnd < 0 ? undefined : lineEnd).trim();
    const stanzaEnd = indexText.indexOf('\n\n', at);
    const stanza = indexText.slice(at, stanzaEnd < 0 ? undefined : stanzaEnd);
    const version = /^Version: (.+)$/m.exec(stanza)?.[1]?.trim();
    if (version && nameRe.test(name)) out.push({ packageName: name, version, suite });
    at = stanzaEnd < 0 ? indexText.length : stanzaEnd;
  }
  return out;
}

export function newest(refs: DebianPackageRef[]): DebianPackageRef | undefined {
  return [...refs].sort((a, b) => compareDebianVersions(a.version, b.version)).at(-1);
}

export function seriesPackageRe(series: DebianSeries): RegExp {
  return new RegExp(`^linux-image-${series.replace('.', '\\.')}\\.[0-9][^ ]*-cloud-amd64$`);
}

/** Finds the package a spec names in the (already updated) lists. */
export async function lookupDebianPackage(ctx: AptContext, spec: KernelSpec, signal?: AbortSignal): Promise<DebianPackageRef | undefined> {
  if (spec.kind === 'debian-series') {
    const refs: DebianPackageRef[] = [];
    for (const suite of DEBIAN_SERIES[spec.series].suites) {
      refs.push(...findPackages(await readPackagesIndex(ctx, suite, signal), seriesPackageRe(spec.series), suite));
    }
    return newest(refs);
  }
  if (spec.kind === 'debian-package') {
    const exact = new RegExp(`^${spec.packageName.replace(/[.+]/g, '\\$&')}$`);
    const refs: DebianPackageRef[] = [];
    const suites = new Set(Object.values(DEBIAN_SERIES).flatMap((s) => s.suites));
    for (const suite of suites) refs.push(...findPackages(await readPackagesIndex(ctx, suite, signal), exact, suite));
    return newest(refs);
  }
  return undefined;
}

// Reading the Packages indexes takes seconds; remember what each spec resolved to for as long as
// the lists stay the same (the memo is keyed on the lists' update stamp).
function memoPath(cacheDir: string): string {
  return join(cacheDir, 'kernels', 'debian-resolutions.json');
}

type Memo = Record<string, DebianPackageRef & { listsUpdated: number }>;

function loadMemo(cacheDir: string): Memo {
  try {
    return JSON.parse(readFileSync(memoPath(cacheDir), 'utf8')) as Memo;
  } catch {
    return {};
  }
}

function readMemo(cacheDir: string, ctx: AptContext, specText: string): DebianPackageRef | undefined {
  const hit = loadMemo(cacheDir)[specText];
  const stamp = listsUpdatedAt(ctx);
  if (!hit || stamp === undefined || hit.listsUpdated !== stamp) return undefined;
  return { packageName: hit.packageName, version: hit.version, suite: hit.suite };
}

function writeMemo(cacheDir: string, ctx: AptContext, specText: string, ref: DebianPackageRef): void {
  const stamp = listsUpdatedAt(ctx);
  if (stamp === undefined) return;
  const memo = loadMemo(cacheDir);
  memo[specText] = { ...ref, listsUpdated: stamp };
  mkdirSync(join(cacheDir, 'kernels'), { recursive: true });
  const tmp = `${memoPath(cacheDir)}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(memo, null, 2) + '\n');
  renameSync(tmp, memoPath(cacheDir));
}

/** lookupDebianPackage through the memo. */
export async function lookupDebianPackageMemo(cacheDir: string, ctx: AptContext, spec: KernelSpec, signal?: AbortSignal): Promise<DebianPackageRef | undefined> {
  const memo = readMemo(cacheDir, ctx, spec.text);
  if (memo) return memo;
  const ref = await lookupDebianPackage(ctx, spec, signal);
  if (ref) writeMemo(cacheDir, ctx, spec.text, ref);
  return ref;
}

interface CachedKernelMeta {
  packageName: string;
  version: string;
  suite: string;
  release: string;
  series?: string;
}

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

function toResolved(meta: CachedKernelMeta, dir: string, label: string): ResolvedKernel {
  return {
    label,
    release: meta.release,
    image: join(dir, 'boot', `vmlinuz-${meta.release}`),
    configText: readFileSync(join(dir, 'boot', `config-${meta.release}`), 'utf8'),
    modulesDir: join(dir, 'lib', 'modules', meta.release),
    systemMapPath: join(dir, 'boot', `System.map-${meta.release}`),
    source: `${meta.packageName} ${meta.version} (${meta.suite})`,
  };
}

async function unpack(debPath: string, ref: DebianPackageRef, destDir: string, signal?: AbortSignal): Promise<CachedKernelMeta> {
  const opt = signal ? { cancelSignal: signal } : {};
  await execa('dpkg-deb', ['-x', debPath, destDir], opt);
  const modulesRoot = join(destDir, 'lib', 'modules');
  const release = existsSync(modulesRoot) ? readdirSync(modulesRoot)[0] : undefined;
  if (!release || !existsSync(join(destDir, 'boot', `vmlinuz-${release}`))) {
    throw new VmError('KERNEL_DOWNLOAD_FAILED', `${ref.packageName} holds no boot/vmlinuz-* with lib/modules/*: is it a kernel image package?`, { phase: 'download' });
  }
  // The .deb has no modules.dep; depmod reads .ko.xz/.ko.zst as they are.
  await execa('depmod', ['-b', destDir, release], opt);
  return { packageName: ref.packageName, version: ref.version, suite: ref.suite, release };
}

export async function resolveDebianKernel(
  spec: Extract<KernelSpec, { kind: 'debian-series' | 'debian-package' }>,
  opts: { cacheDir: string; signal?: AbortSignal; onEvent?: OnVmEvent; updateLists?: boolean },
): Promise<ResolvedKernel & { cached: boolean }> {
  const ctx = aptContext(ensureCacheDir(opts.cacheDir));
  const cached = cachedDebianKernels(opts.cacheDir);
  const fallback = (): CachedKernelMeta & { dir: string } | undefined =>
    spec.kind === 'debian-series'
      ? cached.filter((k) => k.series === spec.series).sort((a, b) => compareDebianVersions(a.version, b.version)).at(-1)
      : cached.find((k) => k.packageName === spec.packageName);
  let ref: DebianPackageRef | undefined;
  try {
    await updateAptListsIfStale(ctx, { force: opts.updateLists ?? false, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onEvent ? { onEvent: opts.onEvent } : {}) });
    ref = await lookupDebianPackageMemo(opts.cacheDir, ctx, spec, opts.signal);
  } catch (err) {
    // Offline with a cached kernel of this spec: use it rather than fail.
    const hit = fallback();
    if (opts.signal?.aborted || !hit) throw err;
    opts.onEvent?.({ kind: 'warning', phase: 'download', message: `apt lists unavailable (${(err as Error).message}); using cached ${hit.packageName} ${hit.version}` });
    return { ...toResolved(hit, hit.dir, spec.text), cached: true };
  }
  if (!ref) {
    throw new VmError('KERNEL_NOT_FOUND', `no Debian package matches "${spec.text}" in ${ctx.root}/sources.list; run \`ipvs-harness kernels\` for the known specs`, { phase: 'spec' });
  }
  const dirName = `${ref.packageName}_${ref.version}`.replace(/[^A-Za-z0-9.+_-]/g, '_');
  const dir = join(opts.cacheDir, 'kernels', 'debian', dirName);
  const metaPath = join(dir, 'kernel.json');
  if (existsSync(metaPath)) {
    return { ...toResolved(JSON.parse(readFileSync(metaPath, 'utf8')) as CachedKernelMeta, dir, spec.text), cached: true };
  }
  return withFileLock(dir, 'download', async () => {
    // Another process may have finished the same download while we waited for the lock.
    if (existsSync(metaPath)) {
      return { ...toResolved(JSON.parse(readFileSync(metaPath, 'utf8')) as CachedKernelMeta, dir, spec.text), cached: true };
    }
    return downloadAndUnpack(ctx, ref!, spec, dir, opts);
  }, opts.signal ? { signal: opts.signal } : {});
}

async function downloadAndUnpack(
  ctx: AptContext,
  ref: DebianPackageRef,
  spec: Extract<KernelSpec, { kind: 'debian-series' | 'debian-package' }>,
  dir: string,
  opts: { cacheDir: string; signal?: AbortSignal; onEvent?: OnVmEvent },
): Promise<ResolvedKernel & { cached: boolean }> {
  opts.onEvent?.({ kind: 'kernel-download', packageName: ref.packageName, version: ref.version });
  const tmp = ensureCacheDir(opts.cacheDir, 'kernels', 'debian', `.tmp-${process.pid}-${Date.now()}`);
  try {
    const deb = await aptDownload(ctx, `${ref.packageName}=${ref.version}`, join(tmp, 'deb'), opts.signal);
    const meta = await unpack(deb, ref, join(tmp, 'root'), opts.signal);
    if (spec.kind === 'debian-series') meta.series = spec.series;
    else meta.series = /^linux-image-(\d+\.\d+)/.exec(ref.packageName)?.[1] ?? '';
    writeFileSync(join(tmp, 'root', 'kernel.json'), JSON.stringify(meta, null, 2) + '\n');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(opts.cacheDir, 'kernels', 'debian'), { recursive: true });
    renameSync(join(tmp, 'root'), dir);
    return { ...toResolved(meta, dir, spec.text), cached: false };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
