// Every CLI command lives in its own file; this table names them in the order `--help` lists them.
// A start loads the file of the command it runs (all of them only for the top-level help), and a
// command file imports only what its options and help need (commander, exit codes, errors, help
// text): what its action needs is imported inside the action. So each start loads little and is
// fast (test/cli-startup.test.ts holds the list of modules a command file may import at start).
import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;

export const COMMANDS: ReadonlyArray<readonly [name: string, load: () => Promise<RegisterCommand>]> = [
  ['run', async () => (await import('./run.ts')).registerRun],
  ['list', async () => (await import('./list.ts')).registerList],
  ['merge', async () => (await import('./merge.ts')).registerMerge],
  ['bisect-run', async () => (await import('./bisect-run.ts')).registerBisectRun],
  ['exec', async () => (await import('./exec.ts')).registerExec],
  ['kernels', async () => (await import('./kernels.ts')).registerKernels],
  ['setup', async () => (await import('./setup.ts')).registerSetup],
  ['analyze', async () => (await import('./analyze.ts')).registerAnalyze],
  ['flows', async () => (await import('./flows.ts')).registerFlows],
  ['check', async () => (await import('./check.ts')).registerCheck],
  ['report', async () => (await import('./report.ts')).registerReport],
  ['diff', async () => (await import('./diff.ts')).registerDiff],
  ['export', async () => (await import('./export.ts')).registerExport],
  ['selftest', async () => (await import('./selftest.ts')).registerSelftest],
  ['module', async () => (await import('./module.ts')).registerModule],
];

/** The commands to register for these arguments: the one named, else all (help, --version, a typo). */
export async function commandsFor(argv: readonly string[]): Promise<RegisterCommand[]> {
  const name = argv.find((a) => !a.startsWith('-'));
  const named = COMMANDS.filter(([n]) => n === name);
  return Promise.all((named.length > 0 ? named : COMMANDS).map(([, load]) => load()));
}
