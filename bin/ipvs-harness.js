#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so a fresh clone needs no build step.
import { register } from 'tsx/esm/api';

register();
// execa (through signal-exit) listens to SIGXFSZ while a child process runs and removes its listener
// afterwards; Node then resets the signal to its default action, terminate, instead of the SIG_IGN it
// starts with. A write past a file size limit (RLIMIT_FSIZE) would then kill the run without results
// instead of failing with EFBIG. A listener of our own keeps the signal caught for the whole run.
process.on('SIGXFSZ', () => {});
const { main } = await import('../harness/cli.ts');
process.exitCode = await main(process.argv.slice(2));
