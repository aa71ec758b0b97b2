// Where kernels, apt lists and guest images are cached: outside the repo, shared by all runs.
import { accessSync, constants, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { VmError } from './errors.ts';

/** `--cache-dir`, else $IPVS_HARNESS_CACHE, else $XDG_CACHE_HOME/ipvs-harness, else ~/.cache/ipvs-harness. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.IPVS_HARNESS_CACHE) return env.IPVS_HARNESS_CACHE;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'ipvs-harness');
  return join(homedir(), '.cache', 'ipvs-harness');
}

/** Creates `dir` (and `sub`) if needed and checks that it is writable; a clear error otherwise. */
export function ensureCacheDir(dir: string, ...sub: string[]): string {
  const path = join(dir, ...sub);
  try {
    mkdirSync(path, { recursive: true });
    accessSync(path, constants.W_OK | constants.X_OK);
    return path;
  } catch (err) {
    throw new VmError(
      'CACHE_UNWRITABLE',
      `cache folder ${path} is not writable (${(err as Error).message}); ` +
        'fix its permissions, or choose another folder with --cache-dir <dir> or IPVS_HARNESS_CACHE=<dir>',
      { phase: 'cache', cause: err },
    );
  }
}
