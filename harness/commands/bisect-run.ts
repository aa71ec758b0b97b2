// `ipvs-harness bisect-run`: one kernel, the given scenarios, and an exit code for `git bisect run`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { EXIT, setExitCode } from '../exit-codes.ts';
import { interruptSignal } from '../interrupt.ts';
import { formatError, UsageError } from '../errors.ts';

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
    .option('--ipvs-source <dir|debian>', "test IPVS modules built from this tree (usually `.`, an IPVS revision) on the kernel instead of its own")
    .option('--cache-dir <dir>', 'cache for kernels and guest images')
    .addHelpText('after', `
Examples (in a Linux tree, with a script that builds then tests):
  $ cat > /tmp/bisect.sh <<'SH'
  #!/bin/sh
  make olddefconfig >/dev/null && make -j"$(nproc)" bzImage modules >/dev/null || exit 125
  exec npx --prefix /path/to/ipvs-harness ipvs-harness bisect-run --kernel build:"$PWD" --scenario pod-to-vip
  SH
  $ git bisect start v6.2 v6.1 && git bisect run sh /tmp/bisect.sh

Bisecting IPVS commits on a fixed kernel (no kernel build: the modules are built out of tree, only
what a step changed is recompiled):
  $ git bisect start <bad> <good> -- net/netfilter/ipvs include/net/ip_vs.h
  $ git bisect run ipvs-harness bisect-run -k debian:6.1 --ipvs-source . -s no-destination

Exit codes: 0 every scenario passed (good); 1 a scenario failed, or the guest broke while the
traffic ran, e.g. a panic in the IPVS path (bad); 125 the revision cannot be tested: not a kernel,
preflight fails (IP_VS missing), no boot, a panic before the scenario, setup failed, with
--ipvs-source the revision's modules do not build or would not load (skip);
128 a usage mistake (unknown scenario, invalid file), or with --ipvs-source modules that no revision
can build on this host (headers, compiler, download): git bisect stops.`)
    .action(async (opts: { kernel: string; scenario: string[]; modules?: string; config?: string; out?: string; cacheDir?: string; ipvsSource?: string }, command: Command) => {
      const { bisectVerdict } = await import('../run/bisect-verdict.ts');
      const { outOfTreeBisectVerdict, outOfTreeFailures } = await import('../run/own-ipvs.ts');
      const { LineReporter } = await import('../run/line-reporter.ts');
      const { runMatrix } = await import('../run/run-matrix.ts');
      const { planRun } = await import('../run/run-plan.ts');
      let plan;
      try {
        if (opts.scenario.length === 0) throw new UsageError('bisect-run needs at least one --scenario');
        // `-s selftest:ipvs.sh`: the kernel's own selftest decides (its skip is git bisect's skip, 125).
        plan = planRun({ ...opts, kernel: [opts.kernel], out: opts.out ?? tmpdir(), jobs: '1' });
      } catch (err) {
        // A usage mistake must stop `git bisect run` (exit > 127), not mark the revision bad (exit 2 would).
        const { text } = formatError(err);
        process.stderr.write(`${text}\nbisect-run: aborting the bisection (exit ${EXIT.abortBisect})\n`);
        setExitCode(command, EXIT.abortBisect);
        return;
      }
      if (!opts.out) plan.out = mkdtempSync(join(tmpdir(), 'ipvs-harness-bisect-'));
      const interrupt = interruptSignal();
      try {
        const results = await runMatrix(plan, { reporters: [new LineReporter()], signal: interrupt.signal });
        for (const text of outOfTreeFailures(results)) process.stderr.write(`${text}\n`);
        const verdict = interrupt.signal.aborted ? { exitCode: EXIT.interrupted, word: 'interrupted', reason: 'interrupted' } : (outOfTreeBisectVerdict(results) ?? bisectVerdict(results));
        process.stdout.write(`bisect-run: ${verdict.word} (exit ${verdict.exitCode}): ${verdict.reason}\n`);
        setExitCode(command, verdict.exitCode);
      } finally {
        interrupt.dispose();
        if (!opts.out) rmSync(plan.out, { recursive: true, force: true });
      }
    });
}
