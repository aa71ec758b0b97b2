// `ipvs-harness bisect-run`: one kernel, the given scenarios, and an exit code for `git bisect run`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { EXIT, setExitCode } from '../exit-codes.ts';
import { interruptSignal } from '../interrupt.ts';
import { formatError, UsageError } from '../errors.ts';

/** `git bisect run` stops on exit codes above 127. */
const EXIT_ABORT_BISECT = 128;
import { bisectVerdict } from '../run/bisect-verdict.ts';
import { LineReporter } from '../run/line-reporter.ts';
import { runMatrix } from '../run/run-matrix.ts';
import { selectScenarios } from '../scenario-loader.ts';
import { splitSelftestSelectors } from '../selftest/selftest-selectors.ts';
import { defaultCacheDir } from '../../vm/cache-dir.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerBisectRun(program: Command): void {
  program
    .command('bisect-run')
    .description('test one kernel build for `git bisect run`: exit 0 good, 1 bad, 125 cannot be tested')
    .requiredOption('-k, --kernel <spec>', 'the kernel, usually build:<linux tree> (also path:, debian:)')
    .requiredOption('-s, --scenario <name|file>', 'scenario(s) that decide good or bad, or selftest:ipvs.sh (repeatable)', collect, [])
    .option('--modules <dir>', 'modules tree for path: kernels')
    .option('--config <file>', 'kernel config for path: kernels')
    .option('-o, --out <dir>', 'keep the results here (default: a temporary folder, removed)')
    .option('--cache-dir <dir>', 'cache for kernels and guest images')
    .addHelpText('after', `
Examples (in a Linux tree, with a script that builds then tests):
  $ cat > /tmp/bisect.sh <<'SH'
  #!/bin/sh
  make olddefconfig >/dev/null && make -j"$(nproc)" bzImage modules >/dev/null || exit 125
  exec npx --prefix /path/to/ipvs-harness ipvs-harness bisect-run --kernel build:"$PWD" --scenario pod-to-vip
  SH
  $ git bisect start v6.2 v6.1 && git bisect run sh /tmp/bisect.sh

Exit codes: 0 every scenario passed (good); 1 a scenario failed, or the guest broke while the
traffic ran, e.g. a panic in the IPVS path (bad); 125 the revision cannot be tested: not a kernel,
preflight fails (IP_VS missing), no boot, a panic before the scenario, setup failed (skip);
128 a usage mistake (unknown scenario, invalid file): git bisect stops.`)
    .action(async (opts: { kernel: string; scenario: string[]; modules?: string; config?: string; out?: string; cacheDir?: string }, command: Command) => {
      let scenarios;
      let selftests;
      try {
        if (opts.scenario.length === 0) throw new UsageError('bisect-run needs at least one --scenario');
        // `-s selftest:ipvs.sh`: the kernel's own selftest decides (its skip is git bisect's skip, 125).
        const split = splitSelftestSelectors(opts.scenario, opts.cacheDir ?? defaultCacheDir());
        selftests = split.selftests;
        scenarios = split.scenarioSelectors.length === 0 ? [] : selectScenarios(split.scenarioSelectors);
      } catch (err) {
        // A usage mistake must stop `git bisect run` (exit > 127), not mark the revision bad (exit 2 would).
        const { text } = formatError(err);
        process.stderr.write(`${text}\nbisect-run: aborting the bisection (exit ${EXIT_ABORT_BISECT})\n`);
        setExitCode(command, EXIT_ABORT_BISECT);
        return;
      }
      const out = opts.out ? resolve(opts.out) : mkdtempSync(join(tmpdir(), 'ipvs-harness-bisect-'));
      const interrupt = interruptSignal();
      try {
        const results = await runMatrix({
          kernels: [opts.kernel], scenarios, guestCells: selftests, jobs: 1, out, reporters: [new LineReporter()], signal: interrupt.signal,
          ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}),
          ...(opts.modules ? { modulesDir: resolve(opts.modules) } : {}),
          ...(opts.config ? { configPath: resolve(opts.config) } : {}),
        });
        const verdict = interrupt.signal.aborted ? { exitCode: EXIT.interrupted, word: 'interrupted', reason: 'interrupted' } : bisectVerdict(results);
        process.stdout.write(`bisect-run: ${verdict.word} (exit ${verdict.exitCode}): ${verdict.reason}\n`);
        setExitCode(command, verdict.exitCode);
      } finally {
        interrupt.dispose();
        if (!opts.out) rmSync(out, { recursive: true, force: true });
      }
    });
}
