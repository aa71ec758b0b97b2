// A private apt configuration inside the cache: its own sources.list, lists and archives, so
// `apt-get update` / `apt-get download` work without root and never touch the system's apt state.
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { VmError } from './errors.ts';
import type { OnVmEvent } from './events.ts';
import { withFileLock } from './file-lock.ts';

const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const MIRROR = 'http://deb.debian.org/debian';
const SECURITY = 'http://deb.debian.org/debian-security';

/** Suites the private configuration knows; kernel series map onto these (kernel-spec.ts). */
const SOURCES = [
  [MIRROR, 'bullseye'],
  [MIRROR, 'bullseye-updates'],
  [SECURITY, 'bullseye-security'],
  [MIRROR, 'bookworm'],
  [MIRROR, 'bookworm-updates'],
  [SECURITY, 'bookworm-security'],
  [MIRROR, 'bookworm-backports'],
] as const;

export const APT_LISTS_MAX_AGE_MS = 24 * 3600 * 1000;

export interface AptContext {
  root: string;
  args: string[];
}

export function aptContext(cacheDir: string): AptContext {
  const root = join(cacheDir, 'apt');
  const sourcesList = join(root, 'sources.list');
  mkdirSync(join(root, 'lists', 'partial'), { recursive: true });
  mkdirSync(join(root, 'archives', 'partial'), { recursive: true });
  const text = SOURCES.map(([uri, suite]) => `deb [signed-by=${KEYRING}] ${uri} ${suite} main`).join('\n') + '\n';
  writeFileSync(sourcesList, text);
  const args = [
    '-o', `Dir::Etc::sourcelist=${sourcesList}`,
    '-o', 'Dir::Etc::sourceparts=/dev/null',
    '-o', `Dir::State::Lists=${join(root, 'lists')}`,
    '-o', `Dir::Cache=${root}`,
    '-o', `Dir::Cache::archives=${join(root, 'archives')}`,
    '-o', 'Dir::State::status=/dev/null',
    '-o', 'APT::Architecture=amd64',
    '-o', 'APT::Architectures::=amd64',
    // Without root apt cannot take the system locks; our lists are private anyway.
    '-o', 'Debug::NoLocking=1',
    // apt drops privileges to _apt for downloads when root; it cannot write into a user's cache.
    '-o', 'APT::Sandbox::User=root',
  ];
  return { root, args };
}

function listsStamp(ctx: AptContext): string {
  return join(ctx.root, 'lists', '.updated');
}

export function listsAgeMs(ctx: AptContext): number | undefined {
  const stamp = listsStamp(ctx);
  if (!existsSync(stamp)) return undefined;
  return Date.now() - statSync(stamp).mtimeMs;
}

/** mtime (ms) of the last successful update, or undefined. */
export function listsUpdatedAt(ctx: AptContext): number | undefined {
  const stamp = listsStamp(ctx);
  return existsSync(stamp) ? Math.round(statSync(stamp).mtimeMs) : undefined;
}

/** Runs `apt-get update` when the lists are missing, older than a day, or `force` is set. */
export async function updateAptListsIfStale(
  ctx: AptContext,
  opts: { force?: boolean; signal?: AbortSignal; onEvent?: OnVmEvent },
): Promise<void> {
  const needed = (): 'forced' | 'missing' | 'stale' | undefined => {
    const age = listsAgeMs(ctx);
    return age === undefined ? 'missing' : age > APT_LISTS_MAX_AGE_MS ? 'stale' : undefined;
  };
  if (!opts.force && !needed()) return;
  const startedAt = Date.now();
  // Parallel guests (run --jobs) may all find the lists stale: one updates, the others wait for it.
  await withFileLock(join(ctx.root, 'lists'), 'download', async () => {
    const updatedMeanwhile = (listsUpdatedAt(ctx) ?? 0) >= startedAt;
    const reason = opts.force ? (updatedMeanwhile ? undefined : 'forced') : needed();
    if (reason) await runAptUpdate(ctx, reason, opts);
  }, opts.signal ? { signal: opts.signal } : {});
}

async function runAptUpdate(ctx: AptContext, reason: 'forced' | 'missing' | 'stale', opts: { signal?: AbortSignal; onEvent?: OnVmEvent }): Promise<void> {
  opts.onEvent?.({ kind: 'apt-update', reason });
  const result = await execa('apt-get', [...ctx.args, '-q', 'update'], {
    reject: false,
    all: true,
    ...(opts.signal ? { cancelSignal: opts.signal } : {}),
    timeout: 300_000,
  });
  if (result.exitCode !== 0 || /^(W|E): Failed to fetch/m.test(result.all ?? '')) {
    throw new VmError('KERNEL_DOWNLOAD_FAILED', `apt-get update of the private kernel lists in ${ctx.root} failed; check the network access to deb.debian.org`, {
      phase: 'download',
      details: (result.all ?? '').split('\n').slice(-15).join('\n'),
    });
  }
  writeFileSync(listsStamp(ctx), new Date().toISOString() + '\n');
}

/**
 * The Packages index files apt stored for `suite` (any compression). Found by name in the lists
 * folder (<host>_<path>_dists_<suite>_main_binary-amd64_Packages[.lz4|.xz|...]): asking
 * `apt-get indextargets` costs ~2 s per call.
 */
function indexFiles(ctx: AptContext, suite: string): string[] {
  const lists = join(ctx.root, 'lists');
  const marker = `_dists_${suite}_main_binary-amd64_Packages`;
  return readdirSync(lists).filter((f) => f.includes(marker) && !f.endsWith('.diff_Index')).map((f) => join(lists, f));
}

/**
 * The stanzas of a suite's Packages index whose package name starts with `prefix` (default: the
 * kernels, linux-image-*; the selftests read linux-source-*). apt-helper decompresses whatever format
 * apt stored; awk keeps only those stanzas, so Node never buffers the ~100 MB index.
 */
export async function readPackagesIndex(ctx: AptContext, suite: string, signal?: AbortSignal, prefix = 'linux-image-'): Promise<string> {
  const chunks: string[] = [];
  for (const file of indexFiles(ctx, suite)) {
    const r = await execa('sh', ['-c', '/usr/lib/apt/apt-helper cat-file "$1" | awk -v want="Package: $2" \'index($0, want) == 1 {p=1} /^$/{if(p)print ""; p=0} p\'', 'read-index', file, prefix], {
      ...(signal ? { cancelSignal: signal } : {}),
      maxBuffer: 200e6,
    });
    chunks.push(r.stdout);
  }
  return chunks.join('\n\n');
}

/** Downloads one package into the empty folder `destDir` and returns the .deb path. */
export async function aptDownload(ctx: AptContext, pkg: string, destDir: string, signal?: AbortSignal): Promise<string> {
  mkdirSync(destDir, { recursive: true });
  const result = await execa('apt-get', [...ctx.args, '-q', 'download', pkg], {
    cwd: destDir,
    reject: false,
    all: true,
    ...(signal ? { cancelSignal: signal } : {}),
    timeout: 600_000,
  });
  if (result.exitCode !== 0) {
    throw new VmError('KERNEL_DOWNLOAD_FAILED', `apt-get download ${pkg} failed (exit ${result.exitCode}); check the network, or run with a fresh list (ipvs-harness kernels --update)`, {
      phase: 'download',
      details: (result.all ?? '').split('\n').slice(-15).join('\n'),
    });
  }
  const debs = readdirSync(destDir).filter((f) => f.endsWith('.deb'));
  if (debs.length !== 1) {
    throw new VmError('KERNEL_DOWNLOAD_FAILED', `apt-get download ${pkg} left ${debs.length} .deb files in ${destDir}`, { phase: 'download' });
  }
  return join(destDir, debs[0]!);
}
