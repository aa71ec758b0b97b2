// `ipvs-harness diff`: the call-graph diff between kernels, within one run or across two runs.
// Exit 1 when behaviour-relevant structure differs, 0 otherwise, 2 on bad input.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { renderCallGraphDiffText } from '../../analysis/report/callgraph-diff-text.ts';
import { hasBehaviourChange, type CallGraphDiff } from '../../analysis/report/callgraph-diff.ts';
import { diffRunSides } from '../../analysis/report/diff-runs.ts';
import { diffHtml } from '../../analysis/report/html-diff.ts';
import { REPORT_CSS } from '../../analysis/report/html-assets.ts';
import { escapeHtml } from '../../analysis/report/xml-escape.ts';
import { EXIT, setExitCode } from '../exit-codes.ts';
import { loadReport } from '../report/load-run.ts';
import { chooseAcrossRuns, chooseWithinRun, diffInputError, parseKernelPair, type LoadedRun } from '../report/choose-diff.ts';
import { writeAtomic } from '../run/results-folder.ts';
import { ignoreClosedStdout } from './analyze.ts';

function load(dir: string): LoadedRun {
  return { dir, built: loadReport(resolve(dir)) };
}

export function diffPage(diffs: readonly CallGraphDiff[]): string {
  const title = `IPVS call-graph diff: ${diffs.map((d) => `${d.a.label} → ${d.b.label}`).join(', ')}`;
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"><title>${escapeHtml(title)}</title><style>${REPORT_CSS}</style></head><body><h1>${escapeHtml(title)}</h1>\n${diffs.map((d, i) => diffHtml(d, i)).join('\n')}\n</body></html>\n`;
}

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
    .action((dirA: string, dirB: string | undefined, opts: { kernels?: string; json?: boolean; html?: string; verbose?: boolean }, command: Command) => {
      ignoreClosedStdout();
      const pair = opts.kernels !== undefined ? parseKernelPair(opts.kernels) : undefined;
      const a = load(dirA);
      const pairs = dirB === undefined ? chooseWithinRun(a, pair) : chooseAcrossRuns(a, load(dirB), pair);
      const diffs = pairs.map(([x, y]) => diffRunSides(x, y));
      if (diffs.every((d) => d.scenarios.length === 0)) {
        throw diffInputError(`nothing to compare: ${diffs.flatMap((d) => d.notCompared).join('; ') || 'no scenario ran on both sides'}`);
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(diffs.length === 1 ? diffs[0] : diffs, null, 2)}\n`);
      else process.stdout.write(diffs.map((d) => renderCallGraphDiffText(d, { verbose: opts.verbose ?? false })).join('\n'));
      if (opts.html) writeAtomic(resolve(opts.html), diffPage(diffs));
      setExitCode(command, diffs.some(hasBehaviourChange) ? EXIT.failed : EXIT.ok);
    });
}
