// The build headers of a kernel, for building modules out of tree. For a Debian kernel:
// linux-headers-<abi>, its -common headers and linux-kbuild at the image's exact version, fetched
// through the private apt configuration and unpacked (no root) into <cache>/headers/<abi>_<version>/,
// with the absolute /usr/src paths Debian's Makefiles carry pointed into the cache. For a build:
// kernel, its own tree (after `make modules` it holds Module.symvers).
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { aptContext, aptDownloadAll, readPackagesIndex, updateAptListsIfStale } from '../apt-config.ts';
import { ensureCacheDir } from '../cache-dir.ts';
import { releaseOfSuite } from '../debian-archive.ts';
import { findPackages, type DebianPackageRef } from '../debian-packages.ts';
import { withFileLock } from '../file-lock.ts';
import { expandHome } from '../local-kernels.ts';
import { toKernelSpec } from '../resolve-kernel.ts';
import type { ResolvedKernel } from '../resolved-kernel.ts';
import { kernelCompilerOf, type KernelCompiler } from './compiler.ts';
import { ModuleBuildError } from './errors.ts';
import { abiOfImagePackage, HEADER_PACKAGE_PREFIXES, planHeaderPackages, type HeadersPlan } from './headers-plan.ts';
import { commitCacheEntry, readCacheMeta } from '../cache-meta.ts';

const HEADERS_FORMAT = 1;

export interface KernelHeaders {
  /** Where `make -C` runs: the kernel's build folder. */
  buildDir: string;
  /** For humans and results: the packages, or the build tree. */
  source: string;
  /** Identifies these headers in cache keys. */
  id: string;
  /** The compiler the kernel was built with. */
  kernelCompiler: KernelCompiler;
  /** Module.symvers: the CRCs of every symbol the kernel exports. */
  symvers: string;
}

interface HeadersMeta {
  format: number;
  packages: { name: string; version: string; suite: string }[];
  buildDir: string;
  compilerPackage?: string;
}

export interface HeadersOptions {
  cacheDir: string;
  signal?: AbortSignal;
  onProgress?: (stage: string, detail?: string) => void;
}

export async function kernelHeaders(kernel: ResolvedKernel, opts: HeadersOptions): Promise<KernelHeaders> {
  const spec = toKernelSpec(kernel.label);
  if (spec.kind === 'build') return treeHeaders(expandHome(spec.tree), kernel);
  const image = kernel.packages?.[0];
  if (!image || spec.kind === 'path') {
    throw new ModuleBuildError('MODULE_BUILD_UNSUPPORTED', `${kernel.label}: building modules needs the kernel's build headers, which a path: kernel does not bring; use build:<tree> (a built kernel tree) or a debian: kernel`);
  }
  return debianHeaders(kernel, image, opts);
}

function treeHeaders(tree: string, kernel: ResolvedKernel): KernelHeaders {
  const symvers = join(tree, 'Module.symvers');
  if (!existsSync(symvers)) {
    throw new ModuleBuildError('HEADERS_NOT_FOUND', `${tree} has no Module.symvers, which out-of-tree modules are built against; build the tree's modules first (make -j$(nproc) modules)`);
  }
  const st = statSync(symvers);
  return { buildDir: tree, source: `build tree ${tree}`, id: `tree:${tree}:${st.size}:${st.mtimeMs}`, kernelCompiler: kernelCompilerOf(kernel.configText), symvers };
}

function entryDir(cacheDir: string, abi: string, version: string): string {
  return join(cacheDir, 'headers', `${abi}_${version}`.replace(/[^A-Za-z0-9.+_~-]/g, '_'));
}

function fromMeta(dir: string, meta: HeadersMeta, kernel: ResolvedKernel): KernelHeaders {
  const buildDir = join(dir, meta.buildDir);
  const variables = join(buildDir, '.kernelvariables');
  return {
    buildDir,
    source: meta.packages.map((p) => `${p.name} ${p.version} (${p.suite})`).join(', '),
    id: `debian:${meta.packages.map((p) => `${p.name}=${p.version}`).join(',')}`,
    kernelCompiler: kernelCompilerOf(kernel.configText, existsSync(variables) ? readFileSync(variables, 'utf8') : undefined),
    symvers: join(buildDir, 'Module.symvers'),
  };
}

function readMeta(dir: string): HeadersMeta | undefined {
  return readCacheMeta<HeadersMeta>(dir, 'headers.json', HEADERS_FORMAT);
}

async function debianHeaders(kernel: ResolvedKernel, image: { name: string; version: string; suite: string }, opts: HeadersOptions): Promise<KernelHeaders> {
  const abi = abiOfImagePackage(image.name) ?? image.name;
  const dir = entryDir(opts.cacheDir, abi, image.version);
  const cached = readMeta(dir);
  if (cached) return fromMeta(dir, cached, kernel);
  ensureCacheDir(opts.cacheDir, 'headers');
  const meta = await withFileLock(dir, 'download', async () => readMeta(dir) ?? fetchHeaders(kernel, image, abi, dir, opts), opts.signal ? { signal: opts.signal } : {});
  return fromMeta(dir, meta, kernel);
}

async function planFor(image: { name: string; version: string; suite: string }, opts: HeadersOptions): Promise<HeadersPlan> {
  const release = releaseOfSuite(image.suite);
  if (!release) throw new ModuleBuildError('HEADERS_NOT_FOUND', `${image.name} ${image.version} comes from ${image.suite}, a suite the harness does not know, so its headers cannot be looked up`);
  const ctx = aptContext(opts.cacheDir, release);
  const signalOpt = opts.signal ? { signal: opts.signal } : {};
  await updateAptListsIfStale(ctx, signalOpt);
  // The image's own suite first (headers are published beside it); the release's others only if needed.
  const suites = [image.suite, ...release.suites.map((s) => s.suite).filter((s) => s !== image.suite)];
  const refs: DebianPackageRef[] = [];
  let result: ReturnType<typeof planHeaderPackages> = { ok: false, missing: [] };
  for (const suite of suites) {
    refs.push(...findPackages(await readPackagesIndex(ctx, suite, opts.signal, HEADER_PACKAGE_PREFIXES), /^linux-(headers|kbuild)-/, suite, release.codename));
    result = planHeaderPackages(image, refs);
    if (result.ok) return result.plan;
  }
  const missing = result.ok ? [] : result.missing;
  throw new ModuleBuildError('HEADERS_NOT_FOUND', `the build headers of ${image.name} ${image.version} are not in Debian's ${release.codename} suites (${suites.join(', ')}): missing ${missing.join(', ')}; refresh the lists (ipvs-harness kernels --update), or choose a kernel whose headers are published (ipvs-harness kernels --available)`, { data: { missing } });
}

async function fetchHeaders(kernel: ResolvedKernel, image: { name: string; version: string; suite: string }, abi: string, dir: string, opts: HeadersOptions): Promise<HeadersMeta> {
  const plan = await planFor(image, opts);
  opts.onProgress?.('downloading headers', plan.packages.map((p) => `${p.packageName} ${p.version}`).join(', '));
  // Assembled in a temporary sibling and renamed into place: an interrupted download leaves nothing half-written.
  const tmp = ensureCacheDir(opts.cacheDir, 'headers', `.tmp-${process.pid}-${Date.now()}`);
  try {
    const ctx = aptContext(opts.cacheDir, releaseOfSuite(image.suite)!);
    let debs: string[];
    try {
      debs = await aptDownloadAll(ctx, plan.packages.map((p) => `${p.packageName}=${p.version}`), join(tmp, 'deb'), opts.signal);
    } catch (err) {
      const e = err as { message?: string; details?: string };
      throw new ModuleBuildError('MODULE_DOWNLOAD_FAILED', e.message ?? String(err), { cause: err, ...(e.details ? { details: e.details } : {}) });
    }
    const root = join(tmp, 'root');
    mkdirSync(root, { recursive: true });
    for (const deb of debs) await execa('dpkg-deb', ['-x', deb, root], opts.signal ? { cancelSignal: opts.signal } : {});
    const buildDir = join('usr', 'src', `linux-headers-${abi}`);
    if (!existsSync(join(root, buildDir, 'Makefile'))) {
      throw new ModuleBuildError('HEADERS_NOT_FOUND', `${plan.packages[0]!.packageName} ${image.version} has no ${buildDir}/Makefile: not the layout of Debian's headers packages`);
    }
    relocate(root, dir);
    // The config the kernel was built with; Debian ships it as .config, a split kernel may not.
    if (!existsSync(join(root, buildDir, '.config'))) writeFileSync(join(root, buildDir, '.config'), kernel.configText);
    const meta: HeadersMeta = {
      format: HEADERS_FORMAT,
      packages: plan.packages.map((p) => ({ name: p.packageName, version: p.version, suite: p.suite })),
      buildDir,
      ...(plan.compilerPackage ? { compilerPackage: plan.compilerPackage } : {}),
    };
    commitCacheEntry(root, dir, 'headers.json', meta);
    return meta;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Debian's headers refer to themselves by absolute /usr/src and /usr/lib paths (the <abi> Makefile
 * includes /usr/src/linux-headers-<...>-common/Makefile, 7.x sets KBUILD_OUTPUT=/usr/src/...; some
 * symlinks are absolute): point them at `finalRoot`, where the tree will live in the cache.
 */
function relocate(root: string, finalRoot: string): void {
  const src = join(root, 'usr', 'src');
  for (const name of readdirSync(src)) {
    const makefile = join(src, name, 'Makefile');
    if (!existsSync(makefile)) continue;
    const text = readFileSync(makefile, 'utf8');
    // Only the wrapper's own lines (`include /usr/src/...`, `KBUILD_OUTPUT=/usr/src/...`).
    const fixed = text.replace(/^(include\s+|KBUILD_OUTPUT\s*:?=\s*)\/usr\/(src|lib)\//gm, `$1${finalRoot}/usr/$2/`);
    if (fixed !== text) writeFileSync(makefile, fixed);
  }
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isSymbolicLink()) {
        const target = readlinkSync(p);
        if (target.startsWith('/usr/')) {
          unlinkSync(p);
          symlinkSync(join(finalRoot, target), p);
        }
      } else if (entry.isDirectory() && !lstatSync(p).isSymbolicLink()) walk(p);
    }
  };
  walk(join(root, 'usr'));
}
