// `ipvs-harness merge`: shards of one matrix (several machines) into one results folder.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { EXIT, setExitCode } from '../exit-codes.ts';
import { mergeResults } from '../run/merge-results.ts';
import { exitCodeOf } from '../run/run-matrix.ts';
import { writeRunReports } from '../report/write-reports.ts';

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description('merge results folders (shards of one matrix) into one folder with one results.json, report and JUnit')
    .argument('<dirs...>', 'results folders written by `ipvs-harness run --shard i/n`')
    .requiredOption('-o, --out <dir>', 'merged results folder')
    .addHelpText('after', `
Examples:
  $ ipvs-harness merge shard-1 shard-2 shard-3 --out all-results
  $ ipvs-harness merge artifacts/*/ --out merged && echo "all passed"

Exit code: 0 when every merged cell passed, 1 when one failed, 3 when one is an error, 2 on bad input.`)
    .action((dirs: string[], opts: { out: string }, command: Command) => {
      const out = resolve(opts.out);
      const results = mergeResults(dirs.map((d) => resolve(d)), out);
      writeRunReports(results, out);
      process.stdout.write(`merged ${dirs.length} folder(s): ${results.summary.total} cell(s), ${results.summary.passed} passed, ${results.summary.failed} failed, ${results.summary.error} error, ${results.summary.skipped} skipped -> ${out}/results.json\n`);
      setExitCode(command, results.summary.total === 0 ? EXIT.badInput : exitCodeOf(results));
    });
}
