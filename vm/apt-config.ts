// A private apt configuration inside the cache: its own sources.list, lists and archives, so
// `apt-get update` / `apt-get download` work without root and never touch the system's apt state.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { releaseByCodename, type ArchiveSection, type DebianRelease } from './debian-archive.ts';
import { VmError } from './errors.ts';
import type { OnVmEvent } from './events.ts';
import { withFileLock } from './file-lock.ts';

const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const MIRRORS: Record<ArchiveSection, string> = {
  main: 'http://deb.debian.org/debian',
  security: 'http://deb.debian.org/debian-security',
};

export const APT_LISTS_MAX_AGE_MS = 24 * 3600 * 1000;

/** One release's private apt configuration: its own sources.list and lists, a download cache shared by all. */
export interface AptContext {
  root: string;
  release: DebianRelease;
  args: string[];
}

/**
 * The private apt configuration of one Debian release, under <cache>/apt/<codename>/. Each release
 * has its own lists, so a spec that needs only bookworm never fetches sid's 23 MB index (apt-get
 * update removes the lists of suites its sources.list does not name, so they cannot share a folder).
 */
export function aptContext(cacheDir: string, releaseName: string | DebianRelease): AptContext {
  const release = typeof releaseName === 'string' ? releaseByCodename(releaseName) : releaseName;
  if (!release) throw new Error(`aptContext: unknown Debian release ${String(releaseName)}`);
  const root = join(cacheDir, 'apt', release.codename);
  // Before releases had their own lists, one set lived in apt/lists (~40 MB): nothing reads it now.
  if (existsSync(join(cacheDir, 'apt', 'sources.list'))) {
    rmSync(join(cacheDir, 'apt', 'lists'), { recursive: true, force: true });
    rmSync(join(cacheDir, 'apt', 'sources.list'), { force: true });
  }
  const archives = join(cacheDir, 'apt', 'archives');
  const sourcesList = join(root, 'sources.list');
  mkdirSync(join(root, 'lists', 'partial'), { recursive: true });
  mkdirSync(join(archives, 'partial'), { recursive: true });
  const text = release.suites.map(({ section, suite }) => `deb [signed-by=${KEYRING}] ${MIRRORS[section]} ${suite} main`).join('\n') + '\n';
  if (!existsSync(sourcesList) || readFileSync(sourcesList, 'utf8') !== text) writeFileSync(sourcesList, text);
  const args = [
    '-o', `Dir::Etc::sourcelist=${sourcesList}`,
    '-o', 'Dir::Etc::sourceparts=/dev/null',
    '-o', `Dir::State::Lists=${join(root, 'lists')}`,
    '-o', `Dir::Cache=${root}`,
    '-o', `Dir::Cache::archives=${archives}`,
    '-o', 'Dir::State::status=/dev/null',
    '-o', 'APT::Architecture=amd64',
    '-o', 'APT::Architectures::=amd64',
    // Without root apt cannot take the system locks; our lists are private anyway.
    '-o', 'Debug::NoLocking=1',
    // apt drops privileges to _apt for downloads when root; it cannot write into a user's cache.
    '-o', 'APT::Sandbox::User=root',
  ];
  return { root, release, args };
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
  opts.onEvent?.({ kind: 'apt-update', release: ctx.release.codename, reason });
  const result = await execa('apt-get', [...ctx.args, '-q', 'update'], {
    reject: false,
    all: true,
    ...(opts.signal ? { cancelSignal: opts.signal } : {}),
    timeout: 300_000,
  });
  if (result.exitCode !== 0 || /^(W|E): Failed to fetch/m.test(result.all ?? '')) {
    const cached = listsUpdatedAt(ctx) !== undefined ? ' (the lists from the last successful update stay in use where a cached kernel needs them)' : '';
    throw new VmError('KERNEL_DOWNLOAD_FAILED', `the Debian package lists of ${ctx.release.codename} (${ctx.release.suites.map((x) => x.suite).join(', ')}) could not be refreshed: apt-get update in ${ctx.root} failed${cached}; check the network access to deb.debian.org`, {
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

/** The archive's alias of a suite as its InRelease file states it (`Suite: stable`), or undefined. */
export function suiteAliasFromLists(ctx: AptContext, suite: string): string | undefined {
  const lists = join(ctx.root, 'lists');
  const file = readdirSync(lists).find((f) => f.endsWith(`_dists_${suite}_InRelease`) || f.endsWith(`_dists_${suite}_Release`));
  if (!file) return undefined;
  return /^Suite: (\S+)$/m.exec(readFileSync(join(lists, file), 'utf8'))?.[1];
}

/**
 * The stanzas of a suite's Packages index whose package name starts with one of `prefixes` (default:
 * the kernels' packages; the selftests read linux-source-*). apt-helper decompresses whatever format
 * apt stored; awk keeps only those stanzas, so Node never buffers the ~100 MB index.
 */
export const KERNEL_PACKAGE_PREFIXES = ['linux-image-', 'linux-binary-', 'linux-modules-', 'linux-base-'] as const;

export async function readPackagesIndex(ctx: AptContext, suite: string, signal?: AbortSignal, prefixes: readonly string[] = KERNEL_PACKAGE_PREFIXES): Promise<string> {
  const chunks: string[] = [];
  const awk = 'BEGIN{n=split(want, w, " ")} /^Package: /{for(i=1;i<=n;i++) if(index($0, "Package: " w[i]) == 1) p=1} /^$/{if(p)print ""; p=0} p';
  for (const file of indexFiles(ctx, suite)) {
    const r = await execa('sh', ['-c', '/usr/lib/apt/apt-helper cat-file "$1" | awk -v want="$2" "$3"', 'read-index', file, prefixes.join(' '), awk], {
      ...(signal ? { cancelSignal: signal } : {}),
      maxBuffer: 200e6,
    });
    chunks.push(r.stdout);
  }
  return chunks.join('\n\n');
}

/** Downloads one package into the empty folder `destDir` and returns the .deb path. */
export async function aptDownload(ctx: AptContext, pkg: string, destDir: string, signal?: AbortSignal): Promise<string> {
  return (await aptDownloadAll(ctx, [pkg], destDir, signal))[0]!;
}

/**
 * Downloads packages (`name=version`) into the empty folder `destDir` in one apt call and returns the
 * .deb paths in the order asked. A part that cannot be fetched is named in the error.
 */
export async function aptDownloadAll(ctx: AptContext, pkgs: readonly string[], destDir: string, signal?: AbortSignal): Promise<string[]> {
  mkdirSync(destDir, { recursive: true });
  const result = await execa('apt-get', [...ctx.args, '-q', 'download', ...pkgs], {
    cwd: destDir,
    reject: false,
    all: true,
    ...(signal ? { cancelSignal: signal } : {}),
    timeout: 600_000,
  });
  const output = result.all ?? '';
  const debs = readdirSync(destDir).filter((f) => f.endsWith('.deb'));
  // apt names the file after the pool's (name_version-without-epoch_arch.deb); one version per name is asked.
  const debOf = (pkg: string): string | undefined => debs.find((f) => f.startsWith(`${pkg.split('=')[0]}_`));
  const missing = pkgs.filter((p) => !debOf(p));
  if (result.exitCode !== 0 || missing.length > 0) {
    const what = missing.length > 0 ? missing.join(', ') : pkgs.join(', ');
    throw new VmError('KERNEL_DOWNLOAD_FAILED', `apt-get download could not fetch ${what} (exit ${result.exitCode}) from ${ctx.release.codename}; check the network, or refresh the lists (ipvs-harness kernels --update)`, {
      phase: 'download',
      details: output.split('\n').slice(-15).join('\n'),
      data: { missing },
    });
  }
  return pkgs.map((p) => join(destDir, debOf(p)!));
}
