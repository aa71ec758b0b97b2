#!/usr/bin/env node
// Installs the npm dependencies (npm ci) when node_modules is missing or older than the lock file,
// then compiles the CLI into dist/ when a source is newer than it (npm ci's prepare builds it too).
// Plain Node, no dependencies: it runs before anything is installed. Idempotent.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const lock = 'package-lock.json';
const marker = 'node_modules/.package-lock.json';
if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs) {
  console.log('[ipvs-harness] installing npm dependencies (npm ci)');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' });
}
execFileSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { stdio: 'inherit' });
