// The folder that holds package.json, found from a module's own folder: the same answer whether the
// module runs from its TypeScript source (harness/) or compiled (dist/harness/).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'ipvs-harness') return dir;
    if (dirname(dir) === dir) throw new Error(`package.json of ipvs-harness not found above ${from}`);
  }
}
