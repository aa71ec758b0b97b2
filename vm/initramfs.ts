// Builds the guest's initramfs in named steps and caches it by a hash of every input (kernel release,
// module files, host binaries, init template, image format). Per-boot secrets are NOT in here: they
// go in a second small archive appended at boot (guest-secrets.ts), so the cache never holds keys.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ensureCacheDir } from './cache-dir.ts';
import { CpioWriter } from './cpio-writer.ts';
import { VmError } from './errors.ts';
import { emitter, type OnVmEvent } from './events.ts';
import { imageCacheLimit, markImageUsed, pruneImages } from './image-cache.ts';
import { decompressModule } from './module-tree.ts';
import {
  addBaseFiles, addHostFile, BUSYBOX_HOST, busyboxApplets, findHostBinary, GUEST_BINARIES, sharedLibrariesMemo,
} from './initramfs-layout.ts';
import {
  guestModulePath, guestModulesAlias, guestModulesDep, loadOrder, NETWORK_MODULES, readModulesDep, SHIPPED_MODULES,
} from './modules.ts';
import type { ResolvedKernel } from './resolved-kernel.ts';
import { bpftraceReleaseFor, ensureBpftraceBundle, GUEST_BPFTRACE_BIN, type BpftraceBundle } from './bpftrace-bundle.ts';

/** Bump when the image layout changes in a way the input hash cannot see. */
export const IMAGE_FORMAT_VERSION = 7;
const INIT_TEMPLATE = new URL('./guest/init.sh.tpl', import.meta.url);

export interface GuestImageOptions {
  cacheDir: string;
  signal?: AbortSignal;
  onEvent?: OnVmEvent;
  /** Extra modules to ship (names). */
  extraModules?: string[];
  /** The variant with Debian's newer bpftrace and its ~200 MB of libraries (bpftrace-bundle.ts; needs the host's patchelf). */
  withBpftrace?: boolean;
  /** The cache's guest images are kept within this (vm/image-cache.ts); default: IPVS_HARNESS_IMAGE_CACHE_MB, else 2048 MB. */
  imageCacheBytes?: number;
}

export interface GuestImage {
  path: string;
  key: string;
  cached: boolean;
  bytes: number;
  bootModules: string[];
  /** The bpftrace in the image (the bpftrace variant only). */
  bpftrace?: { release: string; version: string };
}

interface Plan {
  binaries: { host: string; guest: string }[];
  modules: { hostPath: string; guestRel: string; name: string }[];
  bootModules: string[];
  modulesDep: string;
  modulesAlias: string;
  initScript: string;
  bpftrace?: BpftraceBundle;
}

async function plan(kernel: ResolvedKernel, opts: GuestImageOptions): Promise<Plan> {
  const binaries = GUEST_BINARIES.map((b) => ({ host: findHostBinary(b.host, b.pkg), guest: b.guest }));
  binaries.push({ host: findHostBinary([BUSYBOX_HOST], 'busybox-static'), guest: '/bin/busybox' });
  for (const b of [...binaries]) {
    for (const lib of await sharedLibrariesMemo(b.host, opts.cacheDir)) if (!binaries.some((x) => x.guest === lib)) binaries.push({ host: lib, guest: lib });
  }
  // bpftrace comes with its own libraries (and glibc) under /opt/bpftrace/lib: see bpftrace-bundle.ts.
  let bpftrace: BpftraceBundle | undefined;
  if (opts.withBpftrace) {
    bpftrace = await ensureBpftraceBundle(opts.cacheDir, { release: bpftraceReleaseFor(kernel.release), ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onEvent ? { onEvent: opts.onEvent } : {}) });
    binaries.push({ host: bpftrace.binary, guest: GUEST_BPFTRACE_BIN }, ...bpftrace.libraries);
  }
  const dep = kernel.modulesDir ? readModulesDep(kernel.modulesDir) : new Map();
  const shipped = loadOrder(dep, [...SHIPPED_MODULES, ...(opts.extraModules ?? [])]);
  const bootOrder = loadOrder(dep, NETWORK_MODULES);
  const boot = bootOrder.map((e) => guestModulePath(e.path));
  const aliasFile = kernel.modulesDir ? join(kernel.modulesDir, 'modules.alias') : '';
  const modulesAlias = aliasFile && existsSync(aliasFile) ? guestModulesAlias(readFileSync(aliasFile, 'utf8'), new Set(shipped.map((e) => e.name))) : '';
  const template = readFileSync(INIT_TEMPLATE, 'utf8');
  // One `modprobe -a` by name, in load order; it finds the files through the shipped modules.dep.
  const initScript = template.replaceAll('@@BOOT_MODULES@@', bootOrder.map((e) => e.name).join(' '));
  return {
    binaries,
    modules: shipped.map((e) => ({ hostPath: join(kernel.modulesDir!, e.path), guestRel: guestModulePath(e.path), name: e.name })),
    bootModules: boot,
    modulesDep: guestModulesDep(shipped),
    modulesAlias,
    initScript,
    ...(bpftrace ? { bpftrace } : {}),
  };
}

function inputKey(kernel: ResolvedKernel, p: Plan): string {
  const h = createHash('sha256');
  h.update(`format ${IMAGE_FORMAT_VERSION}\nrelease ${kernel.release}\n`);
  for (const f of [...p.binaries.map((b) => b.host), ...p.modules.map((m) => m.hostPath)]) {
    const st = statSync(f);
    h.update(`${f} ${st.size} ${st.mtimeMs}\n`);
  }
  h.update(p.modulesDep).update(p.modulesAlias).update(p.initScript);
  return h.digest('hex').slice(0, 24);
}

function bpftraceOf(p: Plan): { bpftrace?: { release: string; version: string } } {
  return p.bpftrace ? { bpftrace: { release: p.bpftrace.release, version: p.bpftrace.version } } : {};
}

export async function buildGuestImage(kernel: ResolvedKernel, opts: GuestImageOptions): Promise<GuestImage> {
  const emit = emitter(opts.onEvent);
  const started = performance.now();
  let t = started;
  const step = (name: string): void => {
    const now = performance.now();
    emit({ kind: 'image-step', step: name, durationMs: Math.round(now - t) });
    t = now;
  };
  const limitBytes = opts.imageCacheBytes ?? imageCacheLimit();
  const p = await plan(kernel, opts);
  step('plan');
  const key = inputKey(kernel, p);
  const dir = ensureCacheDir(opts.cacheDir, 'images');
  const path = join(dir, `${key}.cpio`);
  const bytes = existsSync(path) && markImageUsed(path) ? sizeOf(path) : undefined;
  if (bytes !== undefined) {
    emit({ kind: 'image-built', path, bytes, cached: true, durationMs: Math.round(performance.now() - started) });
    return { path, key, cached: true, bytes, bootModules: p.bootModules, ...bpftraceOf(p) };
  }
  try {
    const cpio = new CpioWriter();
    addBaseFiles(cpio);
    step('base-files');
    cpio.file('bin/busybox', readFileSync(BUSYBOX_HOST), 0o755);
    const realNames = new Set(p.binaries.map((b) => b.guest.split('/').at(-1)));
    for (const applet of await busyboxApplets()) {
      if (applet === 'sh' || realNames.has(applet)) continue;
      const at = `bin/${applet}`;
      if (!cpio.has(at)) cpio.symlink(at, '/bin/busybox');
    }
    // /bin/sh is dash: busybox's shell runs its own applets before PATH (its `ip` has no netns).
    cpio.symlink('bin/sh', '/bin/dash').symlink('sbin/modprobe', '/bin/busybox').symlink('sbin/insmod', '/bin/busybox');
    step('busybox');
    for (const b of p.binaries) if (b.guest !== '/bin/busybox') addHostFile(cpio, b.host, b.guest);
    step('binaries');
    const modRoot = `lib/modules/${kernel.release}`;
    for (const m of p.modules) cpio.file(`${modRoot}/${m.guestRel}`, await decompressModule(m.hostPath, opts.signal), 0o644);
    cpio.file(`${modRoot}/modules.dep`, p.modulesDep).file(`${modRoot}/modules.alias`, p.modulesAlias);
    step('modules');
    cpio.file('init', p.initScript, 0o755);
    step('init');
    // Uncompressed: the guest unpacks ~20 MB of plain cpio faster than it inflates ~8 MB of gzip
    // under TCG (init started ~0.5 s earlier on 6.1), and the host copy per boot is milliseconds.
    const archive = cpio.toBuffer();
    step('archive');
    const tmp = `${path}.tmp-${process.pid}`;
    mkdirSync(dir, { recursive: true });
    try {
      writeFileSync(tmp, archive);
      renameSync(tmp, path);
    } catch (err) {
      // A half-written image must not stay behind, least of all in a cache that is already full.
      rmSync(tmp, { force: true });
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') {
        throw new VmError('CACHE_FULL', `cannot write the guest image (${(archive.length / 1e6).toFixed(1)} MB) into the cache folder ${dir}: ${(err as Error).message}; free space there (or lift the file size limit), or choose another folder with --cache-dir <dir> or IPVS_HARNESS_CACHE=<dir>`, { phase: 'image', cause: err });
      }
      throw err;
    }
    emit({ kind: 'image-built', path, bytes: archive.length, cached: false, durationMs: Math.round(performance.now() - started) });
    const pruned = pruneImages(dir, { limitBytes, keep: basename(path) });
    if (pruned.removed.length) emit({ kind: 'image-cache-pruned', count: pruned.removed.length, bytes: pruned.freedBytes, limitBytes });
    return { path, key, cached: false, bytes: archive.length, bootModules: p.bootModules, ...bpftraceOf(p) };
  } catch (err) {
    if (err instanceof VmError) throw err;
    throw new VmError('IMAGE_BUILD_FAILED', `building the guest image for ${kernel.label} failed: ${(err as Error).message}`, { phase: 'image', cause: err });
  }
}

/** The file's size; undefined when it is gone (removed by another process's prune). */
function sizeOf(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

/** A busybox-only image whose init powers off at once: the "bare boot" baseline of bench:boot. */
export function buildBareImage(cacheDir: string): string {
  const path = join(ensureCacheDir(cacheDir, 'images'), `bare-v${IMAGE_FORMAT_VERSION}.cpio`);
  if (existsSync(path)) return path;
  const cpio = new CpioWriter();
  cpio.dir('proc').dir('sys').dir('dev').charDevice('dev/console', 5, 1);
  cpio.file('bin/busybox', readFileSync(BUSYBOX_HOST), 0o755);
  cpio.file('init', '#!/bin/busybox sh\n/bin/busybox echo "ipvs-harness: bare-init"\n/bin/busybox poweroff -f\n', 0o755);
  writeFileSync(`${path}.tmp-${process.pid}`, cpio.toBuffer());
  renameSync(`${path}.tmp-${process.pid}`, path);
  return path;
}
