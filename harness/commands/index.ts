// Every CLI command lives in its own file and registers itself here. A command file imports only what
// its options and help need (commander, exit codes, errors, help text); what its action needs is
// imported inside the action, so `--help` and each command load only their own code and start fast
// (test/cli-startup.test.ts holds the list of modules a command file may import at start).
import type { Command } from 'commander';
import { registerList } from './list.ts';
import { registerMerge } from './merge.ts';
import { registerBisectRun } from './bisect-run.ts';
import { registerRun } from './run.ts';
import { registerExec } from './exec.ts';
import { registerKernels } from './kernels.ts';
import { registerSetup } from './setup.ts';
import { registerAnalyze } from './analyze.ts';
import { registerCheck } from './check.ts';
import { registerReport } from './report.ts';
import { registerDiff } from './diff.ts';
import { registerExport } from './export.ts';
import { registerSelftest } from './selftest.ts';
import { registerModule } from './module.ts';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [];
commands.push(registerRun, registerList, registerMerge, registerBisectRun);
commands.push(registerExec, registerKernels, registerSetup);
commands.push(registerAnalyze, registerCheck);
commands.push(registerReport, registerDiff, registerExport);
commands.push(registerSelftest, registerModule);
