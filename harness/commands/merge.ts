// `ipvs-harness merge`: shards of one matrix (several machines) into one results folder, written
// beside the target and put in place only when complete.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { EXIT, exitCodeOfResults, setExitCode } from '../exit-codes.ts';

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description('merge results folders (shards of one matrix) into one folder with one results.json, report and JUnit')
    .argument('<dirs...>', 'results folders written by `ipvs-harness run --shard i/n`')
    .requiredOption('-o, --out <dir>', 'merged results folder (new, empty, or a previous merge, which is replaced)')
    .addHelpText('after', `
Examples:
  $ ipvs-harness merge shard-1 shard-2 shard-3 --out all-results
  $ ipvs-harness merge artifacts/*/ --out merged && echo "all passed"

The merged folder is written beside --out and renamed into place at the end: a merge that fails
leaves nothing half-written. Exit code: 0 when every merged cell passed, 1 when one failed, 3 when
one is an error, 2 on bad input (not a results folder, a cell in two folders, an --out that is a
file, holds other files, overlaps an input or lies under /proc, /sys or /dev).`)
    .action(async (dirs: string[], opts: { out: string }, command: Command) => {
      const { stageOutputFolder } = await import('../outputs/output-folder.ts');
      const { mergeResults } = await import('../run/merge-results.ts');
      const { readResults } = await import('../run/results-folder.ts');
      const { writeRunReports } = await import('../report/write-reports.ts');
      const inputs = dirs.map((d) => resolve(d));
      for (const d of inputs) readResults(d); // every input is a results folder before anything is written
      const staged = stageOutputFolder({ path: opts.out, what: 'merged results folder', inputs: dirs, replaceable: 'results.json' });
      try {
        const results = mergeResults(inputs, staged.dir);
        writeRunReports(results, staged.dir);
        staged.commit();
        const out = staged.target;
        process.stdout.write(`merged ${dirs.length} folder(s): ${results.summary.total} cell(s), ${results.summary.passed} passed, ${results.summary.failed} failed, ${results.summary.error} error, ${results.summary.skipped} skipped\n`);
        for (const f of ['results.json', 'report.html', 'junit.xml']) if (existsSync(join(out, f))) process.stdout.write(`wrote ${join(out, f)}\n`);
        setExitCode(command, results.summary.total === 0 ? EXIT.badInput : exitCodeOfResults(results));
      } finally {
        staged.discard();
      }
    });
}
