// `--ipvs-source`: a resolved kernel whose guest runs IPVS modules built from a source tree. Headers
// and sources are fetched (cached), the modules built (cached by source hash and kernel), checked
// (vermagic, symbols) and laid into a copy of the kernel's modules tree, all before anything boots.
import type { OutOfTreeIpvs, ResolvedKernel } from '../resolved-kernel.ts';
import { buildIpvsModules, type BuiltModules } from './build-ipvs.ts';
import { isModuleBuildError, ModuleBuildError } from './errors.ts';
import { debianIpvsSource } from './debian-ipvs-source.ts';
import { loadIpvsSource, type IpvsSource } from './ipvs-source.ts';
import { kernelHeaders } from './kernel-headers.ts';
import { moduleTreeWith } from './module-tree.ts';

/** `debian` (the kernel's own linux-source) or the folder of a tree. */
export type IpvsSourceSpec = string;

export interface OwnIpvsOptions {
  cacheDir: string;
  /** Modules to build (ip_vs and the schedulers a run needs); default all. */
  modules?: readonly string[];
  force?: boolean;
  signal?: AbortSignal;
  onProgress?: (stage: string, detail?: string) => void;
}

export async function resolveIpvsSource(kernel: ResolvedKernel, spec: IpvsSourceSpec, opts: OwnIpvsOptions): Promise<IpvsSource> {
  const common = { cacheDir: opts.cacheDir, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) };
  return spec === 'debian' ? debianIpvsSource(kernel, common) : loadIpvsSource(spec, opts.signal ? { signal: opts.signal } : {});
}

/** Whatever failed once the signal fired (a killed make, a cut download) is an interruption (exit 130). */
async function interruptible<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (signal?.aborted && !isModuleBuildError(err, 'MODULE_BUILD_INTERRUPTED')) {
      throw new ModuleBuildError('MODULE_BUILD_INTERRUPTED', `interrupted while preparing the IPVS modules: ${(err as Error).message}`, { cause: err });
    }
    throw err;
  }
}

/** Builds (or takes from the cache) the IPVS modules of `spec` for `kernel`. */
export async function buildOwnIpvs(kernel: ResolvedKernel, spec: IpvsSourceSpec, opts: OwnIpvsOptions): Promise<{ built: BuiltModules; source: IpvsSource; headersSource: string; kernelWith: () => Promise<ResolvedKernel> }> {
  const common = { cacheDir: opts.cacheDir, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) };
  const { source, headers, built } = await interruptible(opts.signal, async () => {
    const source = await resolveIpvsSource(kernel, spec, opts);
    const headers = await kernelHeaders(kernel, common);
    const built = await buildIpvsModules({ kernel, source, headers, ...common, ...(opts.modules ? { modules: opts.modules } : {}), ...(opts.force ? { force: true } : {}) });
    return { source, headers, built };
  });
  const kernelWith = async (): Promise<ResolvedKernel> => {
    const tree = await interruptible(opts.signal, () => moduleTreeWith(kernel, built, headers, common));
    const warnings = [...built.warnings, ...(tree.dropped.length ? [`kernel modules dropped (they no longer match the built ip_vs): ${tree.dropped.join(', ')}`] : [])];
    return { ...kernel, modulesDir: tree.modulesDir, outOfTreeIpvs: ownIpvsOf(built, warnings) };
  };
  return { built, source, headersSource: headers.source, kernelWith };
}

export function ownIpvsOf(built: BuiltModules, warnings: string[] = built.warnings): OutOfTreeIpvs {
  return {
    source: built.source.description,
    sourceHash: built.source.hash,
    ...(built.source.describe ? { gitDescribe: built.source.describe } : {}),
    compiler: built.compiler.versionText,
    headers: built.headers,
    modules: built.modules.map((m) => ({ name: m.name, sha256: m.sha256 })),
    vermagic: built.vermagic,
    buildMs: built.buildMs,
    ...(built.buildCpuMs !== undefined ? { buildCpuMs: built.buildCpuMs } : {}),
    cached: built.cached,
    builtAt: built.builtAt,
    warnings,
  };
}

/** The kernel with its IPVS replaced: built, checked and laid into its modules tree. */
export async function kernelWithOwnIpvs(kernel: ResolvedKernel, spec: IpvsSourceSpec, opts: OwnIpvsOptions): Promise<ResolvedKernel> {
  return (await buildOwnIpvs(kernel, spec, opts)).kernelWith();
}
