#!/usr/bin/env node
// Runs before `npm test` (npm's pretest): installs the npm dependencies when they are missing or stale,
// then prepares the host (Debian packages, default kernels, chromium) with `ipvs-harness setup --for-tests`.
// Idempotent: a second run only checks.
import { execFileSync } from 'node:child_process';

execFileSync(process.execPath, ['scripts/ensure-npm-deps.mjs'], { stdio: 'inherit' });
execFileSync(process.execPath, ['bin/ipvs-harness.js', 'setup', '--for-tests'], { stdio: 'inherit' });
