#!/usr/bin/env node
// Runs before `npm test` (npm's pretest): installs the npm dependencies when they are missing or stale,
// then prepares the host (Debian packages, default kernels) through `ipvs-harness setup --for-tests`.
// Idempotent: a second run only checks.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const lock = 'package-lock.json';
const marker = 'node_modules/.package-lock.json';
if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs) {
  console.log('[prepare-tests] installing npm dependencies (npm ci)');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' });
}
if (existsSync('harness/commands/setup.ts')) {
  execFileSync(process.execPath, ['bin/ipvs-harness.js', 'setup', '--for-tests'], { stdio: 'inherit' });
}
