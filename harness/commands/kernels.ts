// `ipvs-harness kernels`: the known kernel specs (and what they resolve to) and the cached kernels.
import type { Command } from 'commander';
import { defaultCacheDir } from '../../vm/cache-dir.ts';
import { KERNEL_SPEC_HELP } from '../../vm/kernel-spec.ts';
import { listKernels } from '../../vm/kernel-listing.ts';
import { interruptSignal } from '../interrupt.ts';
import { vmEventPrinter } from '../render-vm-events.ts';

export function registerKernels(program: Command): void {
  program
    .command('kernels')
    .description('list the known kernel specs, the Debian packages they resolve to, and the kernels in the cache')
    .option('--update', 'refresh the private apt lists first (otherwise they refresh when older than a day, on use)')
    .option('--json', 'print the listing as JSON')
    .option('--cache-dir <dir>', 'cache for kernels and guest images (default: $IPVS_HARNESS_CACHE or ~/.cache/ipvs-harness)')
    .addHelpText('after', `
Kernel specs:
${KERNEL_SPEC_HELP.split('\n').map((l) => `  ${l}`).join('\n')}

Examples:
  $ ipvs-harness kernels
  $ ipvs-harness kernels --update --json`)
    .action(async (opts: { update?: boolean; json?: boolean; cacheDir?: string }) => {
      const interrupt = interruptSignal();
      try {
        const listing = await listKernels({ cacheDir: opts.cacheDir ?? defaultCacheDir(), signal: interrupt.signal, onEvent: vmEventPrinter(), ...(opts.update ? { update: true } : {}) });
        if (opts.json) {
          process.stdout.write(JSON.stringify(listing, null, 2) + '\n');
          return;
        }
        const lines: string[] = ['Known kernel specs:'];
        for (const k of listing.known) {
          lines.push(`  ${k.spec.padEnd(14)} ${k.packageName ? `${k.packageName} ${k.version} (${k.suite})` : '(run `ipvs-harness kernels --update` to resolve)'}`);
        }
        lines.push('  debian:<package>, path:<bzImage>, build:<linux tree>: see --help', '');
        lines.push(`Cached kernels in ${listing.cacheDir}:`);
        if (listing.cached.length === 0) lines.push('  (none yet: `ipvs-harness setup` downloads the default kernels)');
        for (const k of listing.cached) lines.push(`  ${k.release.padEnd(28)} ${k.packageName} ${k.version}  ${(k.bytes / 1e6).toFixed(0)} MB`);
        if (listing.listsAgeMs !== undefined) lines.push('', `apt lists updated ${(listing.listsAgeMs / 3600_000).toFixed(1)} h ago`);
        process.stdout.write(lines.join('\n') + '\n');
      } finally {
        interrupt.dispose();
      }
    });
}
