// `ipvs-harness setup`: prepare this host, idempotently. Installs the Debian packages the harness
// needs (or, without root, prints the exact command), downloads the default kernels and builds their
// guest images. `--for-tests` adds what the test suite needs (chromium, the kernel selftest's source).
import type { Command } from 'commander';
import { BPFTRACE_PACKAGES, isRoot, missingPackages, REQUIRED_PACKAGES, TEST_PACKAGES } from '../../vm/host-packages.ts';
import { DEFAULT_KERNEL_SPECS } from '../../vm/kernel-spec.ts';
import { HarnessError } from '../errors.ts';
import { EXIT, setExitCode } from '../exit-codes.ts';
import { interruptSignal } from '../interrupt.ts';

/** The kernels whose selftest the e2e tests run (fetched by --for-tests, so the tests never download). */
const SELFTEST_TEST_KERNELS = ['debian:6.1'];

const say = (s: string): void => void process.stdout.write(`[setup] ${s}\n`);

async function installPackages(wanted: readonly string[], signal: AbortSignal): Promise<'ok' | 'need-root'> {
  const missing = await missingPackages(wanted);
  if (missing.length === 0) {
    say(`Debian packages present: ${wanted.join(' ')}`);
    return 'ok';
  }
  if (!isRoot()) {
    say(`missing Debian packages: ${missing.join(' ')}`);
    say('run this, then `ipvs-harness setup` again:');
    process.stdout.write(`  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing.join(' ')}\n`);
    return 'need-root';
  }
  const { execa } = await import('execa');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  say('apt-get update');
  await execa('apt-get', ['update', '-q'], { stdio: 'inherit', env, cancelSignal: signal });
  say(`apt-get install -y --no-install-recommends ${missing.join(' ')}`);
  await execa('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { stdio: 'inherit', env, cancelSignal: signal });
  const still = await missingPackages(missing);
  if (still.length > 0) throw new HarnessError('SETUP_FAILED', `apt-get could not install: ${still.join(' ')}; see apt-get's output above`, { exitCode: EXIT.infrastructure });
  return 'ok';
}

export function registerSetup(program: Command): void {
  program
    .command('setup')
    .description('prepare this host: install the Debian packages the harness needs, download the default kernels, build their guest images (idempotent)')
    .option('--for-tests', `also install what the test suite needs (${TEST_PACKAGES.join(', ')}, and what --with-bpftrace brings) and fetch the kernel selftest the tests run`)
    .option('--with-bpftrace', `also install ${BPFTRACE_PACKAGES.join(', ')} and fetch Debian's bpftrace with its libraries for the guest images (\`run --tracer bpftrace|both\`; ~65 MB download, ~200 MB unpacked)`)
    .option('--no-kernels', 'only check and install packages')
    .option('--cache-dir <dir>', 'cache for kernels and guest images (default: $IPVS_HARNESS_CACHE or ~/.cache/ipvs-harness)')
    .addHelpText('after', `
Packages: ${REQUIRED_PACKAGES.join(' ')}
Kernels:  ${DEFAULT_KERNEL_SPECS.join(' ')}

Examples:
  $ sudo ipvs-harness setup          # as root: installs what is missing
  $ ipvs-harness setup               # as a user: prints the sudo apt-get command if something is missing
  $ ipvs-harness setup --for-tests   # what \`npm test\` runs first

Exit code: 0 ready; 2 packages missing and not root (the command to run is printed); 3 a download failed.`)
    .action(async (opts: { forTests?: boolean; withBpftrace?: boolean; kernels: boolean; cacheDir?: string }, command: Command) => {
      const { buildGuestImage } = await import('../../vm/initramfs.ts');
      const { preflightKernel } = await import('../../vm/preflight.ts');
      const { resolveKernel } = await import('../../vm/resolve-kernel.ts');
      const { vmEventPrinter } = await import('../render-vm-events.ts');
      const { findSelftest } = await import('../selftest/fetch-selftest.ts');
      const { cacheDirOption } = await import('../inputs/option-values.ts');
      const { imageCacheLimit } = await import('../../vm/image-cache.ts');
      const cacheDir = cacheDirOption(opts.cacheDir);
      // Checked before anything is installed, downloaded or built.
      const imageCacheBytes = imageCacheLimit();
      const interrupt = interruptSignal();
      try {
        // The bpftrace tests run on every machine: --for-tests brings what they need.
        const withBpftrace = opts.withBpftrace === true || opts.forTests === true;
        const wanted = [...REQUIRED_PACKAGES, ...(opts.forTests ? TEST_PACKAGES : []), ...(withBpftrace ? BPFTRACE_PACKAGES : [])];
        if ((await installPackages(wanted, interrupt.signal)) === 'need-root') {
          setExitCode(command, EXIT.badInput);
          return;
        }
        if (!opts.kernels) return;
        const onEvent = vmEventPrinter({ write: (s) => process.stdout.write(s) });
        for (const spec of DEFAULT_KERNEL_SPECS) {
          const kernel = await resolveKernel(spec, { cacheDir, signal: interrupt.signal, onEvent });
          preflightKernel(kernel.configText, `kernel ${spec}`);
          const image = await buildGuestImage(kernel, { cacheDir, signal: interrupt.signal, onEvent, imageCacheBytes });
          say(`${spec}: ${kernel.release} (${kernel.source}), guest image ${image.cached ? 'cached' : 'built'}`);
        }
        if (withBpftrace) {
          const { ensureBpftraceBundle } = await import('../../vm/bpftrace-bundle.ts');
          const bundle = await ensureBpftraceBundle(cacheDir, { signal: interrupt.signal, onEvent });
          say(`bpftrace ${bundle.version} from ${bundle.release} for the guests (${Math.round(bundle.bytes / 1e6)} MB with its libraries)`);
        }
        if (opts.forTests) {
          for (const spec of SELFTEST_TEST_KERNELS) {
            const kernel = await resolveKernel(spec, { cacheDir, signal: interrupt.signal, onEvent });
            const found = await findSelftest(kernel, 'ipvs.sh', { cacheDir, signal: interrupt.signal, onProgress: (stage, detail) => say(`${spec}: ${stage}${detail ? ` ${detail}` : ''}`) });
            say(`${spec}: selftest ${found.kind === 'found' ? `${found.selftest.script} from ${found.selftest.source}` : `none: ${found.reason}`}`);
          }
        }
        say(`ready; cache: ${cacheDir}`);
      } finally {
        interrupt.dispose();
      }
    });
}
