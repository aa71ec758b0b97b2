// What each debian: spec resolved to, remembered for as long as the lists it was read from stay the
// same: reading the Packages indexes takes seconds, a memo hit milliseconds. Offline, the last
// resolution still names the cached kernel to use.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { aptContext, listsUpdatedAt, updateAptListsIfStale } from './apt-config.ts';
import { ensureCacheDir } from './cache-dir.ts';
import { releaseByCodename } from './debian-archive.ts';
import type { DebianLookup, LookupOptions } from './debian-lookup.ts';
import type { DebianPackageRef } from './debian-packages.ts';

const MEMO_FORMAT = 2;

interface MemoEntry {
  format: number;
  lookup: DebianLookup;
  /** Lists stamp (ms) of each consulted release when the spec was resolved. */
  stamps: Record<string, number>;
}

function memoPath(cacheDir: string): string {
  return join(cacheDir, 'kernels', 'debian-resolutions.json');
}

function loadMemo(cacheDir: string): Record<string, MemoEntry> {
  try {
    const all = JSON.parse(readFileSync(memoPath(cacheDir), 'utf8')) as Record<string, MemoEntry>;
    return Object.fromEntries(Object.entries(all).filter(([, e]) => e?.format === MEMO_FORMAT));
  } catch {
    return {};
  }
}

/** The memo's answer when every release it read is fresh (refreshing stale lists first) and unchanged. */
export async function readMemo(specText: string, opts: LookupOptions): Promise<DebianLookup | undefined> {
  if (opts.force) return undefined;
  const hit = loadMemo(opts.cacheDir)[specText];
  if (!hit) return undefined;
  for (const codename of hit.lookup.consulted) {
    const release = releaseByCodename(codename);
    if (!release) return undefined;
    const ctx = aptContext(opts.cacheDir, release);
    await updateAptListsIfStale(ctx, { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onEvent ? { onEvent: opts.onEvent } : {}) });
    if (listsUpdatedAt(ctx) !== hit.stamps[codename]) return undefined;
  }
  return hit.lookup;
}

/** The last resolution of a spec whatever the lists' age (for offline use). */
export function readMemoAnyAge(cacheDir: string, specText: string): DebianPackageRef | undefined {
  return loadMemo(cacheDir)[specText]?.lookup.image;
}

export function writeMemo(cacheDir: string, specText: string, lookup: DebianLookup): void {
  const stamps: Record<string, number> = {};
  for (const codename of lookup.consulted) {
    const stamp = listsUpdatedAt(aptContext(cacheDir, codename));
    if (stamp === undefined) return;
    stamps[codename] = stamp;
  }
  const memo = loadMemo(cacheDir);
  memo[specText] = { format: MEMO_FORMAT, lookup, stamps };
  ensureCacheDir(cacheDir, 'kernels');
  const tmp = `${memoPath(cacheDir)}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(memo, null, 2) + '\n');
  renameSync(tmp, memoPath(cacheDir));
}
