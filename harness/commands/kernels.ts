// `ipvs-harness kernels`: the known kernel specs (and what they resolve to) and the cached kernels.
import type { Command } from 'commander';
import { DEFAULT_KERNEL_SPECS, KERNEL_SPEC_HELP } from '../../vm/kernel-spec.ts';
import { interruptSignal } from '../interrupt.ts';

export function registerKernels(program: Command): void {
  program
    .command('kernels')
    .description('list the known kernel specs, the Debian packages they resolve to, and the kernels in the cache')
    .option('--available', 'what Debian serves now: each kernel series with its newest cloud-amd64 package and suite (reads every release\'s lists)')
    .option('--update', 'refresh the private apt lists of every release first (otherwise they refresh when older than a day, on use); implies --available')
    .option('--json', 'print the listing as JSON')
    .option('--cache-dir <dir>', 'cache for kernels and guest images (default: $IPVS_HARNESS_CACHE or ~/.cache/ipvs-harness)')
    .addHelpText('after', `
Kernel specs:
${KERNEL_SPEC_HELP.split('\n').map((l) => `  ${l}`).join('\n')}

Examples:
  $ ipvs-harness kernels
  $ ipvs-harness kernels --available             # series -> newest package, e.g. 7.3  linux-image-7.3.4+deb13-cloud-amd64 (trixie-backports)
  $ ipvs-harness kernels --update --json

Default matrix of a bare \`run\`: ${DEFAULT_KERNEL_SPECS.join(' ')}
(the seed's own 5.10 generation, Debian oldstable, stable, and the newest kernel Debian serves).`)
    .action(async (opts: { update?: boolean; available?: boolean; json?: boolean; cacheDir?: string }) => {
      const { listKernels } = await import('../../vm/kernel-listing.ts');
      const { vmEventPrinter } = await import('../render-vm-events.ts');
      const { cacheDirOption } = await import('../inputs/option-values.ts');
      const cacheDir = cacheDirOption(opts.cacheDir);
      const interrupt = interruptSignal();
      try {
        const listing = await listKernels({ cacheDir, signal: interrupt.signal, onEvent: vmEventPrinter(), ...(opts.update ? { update: true } : {}), ...(opts.available ? { available: true } : {}) });
        if (opts.json) {
          process.stdout.write(JSON.stringify(listing, null, 2) + '\n');
          return;
        }
        const lines: string[] = [];
        if (listing.available) {
          lines.push('Available from Debian (series: newest cloud-amd64 package, version, suite):');
          for (const a of listing.available) lines.push(`  ${a.series.padEnd(6)} ${a.packageName.padEnd(42)} ${a.version.padEnd(20)} ${a.suite}${a.split ? '  (split package)' : ''}${a.missing ? `  NOT USABLE: ${a.missing.join(', ')} not published` : ''}`);
          lines.push('');
        }
        lines.push('Known kernel specs:');
        for (const k of listing.known) {
          lines.push(`  ${k.spec.padEnd(20)} ${k.packageName ? `${k.packageName} ${k.version} (${k.suite})` : '(run `ipvs-harness kernels --available` to resolve)'}`);
        }
        lines.push('  debian:<package>, path:<bzImage>, build:<linux tree>: see --help', '');
        lines.push(`Cached kernels in ${listing.cacheDir}:`);
        if (listing.cached.length === 0) lines.push('  (none yet: `ipvs-harness setup` downloads the default kernels)');
        for (const k of listing.cached) lines.push(`  ${k.release.padEnd(28)} ${k.packageName} ${k.version}  ${(k.bytes / 1e6).toFixed(0)} MB`);
        const ages = Object.entries(listing.listsAgeMs);
        if (ages.length > 0) lines.push('', `apt lists updated: ${ages.map(([r, ms]) => `${r} ${(ms / 3600_000).toFixed(1)} h ago`).join(', ')}`);
        process.stdout.write(lines.join('\n') + '\n');
      } finally {
        interrupt.dispose();
      }
    });
}
