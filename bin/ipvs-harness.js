#!/usr/bin/env node
// Runs the CLI compiled into dist/ (`npm run build`, done by `npm ci` and by `npm start`/`npm test`) when
// it is at least as new as the sources; otherwise the TypeScript sources through tsx, so a fresh
// clone or an edited source still runs (slower to start: tsx compiles at every start).
import { distIsFresh } from '../scripts/dist-freshness.mjs';

// execa (through signal-exit) listens to SIGXFSZ while a child process runs and removes its listener
// afterwards; Node then resets the signal to its default action, terminate, instead of the SIG_IGN it
// starts with. A write past a file size limit (RLIMIT_FSIZE) would then kill the run without results
// instead of failing with EFBIG. A listener of our own keeps the signal caught for the whole run.
process.on('SIGXFSZ', () => {});

let cli;
if (process.env.IPVS_HARNESS_FROM_SOURCE !== '1' && distIsFresh()) {
  cli = await import('../dist/harness/cli.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../harness/cli.ts');
}
cli.installProcessGuards();
process.exitCode = await cli.main(process.argv.slice(2));
