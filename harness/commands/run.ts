// `ipvs-harness run`: the main job. Kernels x scenarios, traced and judged, into a results folder.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_KERNEL_SPECS } from '../../vm/kernel-spec.ts';
import { EXIT, exitCodeOfResults, setExitCode } from '../exit-codes.ts';
import { UsageError } from '../errors.ts';
import { interruptSignal } from '../interrupt.ts';
import type { RunRequest } from '../run/run-plan.ts';
import type { RunResults } from '../../analysis/report/results.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

/** `run`'s options: the run plan's request, and the baselines. */
export interface RunOptions extends RunRequest {
  updateBaseline?: string;
  baseline?: string;
  baselineKernel?: string;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run IPVS scenarios on real kernels in QEMU, trace the ip_vs call graph and judge it')
    .option('-k, --kernel <spec>', `kernel to test (repeatable); default: ${DEFAULT_KERNEL_SPECS.join(' ')}`, collect, [])
    .option('-s, --scenario <name|file>', "scenario name from the seed suite, a .yaml file, or selftest:ipvs.sh (the kernel's own selftest) (repeatable); default: the seed suite", collect, [])
    .option('-o, --out <dir>', 'results folder', './ipvs-results')
    .option('-j, --jobs <n>', 'guests booted at once (default: one per core, as free memory allows)')
    .option('--shard <i/n>', 'run only shard i of n of the kernel x scenario matrix (deterministic, balanced)')
    .option('--durations <results-dir>', 'balance --shard by the cell durations recorded in a previous results folder')
    .option('--modules <dir>', 'modules tree for path: kernels (lib/modules/<release>)')
    .option('--config <file>', 'kernel config for path: kernels (for the preflight)')
    .option('--update-baseline <dir>', 'record the observed call graphs of the passing cells as the baseline')
    .option('--baseline <dir>', 'compare the observed call graphs with a baseline; a behaviour-relevant change fails the cell')
    .option('--baseline-kernel <spec>', 'compare every kernel with the baseline recorded on this kernel (e.g. a known-good build)')
    .option('--ipvs-source <dir|debian>', "run IPVS modules built from this tree (it holds net/netfilter/ipvs/) instead of the kernel's own; `debian`: the kernel's own linux-source")
    .option('--cache-dir <dir>', 'cache for kernels and guest images (default: $IPVS_HARNESS_CACHE or ~/.cache/ipvs-harness)')
    .option('--no-trace', 'run the traffic without ftrace (outcomes only)')
    .option('--tracer <ftrace|bpftrace|both>', 'which tracer judges the graphs: ftrace (function_graph, the default), bpftrace (kprobes on the hooks and the functions the graphs name), or both (judged on each, and whether they agree); bpftrace boots the larger bpftrace image (docs/tracers.md)')
    .option('--bpftrace', 'the same as --tracer both')
    .option('--fresh-boot', 'boot a fresh guest for every scenario instead of reusing one per kernel')
    .option('--snapshot', 'start every scenario from a snapshot of the kernel\'s booted guest instead of resetting one guest between scenarios (no leftover state; under TCG not faster: see docs/vm.md)')
    .addHelpText('after', `
Examples:
  $ ipvs-harness run                                   # seed suite on debian:5.10, debian:6.1, debian:6.12
  $ ipvs-harness run -k debian:6.1 -s host-to-vip       # one cell
  $ ipvs-harness run -k debian:6.1 -s pod-to-vip -s selftest:ipvs.sh   # plus the kernel's own selftest
  $ ipvs-harness run -k path:./bzImage --modules ./mods --config ./.config -s my-scenario.yaml -o /tmp/r
  $ ipvs-harness run --jobs 2                           # two guests at a time
  $ ipvs-harness run --shard 2/4 --durations last-results -o shard-2   # one CI machine of four
  $ ipvs-harness run -k debian:6.1 --update-baseline baselines/         # record known-good call graphs
  $ ipvs-harness run -k build:~/linux --baseline baselines/ --baseline-kernel debian:6.1
  $ ipvs-harness run -k debian:6.1 --ipvs-source ~/ipvs -s no-destination   # your IPVS, built out of tree
  $ ipvs-harness run -k debian:6.12 --tracer both -s pod-to-vip   # judged on function_graph and on bpftrace

Writes <out>/results.json, report.html, junit.xml and, per kernel and scenario, trace.txt,
commands.log and console.log. Exit code: 0 all passed, 1 a scenario failed, 2 bad input,
3 an infrastructure error (boot, guest), 4 the rest passed but a selftest skipped itself,
130 interrupted.`)
    .action(async (opts: RunOptions, command: Command) => {
      // What the run needs is loaded here, not at start: `--help` and the other commands start fast.
      const { LineReporter } = await import('../run/line-reporter.ts');
      const { runMatrix } = await import('../run/run-matrix.ts');
      const { planRun } = await import('../run/run-plan.ts');
      const { writeRunReports } = await import('../report/write-reports.ts');
      const { compareWithBaseline, updateBaseline } = await import('../run/baseline.ts');
      const { outOfTreeFailures } = await import('../run/own-ipvs.ts');
      if (opts.baselineKernel && !opts.baseline) throw new UsageError('--baseline-kernel needs --baseline <dir>');
      const plan = planRun(opts);
      const postProcess: ((r: RunResults, out: string) => void)[] = [];
      if (opts.baseline) {
        const baseline = { dir: resolve(opts.baseline), ...(opts.baselineKernel ? { kernel: opts.baselineKernel } : {}) };
        postProcess.push((r, out) => compareWithBaseline(baseline, r, out));
      }
      if (opts.updateBaseline) {
        const dir = resolve(opts.updateBaseline);
        postProcess.push((r, out) => {
          const files = updateBaseline(dir, r, out);
          process.stderr.write(`baseline: recorded ${files.length} cell(s) in ${dir}\n`);
        });
      }
      const interrupt = interruptSignal();
      try {
        const results = await runMatrix(plan, { reporters: [new LineReporter()], signal: interrupt.signal, writers: [writeRunReports], postProcess });
        // --ipvs-source: a tree that did not build shows the compiler's messages here, not only in results.json.
        for (const text of outOfTreeFailures(results)) process.stderr.write(`${text}\n`);
        setExitCode(command, interrupt.signal.aborted ? EXIT.interrupted : exitCodeOfResults(results));
      } finally {
        interrupt.dispose();
      }
    });
}
