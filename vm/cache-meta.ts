// The JSON file that marks a finished cache entry (a kernel, headers, a module build, extracted
// sources): read back only when it has the format this code writes, else the entry is made anew.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function readCacheMeta<T extends { format: number }>(dir: string, file: string, format: number): T | undefined {
  try {
    const meta = JSON.parse(readFileSync(join(dir, file), 'utf8')) as T;
    return meta.format === format ? meta : undefined;
  } catch {
    return undefined;
  }
}
