// `ipvs-harness exec`: boot a kernel, run one command in the guest's root network namespace, print
// its output, exit with its exit code, power off. The quickest way to poke at a kernel.
import type { Command } from 'commander';
import { VmError } from '../../vm/errors.ts';
import { KERNEL_SPEC_HELP, type KernelSpec } from '../../vm/kernel-spec.ts';
import type { ResolvedKernel } from '../../vm/resolved-kernel.ts';
import { shellJoin } from '../../vm/shell-quote.ts';
import { EXIT, exitCodeOfSignal, setExitCode } from '../exit-codes.ts';
import { UsageError } from '../errors.ts';
import { interruptSignal } from '../interrupt.ts';

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
  const { resolveKernel } = await import('../../vm/resolve-kernel.ts');
  const { ipvsSourceArg, withOutOfTreeIpvs } = await import('../run/own-ipvs.ts');
  const kernel = await resolveKernel(spec, { cacheDir, signal });
  return withOutOfTreeIpvs(kernel, { source: ipvsSourceArg(source) }, { cacheDir, signal, progress: (stage, detail) => process.stderr.write(`[module] ${stage}${detail ? `: ${detail}` : ''}\n`) });
}

function positiveNumber(text: string, option: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${option} must be a positive number, got "${text}"`);
  return n;
}

/**
 * The guest's command line. One word is a shell command as written (`-- 'a && b'`); several words are
 * argv, each quoted for the guest's /bin/sh so it arrives as given (`-- sh -c 'echo one; echo two'`),
 * as `docker run` and `kubectl exec --` pass it.
 */
export function guestCommandLine(words: readonly string[]): string {
  return words.length === 1 ? words[0]! : shellJoin(words);
}

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
    .argument('<command...>', "command to run in the guest: one word is a shell command line ('a && b'), several words are argv, passed as given")
    .addHelpText('after', `
Kernel specs:
${KERNEL_SPEC_HELP.split('\n').map((l) => `  ${l}`).join('\n')}

Examples:
  $ ipvs-harness exec --kernel debian:6.1 -- cat /proc/version
  $ ipvs-harness exec -k debian:6.12 -- 'modprobe ip_vs && cat /proc/net/ip_vs'     # one word: a shell command line
  $ ipvs-harness exec -k debian:6.1 -- sh -c 'echo one; echo two'                   # several words: argv as given
  $ ipvs-harness exec -k debian:6.1 -- printf '%s|' 'a b' c                         # prints a b|c|
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
      const { bootGuest } = await import('../../vm/guest.ts');
      const { toKernelSpec } = await import('../../vm/resolve-kernel.ts');
      const { vmEventPrinter } = await import('../render-vm-events.ts');
      const { cacheDirOption } = await import('../inputs/option-values.ts');
      const { imageCacheLimit } = await import('../../vm/image-cache.ts');
      const cacheDir = cacheDirOption(opts.cacheDir);
      // Checked before anything is downloaded, built or booted.
      const imageCacheBytes = imageCacheLimit();
      const printer = vmEventPrinter({ consoleLines: Boolean(opts.console) });
      const interrupt = interruptSignal();
      try {
        // A path: kernel carries its --modules and --config.
        const spec = toKernelSpec(opts.kernel!, { ...(opts.modules ? { modulesDir: opts.modules } : {}), ...(opts.config ? { configPath: opts.config } : {}) });
        // --ipvs-source: resolved first, and its IPVS modules built (or cached) and checked before the boot.
        const kernel = opts.ipvsSource ? await kernelWithIpvsSource(spec, opts.ipvsSource, cacheDir, interrupt.signal) : spec;
        await using guest = await bootGuest({
          kernel,
          ...(memoryMb ? { memoryMb } : {}),
          signal: interrupt.signal,
          kernelArgs: opts.kernelArg,
          ...(showProgress ? { onEvent: printer } : {}),
          ...(bootTimeoutMs ? { timeoutMs: bootTimeoutMs } : {}),
          cacheDir,
          imageCacheBytes,
          ...(opts.withBpftrace ? { withBpftrace: true } : {}),
        });
        const commandLine = guestCommandLine(words);
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
        const code = result.exitCode ?? (result.signal ? exitCodeOfSignal(result.signal) : EXIT.infrastructure);
        setExitCode(command, code);
      } finally {
        interrupt.dispose();
      }
    });
}
