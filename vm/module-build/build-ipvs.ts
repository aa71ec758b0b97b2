// Builds IPVS modules out of tree against a kernel's headers, and caches them by source hash and
// kernel. The sources are mirrored into one work folder per kernel (only files whose content changed
// are rewritten), so kbuild recompiles only what an edit or a bisect step touched; the finished
// modules are copied into <cache>/ipvs-modules/<key>/ through a temporary sibling and a rename, so a
// failed or interrupted build leaves nothing half-written there.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { ensureCacheDir } from '../cache-dir.ts';
import { sha256File } from '../file-hash.ts';
import { withFileLock } from '../file-lock.ts';
import type { ResolvedKernel } from '../resolved-kernel.ts';
import { childCpuMs } from './child-cpu.ts';
import { chooseCompiler, type ChosenCompiler } from './compiler.ts';
import { ModuleBuildError } from './errors.ts';
import { explainFailure } from './build-failure.ts';
import { makeVariables, modulesForConfig, parseIpvsMakefile, type IpvsModule } from './ipvs-makefile.ts';
import { IPVS_DIR, sourcePathsIn, type IpvsSource } from './ipvs-source.ts';
import type { KernelHeaders } from './kernel-headers.ts';
import { commitCacheEntry, readCacheMeta } from '../cache-meta.ts';

/** Bump when the build changes in a way the key cannot see: older entries are then rebuilt. */
const BUILD_FORMAT = 1;

export interface BuiltModule {
  name: string;
  /** The .ko in the cache entry. */
  file: string;
  sha256: string;
}

export interface BuiltModules {
  /** <cache>/ipvs-modules/<key>. */
  dir: string;
  key: string;
  release: string;
  modules: BuiltModule[];
  vermagic: string;
  compiler: ChosenCompiler;
  /** Wall time of the make run that built them (also when read back from the cache). */
  buildMs: number;
  /** CPU time (user + system) of that make run and its compilers. */
  buildCpuMs?: number;
  builtAt: string;
  cached: boolean;
  source: { description: string; hash: string; describe?: string };
  headers: string;
  /** What the build noticed but survived (the kernel's own IPVS header used instead of the tree's, ...). */
  warnings: string[];
}

export interface BuildRequest {
  kernel: ResolvedKernel;
  source: IpvsSource;
  headers: KernelHeaders;
  /** Modules to build; default every IPVS module the kernel's config builds as a module. */
  modules?: readonly string[];
  cacheDir: string;
  signal?: AbortSignal;
  /** Rebuild even when the cache has these modules. */
  force?: boolean;
  onProgress?: (stage: string, detail?: string) => void;
}

type BuildMeta = Omit<BuiltModules, 'dir' | 'cached' | 'modules'> & { format: number; modules: { name: string; sha256: string }[] };

/** The modules to build: what was asked, checked against the tree's Makefile and the kernel's config. */
export function chooseModules(source: IpvsSource, configText: string, wanted: readonly string[] | undefined, label: string): IpvsModule[] {
  const all = parseIpvsMakefile(readFileSync(join(source.root, IPVS_DIR, 'Makefile'), 'utf8'));
  const { buildable, builtIn } = modulesForConfig(all, configText);
  if (builtIn.some((m) => m.name === 'ip_vs')) {
    throw new ModuleBuildError('MODULE_BUILD_UNSUPPORTED', `${label} has IPVS built in (CONFIG_IP_VS=y): a module built out of tree cannot replace it; choose a kernel with CONFIG_IP_VS=m (every Debian kernel)`);
  }
  if (!wanted) return buildable;
  const unknown = wanted.filter((w) => !buildable.some((m) => m.name === w));
  if (unknown.length > 0) {
    throw new ModuleBuildError('IPVS_SOURCE_INVALID', `cannot build ${unknown.join(', ')} for ${label}: not a module of ${source.description}'s ${IPVS_DIR}/Makefile that the kernel's config builds as a module (=m); buildable: ${buildable.map((m) => m.name).join(', ')}`);
  }
  return buildable.filter((m) => wanted.includes(m.name));
}

function cacheKey(req: BuildRequest, names: readonly string[], compiler: ChosenCompiler): string {
  const h = createHash('sha256');
  h.update(`format ${BUILD_FORMAT}\nsource ${req.source.hash}\nheaders ${req.headers.id}\nrelease ${req.kernel.release}\ncc ${compiler.versionText}\nmodules ${[...names].sort().join(',')}\n`);
  return h.digest('hex').slice(0, 16);
}

function readMeta(dir: string): BuildMeta | undefined {
  return readCacheMeta<BuildMeta>(dir, 'build.json', BUILD_FORMAT);
}

/** The entry as this request sees it: the same content may have been built from another folder, so the source is the request's. */
function fromMeta(dir: string, meta: BuildMeta, cached: boolean, source: IpvsSource): BuiltModules {
  const { format: _format, modules, ...rest } = meta;
  return {
    ...rest, dir, cached,
    source: { description: source.description, hash: source.hash, ...(source.describe ? { describe: source.describe } : {}) },
    modules: modules.map((m) => ({ ...m, file: join(dir, 'ko', `${m.name}.ko`) })),
  };
}

export async function buildIpvsModules(req: BuildRequest): Promise<BuiltModules> {
  const chosen = chooseModules(req.source, req.kernel.configText, req.modules, req.kernel.label);
  const compiler = await chooseCompiler(req.headers.kernelCompiler, req.signal);
  if (!compiler) {
    throw new ModuleBuildError('COMPILER_MISMATCH', `no C compiler on this host to build modules for ${req.kernel.label}; it was built with ${req.headers.kernelCompiler.versionText ?? 'an unknown compiler'}: install ${req.headers.kernelCompiler.command ?? 'gcc'} (apt-get install ${req.headers.kernelCompiler.command ?? 'gcc'} make)`);
  }
  const names = chosen.map((m) => m.name);
  const key = cacheKey(req, names, compiler);
  const dir = join(ensureCacheDir(req.cacheDir, 'ipvs-modules'), key);
  const hit = readMeta(dir);
  if (hit && !req.force) return fromMeta(dir, hit, true, req.source);
  const work = join(req.cacheDir, 'ipvs-modules', 'work', createHash('sha256').update(`${req.headers.id}\n${req.kernel.release}`).digest('hex').slice(0, 12));
  const lockOpts = req.signal ? { signal: req.signal } : {};
  return withFileLock(work, 'image', async () => {
    const again = readMeta(dir);
    if (again && !req.force) return fromMeta(dir, again, true, req.source);
    const made = await runMake(req, chosen, compiler, work);
    return writeEntry(req, { dir, key, work, names, compiler, ...made });
  }, { ...lockOpts, timeoutMs: 60 * 60_000 });
}

/** Mirrors the source files into `work` (IPVS files flat, headers under include/), rewriting only changed ones. */
export function syncWorkDir(source: IpvsSource, work: string): void {
  mkdirSync(work, { recursive: true });
  const wanted = new Map<string, string>();
  for (const f of source.files) wanted.set(f.startsWith(`${IPVS_DIR}/`) ? f.slice(IPVS_DIR.length + 1) : f, join(source.root, f));
  // The tree's headers before the kernel's: NOSTDINC_FLAGS comes first on kbuild's command lines.
  wanted.set('Kbuild', '');
  // Absolute paths: modpost includes this file too, where $(src) is not set.
  const kbuild = `NOSTDINC_FLAGS += -I${work}/include -I${work}/include/uapi\ninclude ${work}/Makefile\n`;
  for (const [rel, from] of wanted) {
    const to = join(work, rel);
    const content = from ? readFileSync(from) : Buffer.from(kbuild);
    if (existsSync(to) && readFileSync(to).equals(content)) continue;
    mkdirSync(dirname(to), { recursive: true });
    if (existsSync(to)) unlinkSync(to);
    writeFileSync(to, content);
  }
  // Sources the tree no longer has (a bisect step removed a file) go too; build products stay.
  const walk = (dir: string, rel: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(dir, e.name), r);
      else if (/\.(c|h)$|^(Makefile|Kbuild)$/.test(e.name) && !wanted.has(r) && !/\.mod\.c$/.test(e.name)) rmSync(join(dir, e.name));
    }
  };
  walk(work, '');
}

async function runMake(req: BuildRequest, chosen: IpvsModule[], compiler: ChosenCompiler, work: string): Promise<{ buildMs: number; buildCpuMs?: number; warnings: string[] }> {
  syncWorkDir(req.source, work);
  const all = parseIpvsMakefile(readFileSync(join(req.source.root, IPVS_DIR, 'Makefile'), 'utf8'));
  const args = ['-C', req.headers.buildDir, `M=${work}`, `-j${availableParallelism()}`, `CC=${compiler.command}`, ...makeVariables(all, chosen.map((m) => m.name)), 'modules'];
  req.onProgress?.('compiling', `${chosen.map((m) => m.name).join(', ')} with ${compiler.versionText}`);
  const started = performance.now();
  const cpuBefore = childCpuMs();
  const r = await execa('make', args, { reject: false, all: true, env: { LC_ALL: 'C' }, timeout: 30 * 60_000, ...(req.signal ? { cancelSignal: req.signal } : {}) });
  const buildMs = Math.round(performance.now() - started);
  const cpuAfter = childCpuMs();
  const buildCpuMs = cpuBefore !== undefined && cpuAfter !== undefined ? Math.round(cpuAfter - cpuBefore) : undefined;
  if (req.signal?.aborted) throw new ModuleBuildError('MODULE_BUILD_INTERRUPTED', 'the module build was interrupted');
  const output = sourcePathsIn(r.all ?? '', work, req.source);
  if (r.exitCode !== 0) throw explainFailure(output, { label: req.kernel.label, source: req.source.description, compiler, kernelCompiler: req.headers.kernelCompiler, buildMs });
  const warnings: string[] = [];
  if (compiler.mismatch) warnings.push(`compiler mismatch: ${compiler.mismatch}; the build worked anyway`);
  const header = req.source.files.find((f) => f === 'include/net/ip_vs.h');
  const cmd = join(work, '.ip_vs_core.o.cmd');
  if (header && existsSync(cmd) && !readFileSync(cmd, 'utf8').includes(`${work}/include/net/ip_vs.h`)) {
    warnings.push(`the kernel's own include/net/ip_vs.h was compiled in, not ${req.source.description}'s: this kernel's kbuild ignores NOSTDINC_FLAGS`);
  }
  return { buildMs, ...(buildCpuMs !== undefined ? { buildCpuMs } : {}), warnings };
}

async function writeEntry(req: BuildRequest, b: { dir: string; key: string; work: string; names: string[]; compiler: ChosenCompiler; buildMs: number; buildCpuMs?: number; warnings: string[] }): Promise<BuiltModules> {
  const tmp = ensureCacheDir(req.cacheDir, 'ipvs-modules', `.tmp-${process.pid}-${Date.now()}`);
  try {
    mkdirSync(join(tmp, 'ko'));
    const modules: { name: string; sha256: string }[] = [];
    for (const name of b.names) {
      const ko = join(b.work, `${name}.ko`);
      if (!existsSync(ko)) throw new ModuleBuildError('MODULE_BUILD_FAILED', `make succeeded but wrote no ${name}.ko; is ${name} built by ${req.source.description}'s ${IPVS_DIR}/Makefile?`);
      copyFileSync(ko, join(tmp, 'ko', `${name}.ko`));
      modules.push({ name, sha256: await sha256File(ko) });
    }
    const vermagic = (await execa('modinfo', ['-F', 'vermagic', join(tmp, 'ko', `${b.names[0]}.ko`)])).stdout.trim();
    const meta: BuildMeta = {
      format: BUILD_FORMAT, key: b.key, release: req.kernel.release, modules, vermagic, compiler: b.compiler, buildMs: b.buildMs,
      ...(b.buildCpuMs !== undefined ? { buildCpuMs: b.buildCpuMs } : {}),
      builtAt: new Date().toISOString(),
      source: { description: req.source.description, hash: req.source.hash, ...(req.source.describe ? { describe: req.source.describe } : {}) },
      headers: req.headers.source, warnings: b.warnings,
    };
    commitCacheEntry(tmp, b.dir, 'build.json', meta);
    return fromMeta(b.dir, meta, false, req.source);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
