// `ipvs-harness run`: the main job. Kernels x scenarios, traced and judged, into a results folder.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_KERNEL_SPECS } from '../../vm/kernel-spec.ts';
import { setExitCode, EXIT } from '../exit-codes.ts';
import { LineReporter } from '../run/line-reporter.ts';
import { exitCodeOf, runMatrix } from '../run/run-matrix.ts';
import { selectScenarios } from '../scenario-loader.ts';
import { interruptSignal } from '../interrupt.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run IPVS scenarios on real kernels in QEMU, trace the ip_vs call graph and judge it')
    .option('-k, --kernel <spec>', 'kernel to test (repeatable); default: the three Debian kernels', collect, [])
    .option('-s, --scenario <name|file>', 'scenario name from the seed suite or a .yaml file (repeatable); default: all', collect, [])
    .option('-o, --out <dir>', 'results folder', './ipvs-results')
    .option('--cache-dir <dir>', 'cache for kernels and guest images (default: $IPVS_HARNESS_CACHE or ~/.cache/ipvs-harness)')
    .option('--no-trace', 'run the traffic without ftrace (outcomes only)')
    .option('--fresh-boot', 'boot a fresh guest for every scenario instead of reusing one per kernel')
    .addHelpText('after', `
Examples:
  $ ipvs-harness run                                   # seed suite on debian:5.10, debian:6.1, debian:6.12
  $ ipvs-harness run -k debian:6.1 -s host-to-vip       # one cell
  $ ipvs-harness run -k path:./bzImage --modules ./mods -s my-scenario.yaml -o /tmp/r

Writes <out>/results.json, report.html, junit.xml and, per kernel and scenario, trace.txt,
commands.log and console.log. Exit code: 0 all passed, 1 a scenario failed, 2 bad input,
3 an infrastructure error (boot, guest), 130 interrupted.`)
    .action(async (opts: { kernel: string[]; scenario: string[]; out: string; cacheDir?: string; trace: boolean; freshBoot?: boolean }, command: Command) => {
      const scenarios = selectScenarios(opts.scenario);
      const kernels = opts.kernel.length > 0 ? opts.kernel : DEFAULT_KERNEL_SPECS;
      const interrupt = interruptSignal();
      try {
        const results = await runMatrix({
          kernels, scenarios, out: resolve(opts.out), tracing: opts.trace, reporters: [new LineReporter()],
          signal: interrupt.signal,
          ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}),
          ...(opts.freshBoot ? { freshBoot: true } : {}),
        });
        setExitCode(command, interrupt.signal.aborted ? EXIT.interrupted : exitCodeOf(results));
      } finally {
        interrupt.dispose();
      }
    });
}
