// `ipvs-harness exec`: boot a kernel, run one command in the guest's root network namespace, print
// its output, exit with its exit code, power off. The quickest way to poke at a kernel.
import type { Command } from 'commander';
import { bootGuest } from '../../vm/guest.ts';
import { VmError } from '../../vm/errors.ts';
import { defaultCacheDir } from '../../vm/cache-dir.ts';
import { KERNEL_SPEC_HELP, type KernelSpec } from '../../vm/kernel-spec.ts';
import { resolveKernel, toKernelSpec } from '../../vm/resolve-kernel.ts';
import type { ResolvedKernel } from '../../vm/resolved-kernel.ts';
import { ipvsSourceArg, withOutOfTreeIpvs } from '../run/own-ipvs.ts';
import { EXIT, setExitCode } from '../exit-codes.ts';
import { UsageError } from '../errors.ts';
import { interruptSignal } from '../interrupt.ts';
import { vmEventPrinter } from '../render-vm-events.ts';

interface ExecOpts {
  kernel?: string;
  timeout: string;
  bootTimeout?: string;
  modules?: string;
  config?: string;
  cacheDir?: string;
  memory?: string;
  namespace: string;
  verbose?: boolean;
  console?: boolean;
  kernelArg: string[];
  withBpftrace?: boolean;
  ipvsSource?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

async function kernelWithIpvsSource(spec: KernelSpec, source: string, cacheDir: string, signal: AbortSignal): Promise<ResolvedKernel> {
  const kernel = await resolveKernel(spec, { cacheDir, signal });
  return withOutOfTreeIpvs(kernel, { source: ipvsSourceArg(source) }, { cacheDir, signal, progress: (stage, detail) => process.stderr.write(`[module] ${stage}${detail ? `: ${detail}` : ''}\n`) });
}

function positiveNumber(text: string, option: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${option} must be a positive number, got "${text}"`);
  return n;
}

const SIGNAL_NUMBERS: Record<string, number> = { HUP: 1, INT: 2, QUIT: 3, ABRT: 6, KILL: 9, SEGV: 11, PIPE: 13, ALRM: 14, TERM: 15 };

export function registerExec(program: Command): void {
  program
    .command('exec')
    .description("boot a kernel in QEMU, run a command in the guest's root network namespace, print its output and exit with its exit code")
    .requiredOption('-k, --kernel <spec>', 'kernel to boot (see below)')
    .option('-t, --timeout <s>', 'deadline for the command, in seconds', '60')
    .option('--boot-timeout <s>', 'deadline for QEMU start → SSH ready, in seconds (default 60 under TCG)')
    .option('--modules <dir>', 'modules folder for a path: kernel (lib/modules/<release> or an INSTALL_MOD_PATH)')
    .option('--config <file>', 'kernel .config for a path: kernel (for preflight)')
    .option('--cache-dir <dir>', 'cache for kernels and guest images (default: $IPVS_HARNESS_CACHE or ~/.cache/ipvs-harness)')
    .option('-m, --memory <mb>', 'guest memory in MB (default 512; 1536 with --with-bpftrace)')
    .option('--namespace <ns>', "root (default: where scenarios and IPVS live) or management (eth0 and sshd)", 'root')
    .option('--kernel-arg <arg>', 'extra kernel command line argument (repeatable)', collect, [])
    .option('--with-bpftrace', 'boot the image variant with bpftrace (after `ipvs-harness setup --with-bpftrace`)')
    .option('--ipvs-source <dir|debian>', "boot with IPVS modules built from this tree (all of them) instead of the kernel's own")
    .option('-v, --verbose', 'print boot progress on stderr even when stderr is not a terminal')
    .option('--console', 'also print the guest console on stderr')
    .argument('<command...>', 'command to run in the guest (words are joined with spaces, like ssh)')
    .addHelpText('after', `
Kernel specs:
${KERNEL_SPEC_HELP.split('\n').map((l) => `  ${l}`).join('\n')}

Examples:
  $ ipvs-harness exec --kernel debian:6.1 -- cat /proc/version
  $ ipvs-harness exec -k debian:6.12 -- 'modprobe ip_vs && cat /proc/net/ip_vs'
  $ ipvs-harness exec -k path:./arch/x86/boot/bzImage --config .config --modules /tmp/mods -- uname -r
  $ ipvs-harness exec -k build:~/src/linux --console -- 'ipvsadm -Ln'
  $ ipvs-harness exec -k debian:6.1 --ipvs-source ~/ipvs -- 'modprobe ip_vs && cat /sys/module/ip_vs/taint'

The guest has busybox, dash (/bin/sh), ipvsadm, ip, tc, socat, nsenter; tracefs at /sys/kernel/tracing.
Exit code: the command's own; 2 bad input (nothing booted); 3 boot or guest failure; 130 interrupted.`)
    .action(async (words: string[], opts: ExecOpts, command: Command) => {
      if (opts.namespace !== 'root' && opts.namespace !== 'management') throw new UsageError(`--namespace must be root or management, got "${opts.namespace}"`);
      const timeoutMs = positiveNumber(opts.timeout, '--timeout') * 1000;
      const bootTimeoutMs = opts.bootTimeout ? positiveNumber(opts.bootTimeout, '--boot-timeout') * 1000 : undefined;
      const memoryMb = opts.memory === undefined ? undefined : Math.round(positiveNumber(opts.memory, '--memory'));
      const showProgress = Boolean(process.stderr.isTTY) || Boolean(opts.verbose) || Boolean(opts.console);
      const printer = vmEventPrinter({ consoleLines: Boolean(opts.console) });
      const interrupt = interruptSignal();
      try {
        // A path: kernel carries its --modules and --config.
        const spec = toKernelSpec(opts.kernel!, { ...(opts.modules ? { modulesDir: opts.modules } : {}), ...(opts.config ? { configPath: opts.config } : {}) });
        // --ipvs-source: resolved first, and its IPVS modules built (or cached) and checked before the boot.
        const kernel = opts.ipvsSource ? await kernelWithIpvsSource(spec, opts.ipvsSource, opts.cacheDir ?? defaultCacheDir(), interrupt.signal) : spec;
        await using guest = await bootGuest({
          kernel,
          ...(memoryMb ? { memoryMb } : {}),
          signal: interrupt.signal,
          kernelArgs: opts.kernelArg,
          ...(showProgress ? { onEvent: printer } : {}),
          ...(bootTimeoutMs ? { timeoutMs: bootTimeoutMs } : {}),
          ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}),
          ...(opts.withBpftrace ? { withBpftrace: true } : {}),
        });
        const commandLine = words.join(' ');
        // `exec ... | head` closes our stdout early: that is not an error of the guest command.
        process.stdout.on('error', (err: NodeJS.ErrnoException) => {
          if (err.code !== 'EPIPE') throw err;
        });
        const result = await guest.exec(commandLine, {
          timeoutMs,
          signal: interrupt.signal,
          namespace: opts.namespace,
          onStdout: (chunk) => process.stdout.write(chunk),
          onStderr: (chunk) => process.stderr.write(chunk),
        });
        if (result.timedOut) {
          throw new VmError('COMMAND_TIMEOUT', `the command "${commandLine}" did not finish within ${opts.timeout} s; raise --timeout`, { phase: 'command' });
        }
        const code = result.exitCode ?? (result.signal ? 128 + (SIGNAL_NUMBERS[result.signal.replace(/^SIG/, '')] ?? 0) : EXIT.infrastructure);
        setExitCode(command, code);
      } finally {
        interrupt.dispose();
      }
    });
}
