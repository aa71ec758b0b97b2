// The real user build with IPVS built in (CONFIG_IP_VS=y), kept read-only beside the project in
// ../shared/fixtures/kernels/6.1-ipvs-builtin (BUILD.md there says how it was built).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export const BUILTIN_TREE = process.env['IPVS_HARNESS_BUILTIN_TREE'] ?? resolve(import.meta.dirname, '..', '..', 'shared', 'fixtures', 'kernels', '6.1-ipvs-builtin');

if (!existsSync(join(BUILTIN_TREE, 'arch', 'x86', 'boot', 'bzImage'))) {
  throw new Error(`the built-in IPVS kernel is not at ${BUILTIN_TREE}: check out ../shared next to the project, or set IPVS_HARNESS_BUILTIN_TREE`);
}

/** Every path under `dir` with its size and mtime: equal before and after means nothing was written there. */
export function treeSnapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const st = statSync(p);
      out.push(`${relative(dir, p)} ${st.size} ${st.mtimeMs}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  out.push(`. ${statSync(dir).mtimeMs}`);
  return out.sort();
}
