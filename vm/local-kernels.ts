// Kernels the user built: `path:<bzImage>` (+ --modules, --config) and `build:<linux tree>` (the
// tree `make` built in, or the output folder of `make O=<dir>`). For a tree we collect its *.ko into
// the cache (hard links when possible) and index them with depmod (module-tree.ts), so the tree
// itself is never written to and `make modules_install` is not needed. A kernel whose harness
// modules (CONFIG_VIRTIO_NET=m, CONFIG_IP_VS=m, ...) are not there is refused here (exit 2).
import { existsSync, lstatSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { readBzImageInfo } from './bzimage.ts';
import { VmError } from './errors.ts';
import { preflightKernel } from './preflight.ts';
import { collectModuleFiles, indexModules, MODULE_INDEX_FILES, modulesFromOrder } from './module-tree.ts';
import { readModulesDep } from './modules.ts';
import { missingModules } from './needed-modules.ts';
import type { KernelSpec } from './kernel-spec.ts';
import type { ResolvedKernel } from './resolved-kernel.ts';

export function expandHome(p: string): string {
  return resolve(p.startsWith('~/') ? join(homedir(), p.slice(2)) : p);
}

function readConfig(path: string, fix: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new VmError('KERNEL_CONFIG_MISSING', `kernel config ${path} cannot be read; ${fix}`, { phase: 'preflight' });
  }
}

/** Accepts lib/modules/<release>, a folder holding it (lib/modules/<release> or <release>), or an INSTALL_MOD_PATH root. */
function findModulesDir(dir: string, release: string | undefined): string {
  const candidates = release
    ? [dir, join(dir, release), join(dir, 'lib', 'modules', release)]
    : [dir];
  for (const c of candidates) {
    if (existsSync(join(c, 'modules.dep')) || (existsSync(join(c, 'kernel')) && statSync(join(c, 'kernel')).isDirectory())) return c;
  }
  throw new VmError(
    'MODULES_MISSING',
    `no kernel modules for release ${release ?? '(unknown)'} under ${dir}; pass --modules <INSTALL_MOD_PATH>/lib/modules/<release> (from \`make modules_install INSTALL_MOD_PATH=...\`)`,
    { phase: 'spec' },
  );
}

export async function resolvePathKernel(spec: Extract<KernelSpec, { kind: 'path' }>, cacheDir: string, signal?: AbortSignal): Promise<ResolvedKernel> {
  const image = expandHome(spec.image);
  const info = readBzImageInfo(image);
  const configPath = spec.configPath ? expandHome(spec.configPath) : undefined;
  const guessed = [join(dirname(image), `config-${info.release ?? ''}`), join(dirname(image), '.config'), join(dirname(image), '..', '..', '..', '.config')];
  const config = configPath ?? guessed.find((p) => existsSync(p));
  if (!config) {
    throw new VmError('KERNEL_CONFIG_MISSING', `no kernel config found for ${image}; pass --config <file> (the .config the kernel was built with)`, { phase: 'preflight' });
  }
  const resolved: ResolvedKernel = {
    label: spec.text,
    release: info.release ?? 'unknown',
    image,
    configText: readConfig(config, 'pass --config <file>'),
    source: image,
  };
  if (spec.modulesDir) {
    const found = findModulesDir(expandHome(spec.modulesDir), info.release);
    resolved.modulesDir = existsSync(join(found, 'modules.dep'))
      ? found
      : await indexModules(found, collectModuleFiles(found), info.release ?? 'unknown', cacheDir, signal, MODULE_INDEX_FILES.map((f) => join(found, f)));
  }
  // Options the config lacks are the deeper problem than modules not given: name them first.
  // The tracers' options are checked by the run that knows which tracer it uses.
  preflightKernel(resolved.configText, `kernel ${spec.text}`, resolved.release, { ftrace: false, bpftrace: false });
  const missing = missingModules(resolved.configText, resolved.modulesDir);
  if (missing.length > 0) {
    const where = resolved.modulesDir ? `the modules in ${resolved.modulesDir} lack ${missing.map((m) => `${m.module} (CONFIG_${m.option}=m)`).join(', ')}` : `it builds ${missing.map((m) => `CONFIG_${m.option}`).join(', ')} as modules and no --modules was given`;
    throw new VmError('MODULES_MISSING', `kernel ${spec.text}: ${where}; pass --modules <INSTALL_MOD_PATH>/lib/modules/<release> (from \`make modules_install INSTALL_MOD_PATH=...\`)`, { phase: 'spec', data: { missing } });
  }
  return resolved;
}

/** Why a folder given as build: is not a built kernel, and what to run. */
function notBuilt(tree: string): VmError {
  const isSource = existsSync(join(tree, 'Kconfig')) && existsSync(join(tree, 'Makefile'));
  const message = !existsSync(tree)
    ? `${tree} does not exist; build: takes the folder a kernel was built in (make), or the output folder of make O=<dir>`
    : isSource && !existsSync(join(tree, '.config'))
      ? `${tree} is a Linux source tree with no build in it: configure and build it (make -j$(nproc) bzImage modules), or, if you built it with make O=<dir>, pass build:<dir>`
      : `${tree} has no arch/x86/boot/bzImage; build it first (make -j$(nproc) bzImage modules) or pass path:<bzImage>`;
  return new VmError('NOT_A_KERNEL', message, { phase: 'spec' });
}

export async function resolveBuildKernel(spec: Extract<KernelSpec, { kind: 'build' }>, cacheDir: string, signal?: AbortSignal): Promise<ResolvedKernel> {
  const tree = expandHome(spec.tree);
  const image = join(tree, 'arch', 'x86', 'boot', 'bzImage');
  if (!existsSync(image)) throw notBuilt(tree);
  const info = readBzImageInfo(image);
  const release = existsSync(join(tree, 'include', 'config', 'kernel.release'))
    ? readFileSync(join(tree, 'include', 'config', 'kernel.release'), 'utf8').trim()
    : (info.release ?? 'unknown');
  const configText = readConfig(join(tree, '.config'), `the tree ${tree} has no .config: configure and build it first`);
  const resolved: ResolvedKernel = { label: spec.text, release, image, configText, source: tree };
  if (/^CONFIG_MODULES=y/m.test(configText)) {
    // modules.order (written by `make modules`) names what was built: no walk through a whole source tree.
    const files = modulesFromOrder(tree)?.present ?? collectModuleFiles(tree);
    resolved.modulesDir = await indexModules(tree, files, release, cacheDir, signal, MODULE_INDEX_FILES.map((f) => join(tree, f)));
  }
  const missing = missingModules(configText, resolved.modulesDir);
  if (missing.length > 0) {
    const none = resolved.modulesDir === undefined || readModulesDep(resolved.modulesDir).size === 0;
    const what = missing.map((m) => `CONFIG_${m.option}=m (${m.module}.ko)`).join(', ');
    const outTree = isOutputTree(tree) ? ' (the make O= output folder)' : '';
    throw new VmError(
      'MODULES_MISSING',
      `${tree} builds ${what} as module(s) but ${none ? 'its modules were not built' : 'they are not built'}: run \`make -C ${tree} -j$(nproc) modules\`${outTree}, or build them in (=y)`,
      { phase: 'spec', data: { missing } },
    );
  }
  return resolved;
}

/** The output folder of `make O=<dir>`: kbuild leaves a `source` link to the source tree in it. */
export function isOutputTree(tree: string): boolean {
  try {
    return lstatSync(join(tree, 'source')).isSymbolicLink();
  } catch {
    return false;
  }
}
