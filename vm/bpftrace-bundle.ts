// The guest's bpftrace: a Debian build newer than the host's (bookworm's 0.17 predates 6.12), fetched
// through the private apt configuration with every library it loads, its own glibc included, and made
// self-contained: the binary's interpreter and RPATH point into /opt/bpftrace/lib in the guest, so the
// host's libraries in the image stay as they are and /proc/self/exe is still bpftrace (its BEGIN and
// END probes are uprobes on its own binary). Cached under <cache>/bpftrace/<suite>-<version>/.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { aptContext, updateAptListsIfStale } from './apt-config.ts';
import { ensureCacheDir } from './cache-dir.ts';
import { VmError } from './errors.ts';
import type { OnVmEvent } from './events.ts';
import { withFileLock } from './file-lock.ts';

/** Where the bundle lives in the guest. */
export const GUEST_BPFTRACE_LIB = '/opt/bpftrace/lib';
export const GUEST_BPFTRACE_BIN = '/usr/bin/bpftrace';
const INTERPRETER = 'ld-linux-x86-64.so.2';

/** Bump when the bundle's layout changes. */
const BUNDLE_FORMAT = 1;

/**
 * Which Debian release's bpftrace a kernel gets. Measured (docs/tracers.md): trixie's 0.23.2 attaches
 * kprobes and kretprobes on ip_vs and reads the syscall tracepoints on 5.10, 6.1, 6.12 and 7.3.
 * bookworm's 0.17 counted nothing on 6.12 next to function_graph.
 */
export function bpftraceReleaseFor(_kernelRelease: string): string {
  return 'trixie';
}

export interface BpftraceBundle {
  /** Debian release the packages came from (`trixie`). */
  release: string;
  /** bpftrace's version as the package names it (`0.23.2-1`). */
  version: string;
  /** The patched binary (host path) and where it goes in the guest. */
  binary: string;
  /** Host path -> guest path of every library it loads. */
  libraries: { host: string; guest: string }[];
  bytes: number;
}

interface BundleMeta {
  format: number;
  release: string;
  version: string;
  packages: string[];
  libraries: string[];
  bytes: number;
}

function readMeta(dir: string): BundleMeta | null {
  try {
    const meta = JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8')) as BundleMeta;
    if (meta.format !== BUNDLE_FORMAT || !existsSync(join(dir, 'bin', 'bpftrace'))) return null;
    if (!meta.libraries.every((l) => existsSync(join(dir, 'lib', l)))) return null;
    return meta;
  } catch {
    return null;
  }
}

function toBundle(dir: string, meta: BundleMeta): BpftraceBundle {
  return {
    release: meta.release,
    version: meta.version,
    binary: join(dir, 'bin', 'bpftrace'),
    libraries: meta.libraries.map((l) => ({ host: join(dir, 'lib', l), guest: `${GUEST_BPFTRACE_LIB}/${l}` })),
    bytes: meta.bytes,
  };
}

/** The cached bundle of `release` without touching the network, or null. */
export function cachedBpftraceBundle(cacheDir: string, release: string): BpftraceBundle | null {
  const root = join(cacheDir, 'bpftrace');
  if (!existsSync(root)) return null;
  for (const name of readdirSync(root).filter((n) => n.startsWith(`${release}-`)).sort().reverse()) {
    const meta = readMeta(join(root, name));
    if (meta) return toBundle(join(root, name), meta);
  }
  return null;
}

async function candidateVersion(args: string[], signal?: AbortSignal): Promise<string> {
  const r = await execa('apt-cache', [...args, 'policy', 'bpftrace'], { reject: false, ...(signal ? { cancelSignal: signal } : {}) });
  const v = /Candidate: (\S+)/.exec(r.stdout)?.[1];
  if (r.exitCode !== 0 || v === undefined || v === '(none)') {
    throw new VmError('KERNEL_DOWNLOAD_FAILED', 'no bpftrace package found in the Debian package lists; refresh them (ipvs-harness kernels --update) and check the network access to deb.debian.org', { phase: 'download', details: r.stdout + r.stderr });
  }
  return v;
}

/**
 * The bundle of `release`'s bpftrace: from the cache, else downloaded (apt resolves the whole
 * dependency closure against an empty dpkg status), unpacked, reduced to what its loader lists, and
 * patched (needs the host's patchelf: `ipvs-harness setup --with-bpftrace`).
 */
export async function ensureBpftraceBundle(cacheDir: string, opts: { release?: string; signal?: AbortSignal; onEvent?: OnVmEvent } = {}): Promise<BpftraceBundle> {
  const release = opts.release ?? 'trixie';
  const cached = cachedBpftraceBundle(cacheDir, release);
  if (cached) return cached;
  const root = ensureCacheDir(cacheDir, 'bpftrace');
  return withFileLock(join(root, release), 'download', async () => {
    const again = cachedBpftraceBundle(cacheDir, release);
    if (again) return again;
    if (!existsSync('/usr/bin/patchelf')) {
      throw new VmError('HOST_TOOL_MISSING', '/usr/bin/patchelf is missing on this host; run `ipvs-harness setup --with-bpftrace` (it installs patchelf)', { phase: 'image' });
    }
    // A build killed half-way (SIGKILL, power loss) left its ~200 MB folder: nobody else builds while we hold the lock.
    for (const stale of readdirSync(root).filter((n) => n.startsWith('.build-'))) rmSync(join(root, stale), { recursive: true, force: true });
    const ctx = aptContext(cacheDir, release);
    await updateAptListsIfStale(ctx, { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onEvent ? { onEvent: opts.onEvent } : {}) });
    const version = await candidateVersion(ctx.args, opts.signal);
    opts.onEvent?.({ kind: 'kernel-download', packageName: 'bpftrace', version });
    const work = mkdtempSync(join(root, '.build-'));
    try {
      const archives = join(work, 'debs');
      mkdirSync(join(archives, 'partial'), { recursive: true });
      const dl = await execa('apt-get', [...ctx.args, '-o', `Dir::Cache::archives=${archives}`, '-q', '-y', '--download-only', '--no-install-recommends', 'install', `bpftrace=${version}`], {
        reject: false, all: true, timeout: 600_000, ...(opts.signal ? { cancelSignal: opts.signal } : {}),
      });
      const debs = readdirSync(archives).filter((f) => f.endsWith('.deb'));
      if (dl.exitCode !== 0 || !debs.some((d) => d.startsWith('bpftrace_'))) {
        throw new VmError('KERNEL_DOWNLOAD_FAILED', `apt-get could not download bpftrace ${version} and its libraries from ${release} (exit ${dl.exitCode}); check the network access to deb.debian.org`, {
          phase: 'download', details: (dl.all ?? '').split('\n').slice(-15).join('\n'),
        });
      }
      const unpacked = join(work, 'root');
      mkdirSync(unpacked);
      const step = async (what: string, cmd: string, args: string[]): Promise<void> => {
        const r = await execa(cmd, args, { reject: false, all: true, ...(opts.signal ? { cancelSignal: opts.signal } : {}) });
        if (r.exitCode !== 0) throw new VmError('IMAGE_BUILD_FAILED', `preparing bpftrace ${version} for the guest failed: ${what} (exit ${r.exitCode})`, { phase: 'image', details: (r.all ?? '').split('\n').slice(-10).join('\n') });
      };
      for (const deb of debs) await step(`dpkg-deb -x ${deb}`, 'dpkg-deb', ['-x', join(archives, deb), unpacked]);
      const libDirs = ['usr/lib/x86_64-linux-gnu', 'lib/x86_64-linux-gnu'].map((d) => join(unpacked, d)).filter((d) => existsSync(d));
      const loader = libDirs.map((d) => join(d, INTERPRETER)).find((p) => existsSync(p));
      const binary = join(unpacked, 'usr', 'bin', 'bpftrace');
      if (!loader || !existsSync(binary)) throw new VmError('KERNEL_DOWNLOAD_FAILED', `the bpftrace ${version} packages from ${release} lack ${INTERPRETER} or usr/bin/bpftrace`, { phase: 'download' });
      // The libraries its own loader resolves, nothing more (LLVM's is most of the ~200 MB).
      const listed = await execa(loader, ['--library-path', libDirs.join(':'), '--list', binary], { reject: false });
      const libs = new Map<string, string>([[INTERPRETER, loader]]);
      for (const line of listed.stdout.split('\n')) {
        const m = /=>\s*(\/\S+)/.exec(line);
        if (m && m[1]!.startsWith(unpacked)) libs.set(basename(line.trim().split(/\s/)[0]!), m[1]!);
      }
      if (listed.exitCode !== 0 || libs.size < 3) throw new VmError('KERNEL_DOWNLOAD_FAILED', `the loader of bpftrace ${version} could not list its libraries`, { phase: 'download', details: listed.stdout + listed.stderr });
      const out = join(work, 'bundle');
      mkdirSync(join(out, 'lib'), { recursive: true });
      mkdirSync(join(out, 'bin'));
      let bytes = 0;
      for (const [name, host] of libs) {
        copyFileSync(host, join(out, 'lib', name));
        bytes += statSync(join(out, 'lib', name)).size;
      }
      copyFileSync(binary, join(out, 'bin', 'bpftrace'));
      await step('patchelf', 'patchelf', ['--set-interpreter', `${GUEST_BPFTRACE_LIB}/${INTERPRETER}`, '--force-rpath', '--set-rpath', GUEST_BPFTRACE_LIB, join(out, 'bin', 'bpftrace')]);
      bytes += statSync(join(out, 'bin', 'bpftrace')).size;
      const meta: BundleMeta = { format: BUNDLE_FORMAT, release, version, packages: debs.sort(), libraries: [...libs.keys()].sort(), bytes };
      writeFileSync(join(out, 'bundle.json'), JSON.stringify(meta, null, 1) + '\n');
      const dest = join(root, `${release}-${version}`);
      rmSync(dest, { recursive: true, force: true });
      renameSync(out, dest);
      return toBundle(dest, meta);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, opts.signal ? { signal: opts.signal } : {});
}
