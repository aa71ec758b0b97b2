// The modules tree a guest boots with when it runs an out-of-tree IPVS: the kernel's own tree
// hard-linked (files are never written through the links), net/netfilter/ipvs/ replaced by the
// built modules, re-indexed with depmod. Before any boot it checks that the modules would load:
// the vermagic equals the kernel's, and every symbol they import is exported with the same CRC.
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { ensureCacheDir } from '../cache-dir.ts';
import { readModulesDep } from '../modules.ts';
import type { ResolvedKernel } from '../resolved-kernel.ts';
import type { BuiltModules } from './build-ipvs.ts';
import { describeProblems, moduleOfPath, parseDepmodWarnings } from './depmod-check.ts';
import { ModuleBuildError } from './errors.ts';
import type { KernelHeaders } from './kernel-headers.ts';
import { IPVS_DIR } from './ipvs-source.ts';

/** depmod's outputs: rewritten for the new tree, never linked from the kernel's. */
const DEPMOD_OUTPUTS = /^modules\.(dep|alias|symbols|softdep|devname|weakdep|builtin\.alias)(\.bin)?$/;

function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const e of readdirSync(from, { withFileTypes: true })) {
    const a = join(from, e.name);
    const b = join(to, e.name);
    if (e.isDirectory()) linkTree(a, b);
    else if (e.isFile() && !DEPMOD_OUTPUTS.test(e.name)) {
      try {
        linkSync(a, b);
      } catch {
        copyFileSync(a, b); // another file system
      }
    }
  }
}

export interface ModuleTree {
  /** lib/modules/<release> of the new tree. */
  modulesDir: string;
  /** Kernel modules taken out because they need IPVS symbols the built ip_vs no longer matches. */
  dropped: string[];
}

async function modinfoVermagic(file: string, signal?: AbortSignal): Promise<string | undefined> {
  const r = await execa('modinfo', ['-F', 'vermagic', file], { reject: false, ...(signal ? { cancelSignal: signal } : {}) });
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}

/** The vermagic of the kernel's own modules (nf_conntrack is always there when ip_vs is). */
async function kernelVermagic(modulesDir: string, signal?: AbortSignal): Promise<string | undefined> {
  const dep = readModulesDep(modulesDir);
  const ref = dep.get('nf_conntrack') ?? dep.get('ip_vs') ?? [...dep.values()][0];
  return ref ? modinfoVermagic(join(modulesDir, ref.path), signal) : undefined;
}

export async function moduleTreeWith(kernel: ResolvedKernel, built: BuiltModules, headers: KernelHeaders, opts: { cacheDir: string; signal?: AbortSignal }): Promise<ModuleTree> {
  if (!kernel.modulesDir) throw new ModuleBuildError('MODULE_BUILD_UNSUPPORTED', `${kernel.label} has no modules tree to put the built IPVS modules into`);
  const expected = await kernelVermagic(kernel.modulesDir, opts.signal);
  if (expected !== undefined && expected !== built.vermagic) {
    throw new ModuleBuildError('VERMAGIC_MISMATCH', `the built modules' vermagic "${built.vermagic}" differs from ${kernel.label}'s "${expected}": the kernel would refuse them; the headers (${built.headers}) are not those of the kernel ${kernel.release}: rebuild against the kernel's own headers`, { data: { expected, actual: built.vermagic } });
  }
  const root = join(built.dir, 'tree');
  const modulesDir = join(root, 'lib', 'modules', kernel.release);
  if (existsSync(join(modulesDir, 'modules.dep'))) return { modulesDir, dropped: [] };
  const tmp = ensureCacheDir(built.dir, `.tree-tmp-${process.pid}-${Date.now()}`);
  try {
    const tmpModules = join(tmp, 'lib', 'modules', kernel.release);
    linkTree(kernel.modulesDir, tmpModules);
    const ipvsDir = join(tmpModules, 'kernel', IPVS_DIR);
    rmSync(ipvsDir, { recursive: true, force: true });
    mkdirSync(ipvsDir, { recursive: true });
    for (const m of built.modules) copyFileSync(m.file, join(ipvsDir, `${m.name}.ko`));
    const dropped = await checkSymbols(tmp, kernel, built, headers, opts.signal);
    rmSync(root, { recursive: true, force: true });
    renameSync(tmp, root);
    return { modulesDir, dropped };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** depmod with symbol checks; kernel modules outside IPVS that no longer match (xt_ipvs) are dropped, ours must match. */
async function checkSymbols(root: string, kernel: ResolvedKernel, built: BuiltModules, headers: KernelHeaders, signal?: AbortSignal): Promise<string[]> {
  const ours = new Set(built.modules.map((m) => m.name));
  // Only modules that load on top of ip_vs may be dropped; anything else depmod says was so before.
  const dependents = new Set([...readModulesDep(kernel.modulesDir!).values()].filter((e) => e.deps.includes('ip_vs')).map((e) => e.name));
  const dropped: string[] = [];
  for (let round = 0; round < 3; round++) {
    const r = await execa('depmod', ['-b', root, '-e', '-E', headers.symvers, kernel.release], { reject: false, ...(signal ? { cancelSignal: signal } : {}) });
    if (r.exitCode !== 0) throw new ModuleBuildError('MODULE_WONT_LOAD', `depmod failed on the modules tree of ${kernel.label} (exit ${r.exitCode})`, { details: r.stderr });
    const problems = parseDepmodWarnings(r.stderr);
    const mine = problems.filter((p) => ours.has(moduleOfPath(p.module)));
    if (mine.length > 0) {
      throw new ModuleBuildError('MODULE_WONT_LOAD', `the built IPVS modules would not load into ${kernel.label}: they import symbols the kernel does not export as they expect (the source does not fit this kernel's version)`, { details: describeProblems(mine) });
    }
    const others = [...new Set(problems.filter((p) => dependents.has(moduleOfPath(p.module))).map((p) => p.module))];
    if (others.length === 0) return dropped;
    for (const file of others) {
      rmSync(file.startsWith('/') ? file : join(root, 'lib', 'modules', kernel.release, file), { force: true });
      dropped.push(moduleOfPath(file));
    }
  }
  return dropped;
}
