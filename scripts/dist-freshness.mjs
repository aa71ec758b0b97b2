// Whether dist/ (the compiled CLI) is at least as new as every source file it is built from. Plain
// Node, no dependencies: bin/ipvs-harness.js asks at every start (a few milliseconds), and the build
// script writes the stamp it compares with.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = join(ROOT, 'dist');
export const STAMP = join(DIST, '.build-stamp');
export const SOURCE_DIRS = ['harness', 'vm', 'scenarios', 'analysis'];
// (analysis/graphs/*.yaml are counted too: harmless, they change rarely.)
const CONFIG_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package.json'];

/** Files the build reads: sources (not tests), the guest templates, the compiler settings. */
export function isBuildInput(name) {
  return (name.endsWith('.ts') && !name.endsWith('.test.ts')) || name.endsWith('.tpl') || name.endsWith('.yaml');
}

function newestIn(dir, limit) {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'test-fixtures') newest = Math.max(newest, newestIn(p, limit));
    } else if (isBuildInput(e.name)) {
      newest = Math.max(newest, statSync(p).mtimeMs);
    }
    if (newest > limit) return newest; // stale already: no need to look further
  }
  return newest;
}

/** The newest modification time among the build's inputs (stops early past `limit`). */
export function newestSource(limit = Infinity) {
  let newest = 0;
  for (const f of CONFIG_FILES) {
    try {
      newest = Math.max(newest, statSync(join(ROOT, f)).mtimeMs);
    } catch {
      // a missing config file is not newer than anything
    }
  }
  for (const d of SOURCE_DIRS) {
    if (newest > limit) break;
    newest = Math.max(newest, newestIn(join(ROOT, d), limit));
  }
  return newest;
}

export function distIsFresh() {
  let stamp;
  try {
    stamp = statSync(STAMP).mtimeMs;
  } catch {
    return false;
  }
  return newestSource(stamp) <= stamp;
}
