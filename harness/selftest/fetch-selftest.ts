// Gets a kernel selftest and the files it needs onto the host, at run time: from a build tree's own
// tools/testing/selftests, or from Debian's linux-source-<series> package, downloaded through the
// harness's private apt configuration, streamed out of the .deb and its inner .tar.xz (only the
// selftests' shell scripts, settings and config), and cached by package version under
// <cache>/selftests/ (a few KB per version; the 120-150 MB .deb is deleted). Never in the repository.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { execa } from 'execa';
import { aptContext, aptDownload, readPackagesIndex, updateAptListsIfStale, type AptContext } from '../../vm/apt-config.ts';
import { ensureCacheDir } from '../../vm/cache-dir.ts';
import { cachedDebianKernels } from '../../vm/debian-kernels.ts';
import { compareDebianVersions } from '../../vm/debian-version.ts';
import { withFileLock } from '../../vm/file-lock.ts';
import { releaseOfSuite, releasesForSeries, type DebianRelease } from '../../vm/debian-archive.ts';
import { expandHome } from '../../vm/local-kernels.ts';
import { toKernelSpec } from '../../vm/resolve-kernel.ts';
import type { ResolvedKernel } from '../../vm/resolved-kernel.ts';
import { EXTRACT_PATTERNS, KNOWN_SELFTESTS, locateSelftest, SELFTEST_DIRS, SELFTESTS_ROOT, settingsTimeout, sourcedFiles } from './selftest-layout.ts';
import { chooseSourceVersion, planSelftestSource, sourcePackageVersions, type DebianSourcePlan, type SourcePackageRef } from './selftest-source.ts';
import { commitCacheEntry, readCacheMeta } from '../../vm/cache-meta.ts';

/** Bump when the cached layout changes: older entries are then fetched again. */
const CACHE_FORMAT = 1;

export interface SelftestFiles {
  /** The script's name, e.g. ipvs.sh. */
  name: string;
  /** For humans and results.json: `linux-source-6.1 6.1.192-2 (bookworm-security)` or `build tree /src/linux`. */
  source: string;
  /** Host folder laid out as tools/testing/selftests/ (only the needed files, in the cache or the tree). */
  root: string;
  /** The script relative to root: `netfilter/ipvs.sh` or `net/netfilter/ipvs.sh`. */
  script: string;
  /** Every file the guest gets, relative to root: the script, what it sources, settings and config. */
  files: string[];
  /** kselftest's deadline for it, from the `settings` file beside it. */
  timeoutS?: number;
  /** What could not be worked out (a `source` line with an unknown path, a sourced file the tree lacks). */
  notes: string[];
}

export type SelftestLookup = { kind: 'found'; selftest: SelftestFiles } | { kind: 'missing'; reason: string };

export interface FetchOptions {
  cacheDir: string;
  signal?: AbortSignal;
  /** Progress for the user (a first download is 120-150 MB and ~20 s of unpacking). */
  onProgress?: (stage: string, detail?: string) => void;
}

export class SelftestFetchError extends Error {
  readonly code = 'SELFTEST_FETCH_FAILED';
  readonly exitCode = 3;
  constructor(message: string, readonly details?: string) {
    super(message);
    this.name = 'SelftestFetchError';
  }
}

interface CacheMeta {
  format: number;
  packageName: string;
  version: string;
  suite: string;
  selftests: Record<string, Omit<SelftestFiles, 'root' | 'source' | 'name'> | { missing: string }>;
}

/** The selftest `name` for a booted (resolved) kernel, or why there is none. */
export async function findSelftest(kernel: ResolvedKernel, name: string, opts: FetchOptions): Promise<SelftestLookup> {
  const spec = toKernelSpec(kernel.label);
  const debianVersion = spec.kind === 'debian-series' || spec.kind === 'debian-package'
    ? cachedDebianKernels(opts.cacheDir).find((k) => k.release === kernel.release)?.version
    : undefined;
  const plan = planSelftestSource({ spec, release: kernel.release, ...(debianVersion ? { debianVersion } : {}) });
  if (plan.kind === 'none') return { kind: 'missing', reason: plan.reason };
  if (plan.kind === 'tree') {
    const fromTree = selftestInTree(expandHome(plan.tree), name);
    if (fromTree || !plan.fallback) return fromTree ? { kind: 'found', selftest: fromTree } : { kind: 'missing', reason: `${plan.tree} has no ${SELFTESTS_ROOT}/{${SELFTEST_DIRS.join(',')}}/${name}` };
    return fromDebian(plan.fallback, name, opts);
  }
  return fromDebian(plan, name, opts);
}

/** A build tree's own selftest, read in place (the tree is never written to). */
export function selftestInTree(tree: string, name: string): SelftestFiles | undefined {
  const root = join(tree, SELFTESTS_ROOT);
  const located = locateSelftest(SELFTEST_DIRS.map((d) => `${SELFTESTS_ROOT}/${d}/${name}`).filter((p) => existsSync(join(tree, p))), name);
  if (!located) return undefined;
  return { name, source: `build tree ${tree}`, root, ...neededFiles(root, located.script) };
}

/** The script, what it sources (transitively), and the settings and config beside it. */
function neededFiles(root: string, script: string): Omit<SelftestFiles, 'root' | 'source' | 'name'> {
  const files = [script];
  const notes: string[] = [];
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    const found = sourcedFiles(readFileSync(join(root, file), 'utf8'), file, script);
    for (const line of found.unresolved) notes.push(`${file}: cannot tell which file \`${line}\` sources; not copied`);
    for (const f of found.files) {
      if (files.includes(f)) continue;
      if (existsSync(join(root, f))) files.push(f);
      else notes.push(`${file} sources ${f}, which the tree does not have`);
    }
  }
  const dir = posix.dirname(script);
  let timeoutS: number | undefined;
  for (const extra of ['settings', 'config']) {
    const f = posix.join(dir, extra);
    if (!existsSync(join(root, f))) continue;
    files.push(f);
    if (extra === 'settings') timeoutS = settingsTimeout(readFileSync(join(root, f), 'utf8'));
  }
  return { script, files, notes, ...(timeoutS !== undefined ? { timeoutS } : {}) };
}

function entryDir(cacheDir: string, packageName: string, version: string): string {
  return join(cacheDir, 'selftests', `${packageName}_${version}`.replace(/[^A-Za-z0-9.+_-]/g, '_'));
}

function readMeta(dir: string): CacheMeta | undefined {
  return readCacheMeta<CacheMeta>(dir, 'selftests.json', CACHE_FORMAT);
}

function fromMeta(meta: CacheMeta, dir: string, name: string): SelftestLookup | undefined {
  const entry = meta.selftests[name];
  if (!entry) return undefined;
  const source = `${meta.packageName} ${meta.version} (${meta.suite})`;
  if ('missing' in entry) return { kind: 'missing', reason: `${source}: ${entry.missing}` };
  return { kind: 'found', selftest: { name, source, root: join(dir, 'files'), ...entry } };
}

/** Cached versions of a package, newest first (for working offline). */
function cachedVersions(cacheDir: string, packageName: string): { dir: string; meta: CacheMeta }[] {
  const root = join(cacheDir, 'selftests');
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => d.startsWith(`${packageName}_`))
    .map((d) => ({ dir: join(root, d), meta: readMeta(join(root, d)) }))
    .filter((e): e is { dir: string; meta: CacheMeta } => e.meta?.packageName === packageName)
    .sort((a, b) => compareDebianVersions(b.meta.version, a.meta.version));
}

async function fromDebian(plan: DebianSourcePlan, name: string, opts: FetchOptions): Promise<SelftestLookup> {
  // The kernel's own version already cached: no apt at all (fast, and works offline).
  if (plan.preferVersion) {
    const dir = entryDir(opts.cacheDir, plan.packageName, plan.preferVersion);
    const meta = readMeta(dir);
    const hit = meta && fromMeta(meta, dir, name);
    if (hit) return hit;
  }
  ensureCacheDir(opts.cacheDir);
  let chosen: SourcePackageRef | undefined;
  const series = /^linux-source-(\d+\.\d+)/.exec(plan.packageName)?.[1] ?? '';
  const { likely, rest } = releasesForSeries(series);
  try {
    const found = await sourceVersions(opts.cacheDir, likely, plan.packageName, opts.signal);
    chosen = chooseSourceVersion(found.length > 0 ? found : await sourceVersions(opts.cacheDir, rest, plan.packageName, opts.signal), plan.preferVersion);
  } catch (err) {
    const newest = cachedVersions(opts.cacheDir, plan.packageName)[0];
    const hit = newest && fromMeta(newest.meta, newest.dir, name);
    if (opts.signal?.aborted || !hit) throw err;
    return hit;
  }
  if (!chosen) {
    return { kind: 'missing', reason: `no ${plan.packageName} package in the Debian suites the harness knows (${[...likely, ...rest].flatMap((r) => r.suites.map((x) => x.suite)).join(', ')}); for your own tree use build:<tree>` };
  }
  const dir = entryDir(opts.cacheDir, plan.packageName, chosen.version);
  const cached = readMeta(dir);
  if (cached && fromMeta(cached, dir, name)) return fromMeta(cached, dir, name)!;
  ensureCacheDir(opts.cacheDir, 'selftests');
  const ctx = aptContext(opts.cacheDir, releaseOfSuite(chosen.suite)!);
  const meta = await withFileLock(dir, 'download', async () => readMeta(dir) ?? downloadAndExtract(ctx, plan.packageName, chosen!, dir, opts), opts.signal ? { signal: opts.signal } : {});
  const found = fromMeta(meta, dir, name);
  if (!found) throw new SelftestFetchError(`${dir}/selftests.json has no entry for ${name}; delete ${dir} and retry`);
  return found;
}

async function sourceVersions(cacheDir: string, releases: readonly DebianRelease[], packageName: string, signal?: AbortSignal): Promise<SourcePackageRef[]> {
  const refs: SourcePackageRef[] = [];
  for (const release of releases) {
    const ctx = aptContext(cacheDir, release);
    await updateAptListsIfStale(ctx, { ...(signal ? { signal } : {}) });
    for (const { suite } of release.suites) refs.push(...sourcePackageVersions(await readPackagesIndex(ctx, suite, signal, ['linux-source-']), packageName, suite));
  }
  return refs;
}

async function downloadAndExtract(ctx: AptContext, packageName: string, ref: SourcePackageRef, dir: string, opts: FetchOptions): Promise<CacheMeta> {
  const tmp = ensureCacheDir(opts.cacheDir, 'selftests', `.tmp-${process.pid}-${Date.now()}`);
  try {
    opts.onProgress?.('downloading', `${packageName} ${ref.version} (${ref.suite}) for its selftests`);
    const deb = await aptDownload(ctx, `${packageName}=${ref.version}`, join(tmp, 'deb'), opts.signal);
    opts.onProgress?.('unpacking', `${SELFTESTS_ROOT} of ${packageName} ${ref.version}`);
    const tree = join(tmp, 'tree');
    const listing = await extractSelftests(deb, tree, opts.signal);
    rmSync(join(tmp, 'deb'), { recursive: true, force: true });
    const meta: CacheMeta = { format: CACHE_FORMAT, packageName, version: ref.version, suite: ref.suite, selftests: {} };
    const entry = join(tmp, 'entry');
    for (const name of KNOWN_SELFTESTS) {
      const located = locateSelftest(listing, name);
      if (!located) {
        meta.selftests[name] = { missing: `no ${name} under ${SELFTESTS_ROOT}/{${SELFTEST_DIRS.join(',')}}` };
        continue;
      }
      const root = join(tree, located.prefix);
      const needed = neededFiles(root, located.script);
      for (const f of needed.files) {
        mkdirSync(dirname(join(entry, 'files', f)), { recursive: true });
        copyFileSync(join(root, f), join(entry, 'files', f)); // symlinks in the tree are copied as files
      }
      meta.selftests[name] = needed;
    }
    mkdirSync(entry, { recursive: true });
    commitCacheEntry(entry, dir, 'selftests.json', meta);
    return meta;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Streams dpkg-deb's data.tar → the inner linux-source-*.tar.xz → tar, which writes only
 * EXTRACT_PATTERNS under `dest`; returns tar's listing of what it wrote. tar exits 2 when a pattern
 * matched nothing (5.10 has no selftests settings files, say): that is fine, anything else is not.
 */
async function extractSelftests(deb: string, dest: string, signal?: AbortSignal): Promise<string[]> {
  mkdirSync(dest, { recursive: true });
  const common = { reject: false, ...(signal ? { cancelSignal: signal } : {}) } as const;
  // Only the last stage's stdout (the listing) is buffered: the others stream ~1.5 GB.
  const r = await execa('dpkg-deb', ['--fsys-tarfile', deb], { ...common, buffer: { stdout: false } })
    .pipe('tar', ['-xO', '--wildcards', './usr/src/linux-source-*.tar.xz'], { ...common, buffer: { stdout: false } })
    .pipe('tar', ['-xJv', '-C', dest, '--wildcards', ...EXTRACT_PATTERNS], { ...common, timeout: 600_000 });
  const middle = r.pipedFrom[0];
  const first = middle?.pipedFrom[0];
  const notFoundOnly = r.exitCode === 2 && r.stderr.split('\n').filter(Boolean).every((l) => /Not found in archive|Exiting with failure status due to previous errors/.test(l));
  const bad = [first, middle].find((x) => x && x.exitCode !== 0) ?? (r.exitCode !== 0 && !notFoundOnly ? r : undefined);
  if (bad || signal?.aborted) {
    const tail = [first?.stderr, middle?.stderr, r.stderr].filter(Boolean).join('\n').split('\n').slice(-10).join('\n');
    throw new SelftestFetchError(`extracting ${SELFTESTS_ROOT} from ${deb} failed (${bad?.command ?? 'interrupted'}: exit ${bad?.exitCode ?? '-'}); check the free space of the cache folder and that xz-utils is installed`, tail);
  }
  return r.stdout.split('\n').filter((l) => l && existsSync(join(dest, l)) && statSync(join(dest, l)).isFile());
}
