// `ipvs-harness diff`: the call-graph diff between kernels, within one run or across two runs.
// Exit 1 when behaviour-relevant structure differs, 0 otherwise, 2 on bad input.
import type { Command } from 'commander';
import { EXIT, setExitCode } from '../exit-codes.ts';

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description('compare the observed call graphs of kernels: renames and inlining are cosmetic, calls on the IPVS path added or removed are not')
    .argument('<results-A>', 'results folder')
    .argument('[results-B]', 'second results folder (compare across runs)')
    .option('-k, --kernels <A,B>', 'the two kernels to compare (within one run: both from it; across runs: A from the first, B from the second)')
    .option('--json', 'print the diff as JSON')
    .option('--html <file>', 'also write the diff as a self-contained HTML page')
    .option('-v, --verbose', 'list cosmetic changes per role too')
    .addHelpText('after', `
Examples:
  $ ipvs-harness diff ./ipvs-results --kernels debian:5.10,debian:6.1     # within one run
  $ ipvs-harness diff ./ipvs-results                                      # every kernel against the first
  $ ipvs-harness diff ./baseline ./candidate                              # same kernels, two runs
  $ ipvs-harness diff ./run-a ./run-b --kernels debian:6.1,path:./bzImage

Hook calls are aligned by IPVS role, step and caller chain. Cosmetic: a hook function renamed
(5.10 ip_vs_local_request4 = 6.x ip_vs_in_hook), a helper inlined on one kernel (ip_vs_in.part.0,
ip_vs_out_icmp), a compiler clone (.part/.constprop/.isra). Behaviour-relevant: a call on the IPVS
path added or removed (e.g. ip_vs_schedule gone), a role's hook call appearing or disappearing, a
role running at another netfilter hook. Informational: how many hook calls ran.
Exit code: 1 behaviour-relevant structure differs, 0 otherwise, 2 bad input.`)
    .action(async (dirA: string, dirB: string | undefined, opts: { kernels?: string; json?: boolean; html?: string; verbose?: boolean }, command: Command) => {
      const { checkOutputFile, writeOutputFile } = await import('../outputs/output-file.ts');
      const { diffRuns } = await import('../report/run-diffs.ts');
      const { renderCallGraphDiffText } = await import('../../analysis/report/callgraph-diff-text.ts');
      const { hasBehaviourChange } = await import('../../analysis/report/callgraph-diff.ts');
      const html = opts.html !== undefined ? { path: opts.html, what: 'HTML diff', suggest: 'diff.html' } : null;
      if (html) checkOutputFile(html);
      const diffs = diffRuns(dirA, dirB, opts.kernels);
      if (opts.json) process.stdout.write(`${JSON.stringify(diffs.length === 1 ? diffs[0] : diffs, null, 2)}\n`);
      else process.stdout.write(diffs.map((d) => renderCallGraphDiffText(d, { verbose: opts.verbose ?? false })).join('\n'));
      if (html) {
        const { diffPage } = await import('../../analysis/report/html-diff-page.ts');
        writeOutputFile(html, diffPage(diffs));
        process.stderr.write(`wrote ${html.path}\n`);
      }
      setExitCode(command, diffs.some(hasBehaviourChange) ? EXIT.failed : EXIT.ok);
    });
}
