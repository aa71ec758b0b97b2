#!/usr/bin/env node
// Compiles the CLI into dist/ with the TypeScript compiler, so `ipvs-harness` starts without compiling
// TypeScript at every start. Plain Node. `--if-stale` builds only when a source is newer than dist/.
// dist/ is replaced in one rename, so a CLI starting meanwhile sees the old build or the new one; the
// stamp carries the time the build started, so a source edited during the build counts as newer.
// The seed scenarios count as sources: they are parsed into dist/ (harness/seed-cache.ts).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildInputs, DIST, distIsFresh, ROOT } from './dist-freshness.mjs';

if (process.argv.includes('--if-stale') && distIsFresh()) process.exit(0);

const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
if (!existsSync(tsc)) {
  // Installed without devDependencies: the CLI runs from its sources through tsx instead.
  console.log('[ipvs-harness] typescript is not installed: not building dist/ (the CLI runs from its sources, slower to start)');
  process.exit(0);
}

const started = new Date();
const inputs = buildInputs(); // listed before compiling: a file added meanwhile makes its folder newer
const tmp = `${DIST}.tmp-${process.pid}`;
const old = `${DIST}.old-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
try {
  execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', tmp], { cwd: ROOT, stdio: 'inherit' });
  // Files the code reads next to itself at run time.
  for (const dir of ['vm/guest']) {
    for (const f of readdirSync(join(ROOT, dir))) cpSync(join(ROOT, dir, f), join(tmp, dir, f));
  }
  // The seed suite parsed by the compiled parser, so `list` does not parse eleven YAML files at start.
  const loader = await import(pathToFileURL(join(tmp, 'harness', 'scenario-loader.js')).href);
  loader.buildSeedCache();
  const stamp = join(tmp, '.build-stamp');
  writeFileSync(stamp, `${JSON.stringify({ builtAt: started.toISOString(), ...inputs })}\n`);
  utimesSync(stamp, started, started);
  if (existsSync(DIST)) renameSync(DIST, old);
  renameSync(tmp, DIST);
} finally {
  rmSync(tmp, { recursive: true, force: true });
  rmSync(old, { recursive: true, force: true });
}
