// `ipvs-harness selftest`: the kernel's own IPVS selftest (tools/testing/selftests/.../ipvs.sh), taken
// at run time from the kernel's source (Debian's linux-source-<series>, or a build tree's own), run in
// a guest of that kernel, reported like a run: results.json, report.html, junit.xml.
import type { Command } from 'commander';
import { KERNEL_SPEC_HELP } from '../../vm/kernel-spec.ts';
import { UsageError } from '../errors.ts';
import { EXIT, exitCodeOfResults, setExitCode } from '../exit-codes.ts';
import { interruptSignal } from '../interrupt.ts';

interface SelftestOptions {
  kernel: string[];
  out: string;
  cacheDir?: string;
  timeout?: string;
  modules?: string;
  config?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerSelftest(program: Command): void {
  program
    .command('selftest')
    .description("run the kernel's own IPVS selftest (ipvs.sh from tools/testing/selftests) in a guest of that kernel")
    .option('-k, --kernel <spec>', 'kernel to test (repeatable; at least one)', collect, [])
    .option('-o, --out <dir>', 'results folder', './ipvs-selftest-results')
    .option('--timeout <s>', "deadline for the selftest in seconds (default: timeout= from its settings file, else kselftest's 45)")
    .option('--modules <dir>', 'modules tree for path: kernels (lib/modules/<release>)')
    .option('--config <file>', 'kernel config for path: kernels (for the preflight)')
    .option('--cache-dir <dir>', 'cache for kernels, guest images and selftests (default: $IPVS_HARNESS_CACHE or ~/.cache/ipvs-harness)')
    .addHelpText('after', `
Where the selftest comes from: build:<tree> uses the tree's own tools/testing/selftests; every other
kernel Debian's linux-source-<major.minor> (the version that built a Debian kernel, else the newest),
downloaded once through the harness's apt configuration; only the needed files are kept in the cache.

Kernel specs:
${KERNEL_SPEC_HELP.split('\n').map((l) => `  ${l}`).join('\n')}

Examples:
  $ ipvs-harness selftest -k debian:6.1
  $ ipvs-harness selftest -k debian:5.10 -k debian:6.12 -o /tmp/selftests
  $ ipvs-harness selftest -k build:~/src/linux --timeout 300
  $ ipvs-harness run -k debian:6.1 -s pod-to-vip -s selftest:ipvs.sh     # with scenarios, one guest

Writes <out>/results.json (cell selftest:ipvs.sh, its sub-tests as steps), report.html, junit.xml
and <kernel>/selftest-ipvs.sh/{output.log,commands.log,console.log}. Exit code: 0 passed, 1 failed,
2 bad input, 3 an infrastructure error, 4 skipped (kselftest's skip: the selftest skipped itself, or the
kernel's source has none), 130 interrupted.`)
    .action(async (opts: SelftestOptions, command: Command) => {
      const { LineReporter } = await import('../run/line-reporter.ts');
      const { writeRunReports } = await import('../report/write-reports.ts');
      const { runMatrix } = await import('../run/run-matrix.ts');
      const { planRun } = await import('../run/run-plan.ts');
      if (opts.kernel.length === 0) throw new UsageError('selftest needs --kernel <spec>, e.g. --kernel debian:6.1');
      const timeoutS = opts.timeout === undefined ? undefined : Number(opts.timeout);
      if (timeoutS !== undefined && (!Number.isInteger(timeoutS) || timeoutS < 1)) throw new UsageError(`--timeout ${opts.timeout}: expected a whole number of seconds, e.g. --timeout 300`);
      const plan = planRun({ ...opts, scenario: ['selftest:ipvs.sh'], trace: false, jobs: '1', ...(timeoutS !== undefined ? { selftestTimeoutS: timeoutS } : {}) });
      const interrupt = interruptSignal();
      try {
        const results = await runMatrix(plan, { reporters: [new LineReporter()], writers: [writeRunReports], signal: interrupt.signal });
        setExitCode(command, interrupt.signal.aborted ? EXIT.interrupted : exitCodeOfResults(results));
      } finally {
        interrupt.dispose();
      }
    });
}
