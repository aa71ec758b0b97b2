// `--ipvs-source debian`: the IPVS sources a Debian kernel was built from. Debian's
// linux-source-<series> (120-150 MB) is downloaded through the private apt configuration, streamed
// out of the .deb and its inner .tar.xz, and only net/netfilter/ipvs/ and the IPVS headers are
// kept, under <cache>/ipvs-sources/<package>_<version>/ (~1 MB); the .deb is deleted.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { aptContext, aptDownload, readPackagesIndex, updateAptListsIfStale } from '../apt-config.ts';
import { ensureCacheDir } from '../cache-dir.ts';
import { releaseOfSuite } from '../debian-archive.ts';
import { findPackages, newest, type DebianPackageRef } from '../debian-packages.ts';
import { withFileLock } from '../file-lock.ts';
import type { ResolvedKernel } from '../resolved-kernel.ts';
import { ModuleBuildError } from './errors.ts';
import { IPVS_DIR, IPVS_HEADERS, loadIpvsSource, type IpvsSource } from './ipvs-source.ts';
import { commitCacheEntry, readCacheMeta } from '../cache-meta.ts';

const SOURCE_FORMAT = 1;

interface SourceMeta {
  format: number;
  packageName: string;
  version: string;
  suite: string;
}

export interface DebianSourceOptions {
  cacheDir: string;
  signal?: AbortSignal;
  onProgress?: (stage: string, detail?: string) => void;
}

function describeMeta(m: SourceMeta): string {
  return `${m.packageName} ${m.version} (${m.suite})`;
}

function readMeta(dir: string): SourceMeta | undefined {
  return readCacheMeta<SourceMeta>(dir, 'source.json', SOURCE_FORMAT);
}

function entryDir(cacheDir: string, packageName: string, version: string): string {
  return join(cacheDir, 'ipvs-sources', `${packageName}_${version}`.replace(/[^A-Za-z0-9.+_~-]/g, '_'));
}

/** The IPVS sources of a Debian kernel: linux-source-<series> at the kernel's own version. */
export async function debianIpvsSource(kernel: ResolvedKernel, opts: DebianSourceOptions): Promise<IpvsSource> {
  const image = kernel.packages?.[0];
  const series = /^(\d+\.\d+)/.exec(kernel.release)?.[1];
  if (!image || !series) {
    throw new ModuleBuildError('IPVS_SOURCE_INVALID', `--ipvs-source debian needs a debian: kernel (${kernel.label} is not one); pass the folder of a kernel tree instead`);
  }
  const packageName = `linux-source-${series}`;
  const exact = entryDir(opts.cacheDir, packageName, image.version);
  const hit = readMeta(exact);
  if (hit) return loadIpvsSource(exact, { description: describeMeta(hit), ...(opts.signal ? { signal: opts.signal } : {}) });
  const ref = await chooseSourcePackage(packageName, image, opts);
  const dir = entryDir(opts.cacheDir, packageName, ref.version);
  ensureCacheDir(opts.cacheDir, 'ipvs-sources');
  const meta = await withFileLock(dir, 'download', async () => readMeta(dir) ?? extract(ref, dir, opts), opts.signal ? { signal: opts.signal } : {});
  const note = ref.version === image.version ? '' : ` (the kernel's own ${image.version} is not in the archive any more)`;
  return loadIpvsSource(dir, { description: `${describeMeta(meta)}${note}`, ...(opts.signal ? { signal: opts.signal } : {}) });
}

async function chooseSourcePackage(packageName: string, image: { name: string; version: string; suite: string }, opts: DebianSourceOptions): Promise<DebianPackageRef> {
  const release = releaseOfSuite(image.suite);
  if (!release) throw new ModuleBuildError('IPVS_SOURCE_INVALID', `${image.name} comes from ${image.suite}, a suite the harness does not know`);
  const ctx = aptContext(opts.cacheDir, release);
  await updateAptListsIfStale(ctx, opts.signal ? { signal: opts.signal } : {});
  const refs: DebianPackageRef[] = [];
  for (const { suite } of release.suites) {
    refs.push(...findPackages(await readPackagesIndex(ctx, suite, opts.signal, [packageName]), new RegExp(`^${packageName.replace(/\./g, '\\.')}$`), suite, release.codename));
    const exact = refs.find((r) => r.version === image.version);
    if (exact) return exact;
  }
  const fallback = newest(refs);
  if (!fallback) throw new ModuleBuildError('IPVS_SOURCE_INVALID', `no ${packageName} package in Debian ${release.codename} (${release.suites.map((s) => s.suite).join(', ')}); pass the folder of a kernel tree with --ipvs-source`);
  return fallback;
}

async function extract(ref: DebianPackageRef, dir: string, opts: DebianSourceOptions): Promise<SourceMeta> {
  const tmp = ensureCacheDir(opts.cacheDir, 'ipvs-sources', `.tmp-${process.pid}-${Date.now()}`);
  try {
    opts.onProgress?.('downloading sources', `${ref.packageName} ${ref.version} (${ref.suite}), ${Math.round((ref.size ?? 0) / 1e6)} MB`);
    let deb: string;
    try {
      deb = await aptDownload(aptContext(opts.cacheDir, ref.release), `${ref.packageName}=${ref.version}`, join(tmp, 'deb'), opts.signal);
    } catch (err) {
      const e = err as { message?: string; details?: string };
      throw new ModuleBuildError('MODULE_DOWNLOAD_FAILED', e.message ?? String(err), { cause: err, ...(e.details ? { details: e.details } : {}) });
    }
    opts.onProgress?.('unpacking sources', `${IPVS_DIR}/ of ${ref.packageName} ${ref.version}`);
    const entry = join(tmp, 'entry');
    await streamOut(deb, entry, opts.signal);
    rmSync(join(tmp, 'deb'), { recursive: true, force: true });
    if (!existsSync(join(entry, IPVS_DIR, 'Makefile'))) throw new ModuleBuildError('IPVS_SOURCE_INVALID', `${ref.packageName} ${ref.version} holds no ${IPVS_DIR}/`);
    const meta: SourceMeta = { format: SOURCE_FORMAT, packageName: ref.packageName, version: ref.version, suite: ref.suite };
    commitCacheEntry(entry, dir, 'source.json', meta);
    return meta;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * dpkg-deb's data.tar -> the inner linux-source-*.tar.xz -> tar, which writes only the IPVS folder
 * and headers (the top folder stripped). tar exits 2 when a pattern matched nothing (older trees
 * have no include/linux/ip_vs.h): fine; anything else is not.
 */
async function streamOut(deb: string, dest: string, signal?: AbortSignal): Promise<void> {
  mkdirSync(dest, { recursive: true });
  const common = { reject: false, ...(signal ? { cancelSignal: signal } : {}) } as const;
  const patterns = [`linux-source-*/${IPVS_DIR}/*`, ...IPVS_HEADERS.map((h) => `linux-source-*/${h}`)];
  const r = await execa('dpkg-deb', ['--fsys-tarfile', deb], { ...common, buffer: { stdout: false } })
    .pipe('tar', ['-xO', '--wildcards', './usr/src/linux-source-*.tar.xz'], { ...common, buffer: { stdout: false } })
    .pipe('tar', ['-xJ', '-C', dest, '--strip-components=1', '--wildcards', ...patterns], { ...common, timeout: 600_000 });
  const middle = r.pipedFrom[0];
  const first = middle?.pipedFrom[0];
  const notFoundOnly = r.exitCode === 2 && r.stderr.split('\n').filter(Boolean).every((l) => /Not found in archive|Exiting with failure status due to previous errors/.test(l));
  const bad = [first, middle].find((x) => x && x.exitCode !== 0) ?? (r.exitCode !== 0 && !notFoundOnly ? r : undefined);
  if (bad || signal?.aborted) {
    const tail = [first?.stderr, middle?.stderr, r.stderr].filter(Boolean).join('\n').split('\n').slice(-10).join('\n');
    throw new ModuleBuildError('MODULE_DOWNLOAD_FAILED', `extracting ${IPVS_DIR}/ from ${deb} failed (${bad?.command ?? 'interrupted'}: exit ${bad?.exitCode ?? '-'}); check the free space of the cache folder and that xz-utils is installed`, { details: tail });
  }
}
