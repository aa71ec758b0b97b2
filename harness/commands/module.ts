// `ipvs-harness module`: the IPVS developer's edit-compile loop without booting anything.
//   module build  -k <spec> --source <dir|debian>   build (or take from the cache) and check the modules
//   module source -k <spec> -o <dir>                 the kernel's own IPVS sources, to patch
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { EXIT, setExitCode } from '../exit-codes.ts';
import { interruptSignal } from '../interrupt.ts';

const collect = (value: string, previous: string[]) => [...previous, value];
const progress = (stage: string, detail?: string): void => {
  process.stderr.write(`[module] ${stage}${detail ? `: ${detail}` : ''}\n`);
};

interface BuildOpts { kernel: string; source: string; module: string[]; force?: boolean; cacheDir?: string }

export function registerModule(program: Command): void {
  const module = program.command('module').description('build IPVS modules from a source tree against a kernel, without booting (the edit-compile loop)');
  module
    .command('build')
    .description('build ip_vs and its schedulers out of tree against a kernel\'s headers, check that they would load, and cache them')
    .requiredOption('-k, --kernel <spec>', 'the kernel to build for (debian:<series> or build:<tree>)')
    .requiredOption('--source <dir|debian>', 'a tree holding net/netfilter/ipvs/ (a kernel checkout, linux-source unpacked, `module source` output), or `debian` for the kernel\'s own sources')
    .option('-m, --module <name>', 'build only this module (repeatable; ip_vs is always built); default: every IPVS module the kernel\'s config has', collect, [])
    .option('--force', 'build even when the cache has these modules')
    .option('--cache-dir <dir>', 'cache for kernels, headers and modules (default: $IPVS_HARNESS_CACHE or ~/.cache/ipvs-harness)')
    .addHelpText('after', `
Examples:
  $ ipvs-harness module source -k debian:6.1 -o ~/ipvs        # the shipped sources, to patch
  $ ipvs-harness module build -k debian:6.1 --source ~/ipvs -m ip_vs_rr
  $ ipvs-harness module build -k debian:6.1 --source ~/src/linux
  $ ipvs-harness run -k debian:6.1 --ipvs-source ~/ipvs -s no-destination

The headers (linux-headers-<abi>, its -common headers and linux-kbuild at the kernel's exact version)
are fetched once into the cache; modules are cached by the sources' hash, the kernel and the compiler.
Compiler errors print as the compiler printed them, with paths pointing into your tree.
Exit code: 0 built (or cached) and checked; 2 the tree does not build, or cannot be built for this
kernel on this host (headers, compiler); 3 a download failed; 130 interrupted.`)
    .action(async (opts: BuildOpts, command: Command) => {
      const { buildOwnIpvs } = await import('../../vm/module-build/own-ipvs.ts');
      const { resolveKernel } = await import('../../vm/resolve-kernel.ts');
      const { vmEventPrinter } = await import('../render-vm-events.ts');
      const { buildTimeText } = await import('../run/own-ipvs.ts');
      const { cacheDirOption } = await import('../inputs/option-values.ts');
      const cacheDir = cacheDirOption(opts.cacheDir);
      const source = opts.source === 'debian' ? 'debian' : resolve(opts.source);
      const modules = opts.module.length > 0 ? ['ip_vs', ...opts.module.filter((m) => m !== 'ip_vs')] : undefined;
      const interrupt = interruptSignal();
      try {
        const kernel = await resolveKernel(opts.kernel, { cacheDir, signal: interrupt.signal, onEvent: vmEventPrinter() });
        const started = performance.now();
        const result = await buildOwnIpvs(kernel, source, { cacheDir, signal: interrupt.signal, onProgress: progress, ...(modules ? { modules } : {}), ...(opts.force ? { force: true } : {}) });
        const own = await result.kernelWith();
        const ipvs = own.outOfTreeIpvs!;
        const b = result.built;
        const lines = [
          `${b.cached ? 'cached' : 'built'} ${ipvs.modules.map((m) => m.name).join(', ')} for ${kernel.release} (${opts.kernel}) ${b.cached ? `(built in ${buildTimeText(b.buildMs, b.buildCpuMs)} on ${b.builtAt}; --force rebuilds)` : `in ${buildTimeText(b.buildMs, b.buildCpuMs)}; ${((performance.now() - started) / 1000).toFixed(1)} s with headers, sources and checks`}`,
          `  source:   ${ipvs.source}${ipvs.gitDescribe && !ipvs.source.includes(ipvs.gitDescribe) ? ` (git ${ipvs.gitDescribe})` : ''}, sha ${ipvs.sourceHash}`,
          `  compiler: ${ipvs.compiler}`,
          `  headers:  ${ipvs.headers}`,
          `  checked:  vermagic "${ipvs.vermagic}" is the kernel's; every imported symbol resolves with the kernel's CRC (depmod -e)`,
          `  modules:  ${join(b.dir, 'ko')}`,
          ...ipvs.warnings.map((w) => `  warning:  ${w}`),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
        setExitCode(command, interrupt.signal.aborted ? EXIT.interrupted : EXIT.ok);
      } catch (err) {
        if (interrupt.signal.aborted) {
          process.stderr.write('module build interrupted\n');
          setExitCode(command, EXIT.interrupted);
          return;
        }
        throw err;
      } finally {
        interrupt.dispose();
      }
    });

  module
    .command('source')
    .description("write a kernel's own IPVS sources (net/netfilter/ipvs/ and the IPVS headers, from Debian's linux-source) into a folder, to patch and build")
    .requiredOption('-k, --kernel <spec>', 'a debian: kernel')
    .requiredOption('-o, --out <dir>', 'folder to write (must not exist, or be empty)')
    .option('--cache-dir <dir>', 'cache for kernels and sources')
    .action(async (opts: { kernel: string; out: string; cacheDir?: string }) => {
      const { debianIpvsSource } = await import('../../vm/module-build/debian-ipvs-source.ts');
      const { resolveKernel } = await import('../../vm/resolve-kernel.ts');
      const { vmEventPrinter } = await import('../render-vm-events.ts');
      const { cacheDirOption } = await import('../inputs/option-values.ts');
      const cacheDir = cacheDirOption(opts.cacheDir);
      const { checkOutputFolder, stageOutputFolder } = await import('../outputs/output-folder.ts');
      const out = checkOutputFolder({ path: opts.out, what: 'source folder' });
      if (existsSync(out) && readdirSync(out).length > 0) throw new UsageError(`--out ${out} is not empty; choose a new folder`);
      // Written beside --out and renamed in when complete: an interrupted copy leaves nothing behind.
      const staged = stageOutputFolder({ path: opts.out, what: 'source folder' });
      const interrupt = interruptSignal();
      try {
        const kernel = await resolveKernel(opts.kernel, { cacheDir, signal: interrupt.signal, onEvent: vmEventPrinter() });
        const src = await debianIpvsSource(kernel, { cacheDir, signal: interrupt.signal, onProgress: progress });
        for (const f of src.files) cpSync(join(src.root, f), join(staged.dir, f));
        staged.commit();
        process.stdout.write(`wrote ${src.files.length} files of ${src.description} to ${out} (sha ${src.hash})\nnext: edit ${join(out, 'net/netfilter/ipvs')}/*.c, then: ipvs-harness module build -k ${opts.kernel} --source ${out}\n`);
      } finally {
        staged.discard();
        interrupt.dispose();
      }
    });
}
