// The JSON file that marks a finished cache entry (a kernel, headers, a module build, extracted
// sources): read back only when it has the format this code writes, else the entry is made anew.
// An entry is assembled in a staging folder and moved into place with its meta file last written, so a
// half-made entry never has one.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function readCacheMeta<T extends { format: number }>(dir: string, file: string, format: number): T | undefined {
  try {
    const meta = JSON.parse(readFileSync(join(dir, file), 'utf8')) as T;
    return meta.format === format ? meta : undefined;
  } catch {
    return undefined;
  }
}

/** Writes `meta` as `file` into the staged folder, then replaces `dir` with it. */
export function commitCacheEntry(staged: string, dir: string, file: string, meta: object): void {
  writeFileSync(join(staged, file), `${JSON.stringify(meta, null, 2)}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(staged, dir);
}
