// Kernels the user built: `path:<bzImage>` (+ --modules, --config) and `build:<linux tree>`.
// For a tree we collect its *.ko into the cache (hard links when possible) and index them with
// depmod, so the tree itself is never written to and `make modules_install` is not needed.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { execa } from 'execa';
import { readBzImageInfo } from './bzimage.ts';
import { ensureCacheDir } from './cache-dir.ts';
import { VmError } from './errors.ts';
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
    resolved.modulesDir = existsSync(join(found, 'modules.dep')) ? found : await indexModules(found, info.release ?? 'unknown', cacheDir, signal);
  }
  return resolved;
}

function collectKo(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.isSymbolicLink()) continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) collectKo(p, out);
    else if (/\.ko(\.xz|\.zst|\.gz)?$/.test(entry.name)) out.push(p);
  }
}

/** Links (or copies) the *.ko under `srcRoot` into <cache>/modules/<hash>/lib/modules/<release>/kernel and runs depmod there. */
async function indexModules(srcRoot: string, release: string, cacheDir: string, signal?: AbortSignal, extraFiles: string[] = []): Promise<string> {
  const files: string[] = [];
  collectKo(srcRoot, files);
  const hash = createHash('sha256');
  hash.update(release);
  for (const f of files.sort()) {
    const st = statSync(f);
    hash.update(`${relative(srcRoot, f)}:${st.size}:${st.mtimeMs}\n`);
  }
  const key = hash.digest('hex').slice(0, 16);
  const root = join(cacheDir, 'modules', key);
  const modulesDir = join(root, 'lib', 'modules', release);
  if (existsSync(join(modulesDir, 'modules.dep'))) return modulesDir;
  const tmp = ensureCacheDir(cacheDir, 'modules', `.tmp-${process.pid}-${Date.now()}`);
  try {
    const tmpModules = join(tmp, 'lib', 'modules', release);
    for (const f of files) {
      const dest = join(tmpModules, 'kernel', relative(srcRoot, f));
      mkdirSync(dirname(dest), { recursive: true });
      try {
        linkSync(f, dest);
      } catch {
        copyFileSync(f, dest);
      }
    }
    for (const f of extraFiles) if (existsSync(f)) copyFileSync(f, join(tmpModules, f.split('/').at(-1)!));
    await execa('depmod', ['-b', tmp, release], signal ? { cancelSignal: signal } : {});
    rmSync(root, { recursive: true, force: true });
    renameSync(tmp, root);
    return modulesDir;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export async function resolveBuildKernel(spec: Extract<KernelSpec, { kind: 'build' }>, cacheDir: string, signal?: AbortSignal): Promise<ResolvedKernel> {
  const tree = expandHome(spec.tree);
  const image = join(tree, 'arch', 'x86', 'boot', 'bzImage');
  if (!existsSync(image)) {
    throw new VmError('NOT_A_KERNEL', `${tree} has no arch/x86/boot/bzImage; build it first (make -j$(nproc) bzImage modules) or pass path:<bzImage>`, { phase: 'spec' });
  }
  const info = readBzImageInfo(image);
  const release = existsSync(join(tree, 'include', 'config', 'kernel.release'))
    ? readFileSync(join(tree, 'include', 'config', 'kernel.release'), 'utf8').trim()
    : (info.release ?? 'unknown');
  const configText = readConfig(join(tree, '.config'), `the tree ${tree} has no .config: configure and build it first`);
  const resolved: ResolvedKernel = { label: spec.text, release, image, configText, source: tree };
  if (/^CONFIG_MODULES=y/m.test(configText)) {
    resolved.modulesDir = await indexModules(tree, release, cacheDir, signal, [join(tree, 'modules.builtin'), join(tree, 'modules.builtin.modinfo'), join(tree, 'modules.order')]);
  }
  return resolved;
}
