// What `ipvs-harness kernels` shows: the known specs (with the package each resolves to, when the
// apt lists are cached) and the kernels already in the cache.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { aptContext, listsAgeMs, updateAptListsIfStale } from './apt-config.ts';
import { cachedDebianKernels, lookupDebianPackageMemo } from './debian-kernels.ts';
import { ensureCacheDir } from './cache-dir.ts';
import type { OnVmEvent } from './events.ts';
import { DEFAULT_KERNEL_SPECS, parseKernelSpec } from './kernel-spec.ts';

export interface KernelListing {
  cacheDir: string;
  listsAgeMs?: number;
  known: { spec: string; packageName?: string; version?: string; suite?: string }[];
  cached: { packageName: string; version: string; release: string; dir: string; bytes: number }[];
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

export async function listKernels(opts: { cacheDir: string; update?: boolean; signal?: AbortSignal; onEvent?: OnVmEvent }): Promise<KernelListing> {
  const ctx = aptContext(ensureCacheDir(opts.cacheDir));
  if (opts.update) await updateAptListsIfStale(ctx, { force: true, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onEvent ? { onEvent: opts.onEvent } : {}) });
  const age = listsAgeMs(ctx);
  const known: KernelListing['known'] = [];
  for (const text of DEFAULT_KERNEL_SPECS) {
    const parsed = parseKernelSpec(text);
    const entry: KernelListing['known'][number] = { spec: text };
    if (age !== undefined && parsed.ok) {
      const ref = await lookupDebianPackageMemo(opts.cacheDir, ctx, parsed.spec, opts.signal).catch(() => undefined);
      if (ref) Object.assign(entry, { packageName: ref.packageName, version: ref.version, suite: ref.suite });
    }
    known.push(entry);
  }
  const cached = cachedDebianKernels(opts.cacheDir)
    .filter((k) => existsSync(k.dir))
    .map((k) => ({ packageName: k.packageName, version: k.version, release: k.release, dir: k.dir, bytes: folderBytes(k.dir) }));
  return { cacheDir: opts.cacheDir, ...(age !== undefined ? { listsAgeMs: age } : {}), known, cached };
}
