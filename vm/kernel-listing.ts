// What `ipvs-harness kernels` shows: the known specs (with the package each resolves to, when the
// apt lists are cached) and the kernels already in the cache.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { aptContext, listsAgeMs } from './apt-config.ts';
import { ensureCacheDir } from './cache-dir.ts';
import { DEBIAN_RELEASES } from './debian-archive.ts';
import { cachedDebianKernels } from './debian-kernels.ts';
import { availableSeries, lookupDebianKernel } from './debian-lookup.ts';
import { readMemo } from './debian-memo.ts';
import type { OnVmEvent } from './events.ts';
import { DEFAULT_KERNEL_SPECS, parseKernelSpec, type DebianKernelSpec } from './kernel-spec.ts';

export interface KernelListing {
  cacheDir: string;
  /** Age of each release's private lists, for those fetched so far. */
  listsAgeMs: Record<string, number>;
  known: { spec: string; packageName?: string; version?: string; suite?: string; split?: boolean }[];
  cached: { packageName: string; version: string; release: string; dir: string; bytes: number }[];
  /** `--available`: what Debian serves now, one entry per series with its newest cloud-amd64 package. */
  available?: { series: string; packageName: string; version: string; suite: string; split: boolean; missing?: string[] }[];
}

function folderBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += folderBytes(p);
    else if (e.isFile()) total += statSync(p).size;
  }
  return total;
}

/** The default specs and the aliases, resolved (`update`/`available`: reading lists as needed; else only from the memo). */
const LISTED_SPECS = [...new Set([...DEFAULT_KERNEL_SPECS, 'debian:6.1', 'debian:6.12', 'debian:oldoldstable', 'debian:testing', 'debian:unstable'])];

export async function listKernels(opts: { cacheDir: string; update?: boolean; available?: boolean; signal?: AbortSignal; onEvent?: OnVmEvent }): Promise<KernelListing> {
  ensureCacheDir(opts.cacheDir);
  const lookupOpts = { cacheDir: opts.cacheDir, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onEvent ? { onEvent: opts.onEvent } : {}) };
  const listing: KernelListing = { cacheDir: opts.cacheDir, listsAgeMs: {}, known: [], cached: [] };
  if (opts.available || opts.update) {
    const refs = await availableSeries({ ...lookupOpts, ...(opts.update ? { force: true } : {}) });
    listing.available = refs.map((a) => ({ series: a.series, packageName: a.image.packageName, version: a.image.version, suite: a.image.suite, split: a.split, ...(a.missing ? { missing: a.missing } : {}) }));
  }
  for (const text of LISTED_SPECS) {
    const parsed = parseKernelSpec(text);
    const entry: KernelListing['known'][number] = { spec: text };
    if (parsed.ok) {
      const spec = parsed.spec as DebianKernelSpec;
      const found = listing.available ? await lookupDebianKernel(spec, lookupOpts).catch(() => undefined) : await readMemo(text, lookupOpts).catch(() => undefined);
      if (found) Object.assign(entry, { packageName: found.image.packageName, version: found.image.version, suite: found.image.suite, split: found.packages.length > 1 });
    }
    listing.known.push(entry);
  }
  for (const r of DEBIAN_RELEASES) {
    if (!existsSync(join(opts.cacheDir, 'apt', r.codename))) continue;
    const age = listsAgeMs(aptContext(opts.cacheDir, r));
    if (age !== undefined) listing.listsAgeMs[r.codename] = age;
  }
  listing.cached = cachedDebianKernels(opts.cacheDir)
    .filter((k) => existsSync(k.dir))
    .map((k) => ({ packageName: k.packageName, version: k.version, release: k.release, dir: k.dir, bytes: folderBytes(k.dir) }));
  return listing;
}
