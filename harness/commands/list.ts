// `ipvs-harness list`: the scenarios of the seed suite (or given files), one line each.
import type { Command } from 'commander';
import { DEFAULT_MATRIX_NOTE } from '../../vm/kernel-spec.ts';

export function registerList(program: Command): void {
  program
    .command('list')
    .description('list the scenarios (seed suite, or the given files) with their steps')
    .argument('[files...]', 'scenario files to validate and list instead of the seed suite')
    .option('--json', 'print the parsed scenarios as JSON')
    .addHelpText('after', `
Examples:
  $ ipvs-harness list
  $ ipvs-harness list ./my-scenario.yaml        # also validates the file (exit 2 with every problem)`)
    .action(async (files: string[], opts: { json?: boolean }) => {
      // The seed suite comes from the build's cache when unchanged: no YAML parser loaded at all.
      const { cachedSeedSuite } = await import('../seed-cache.ts');
      const loaded = (files.length === 0 ? cachedSeedSuite() : null) ?? (await import('../scenario-loader.ts')).selectScenarios(files);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(loaded.map((l) => l.scenario), null, 2)}\n`);
        return;
      }
      const width = Math.max(...loaded.map((l) => l.scenario.name.length));
      for (const { scenario: s } of loaded) {
        process.stdout.write(`${s.name.padEnd(width)}  ${s.summary}\n`);
        if (s.kubernetes) process.stdout.write(`${''.padEnd(width)}  kubernetes: ${s.kubernetes}\n`);
        process.stdout.write(`${''.padEnd(width)}  steps: ${s.steps.map((st) => st.name).join(', ')}; graphs: ${s.graphs.length}; tags: ${s.tags.join(', ')}\n`);
      }
      if (files.length === 0) {
        // Not a scenario file: a guest cell that only runs when named (`run -s selftest:ipvs.sh`).
        process.stdout.write(`\nalso, when named with -s: selftest:ipvs.sh  the kernel's own selftests/net/netfilter/ipvs.sh, from Debian's linux-source (see \`ipvs-harness selftest --help\`)\n`);
        process.stdout.write(`\n${DEFAULT_MATRIX_NOTE}\n`);
      }
    });
}
