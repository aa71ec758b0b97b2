// Whether dist/ (the compiled CLI) is at least as new as every source file it is built from. Plain
// Node, no dependencies: bin/ipvs-harness.js asks at every start, and the build writes the stamp it
// compares with. The stamp lists the build's inputs and their folders: a start then stats those (a
// few milliseconds) instead of walking the tree; an edited file is newer than the stamp, and a file
// added, removed or renamed makes its folder newer.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = join(ROOT, 'dist');
export const STAMP = join(DIST, '.build-stamp');
export const SOURCE_DIRS = ['harness', 'vm', 'scenarios', 'analysis'];
const CONFIG_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package.json'];

/** Files the build reads: sources (not tests), the guest templates, the seed scenarios (parsed into dist/). */
export function isBuildInput(name) {
  return (name.endsWith('.ts') && !name.endsWith('.test.ts')) || name.endsWith('.tpl') || name.endsWith('.yaml');
}

/** The build's inputs now, relative to the repository: { dirs, files }. */
export function buildInputs() {
  const dirs = [];
  const files = [...CONFIG_FILES];
  const walk = (dir) => {
    dirs.push(dir);
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== 'test-fixtures') walk(p);
      } else if (isBuildInput(e.name)) files.push(p);
    }
  };
  for (const d of SOURCE_DIRS) walk(d);
  return { dirs, files };
}

const mtime = (rel) => {
  try {
    return statSync(join(ROOT, rel)).mtimeMs;
  } catch {
    return Infinity; // gone since the build: stale
  }
};

export function distIsFresh() {
  let stamp;
  let inputs;
  try {
    stamp = statSync(STAMP).mtimeMs;
    inputs = JSON.parse(readFileSync(STAMP, 'utf8'));
  } catch {
    return false;
  }
  if (!Array.isArray(inputs?.dirs) || !Array.isArray(inputs?.files)) return false;
  for (const d of inputs.dirs) if (mtime(d) > stamp) return false;
  for (const f of inputs.files) if (mtime(f) > stamp) return false;
  return true;
}
