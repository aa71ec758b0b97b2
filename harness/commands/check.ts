// `ipvs-harness check <trace-file> --expect <graph-file>`: judges a trace against expected call graphs.
// Exit 0 when every graph holds, 1 with the diff when one does not, 2 on bad input.
import type { Command } from 'commander';
import type { Verdict } from '../../analysis/index.ts';
import { UsageError } from '../errors.ts';
import { EXIT, setExitCode } from '../exit-codes.ts';
import { traceFormatOption, TRACE_FORMAT_NAMES } from '../inputs/trace-formats.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface CheckOptions {
  expect: string[];
  kernelRelease?: string;
  section?: string;
  format?: string;
  includeIrq?: boolean;
  crossHooks?: boolean;
  flow?: string;
  json?: boolean;
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('judge a trace against expected call graphs (YAML), with a readable diff when one does not hold')
    .argument('<trace-file>', 'trace to judge (function_graph text, bpftrace output or probe event lines); - for standard input')
    .requiredOption('-e, --expect <graph-file>', 'expected graph (YAML, repeatable; - for standard input)', collect)
    .option('--kernel-release <release>', 'uname -r of the traced kernel: picks the IPVS symbol generation (default: inferred from the symbols)')
    .option('--section <name>', 'judge only the calls between the trace_marker lines of this section (overrides the graph\'s)')
    .option('--format <format>', `input format instead of detecting it (${TRACE_FORMAT_NAMES.join(', ')})`)
    .option('--include-irq', 'also search calls made in interrupts')
    .option('--cross-hooks', 'also search inside nested hook calls (by default each is judged as a root of its own)')
    .option('--flow <flow>', 'judge only the calls of this flow (a trace with the flow probes): "<client address or *> -> <address>[:port][/proto]"')
    .option('--json', 'print the verdicts as JSON')
    .addHelpText('after', `
Examples:
  $ ipvs-harness check trace.txt --expect analysis/graphs/local-request.yaml
  $ ipvs-harness check trace.txt -e graph.yaml --section "step request" --flow '10.244.2.2 -> 10.96.0.10:80/tcp'
  $ ipvs-harness check trace.txt -e local-reply.yaml -e no-destination.yaml --kernel-release 5.10.0-46-cloud-amd64
  $ ipvs-harness check trace.txt -e graph.yaml --section "step connect"    # calls between the step's markers
  $ cat trace.txt | ipvs-harness check - -e graph.yaml

Exit code: 0 every graph holds, 1 a graph does not hold (the diff shows the expected path, the
closest actual subtree and the first missing or out-of-order call), 2 bad input (missing file,
invalid graph: every problem is listed with file, field, line and the fix; a trace of a kind the
harness does not read; a --section no marker opens; a malformed --kernel-release; or a trace with
holes where the graphs failed: lost events, a file cut off; the verdict says INCOMPLETE TRACE).`)
    .action(async (file: string, opts: CheckOptions, command: Command) => {
      const { loadGraphs } = await import('../inputs/graph-file.ts');
      const { checkSectionOption, kernelReleaseOption } = await import('../inputs/option-values.ts');
      const { loadTrace } = await import('../inputs/trace-file.ts');
      const { matchExpectedGraph } = await import('../../analysis/index.ts');
      if ([file, ...opts.expect].filter((p) => p === '-').length > 1) throw new UsageError('standard input (-) can be read once: give the trace or one graph as -, and the others as files');
      const kernelRelease = kernelReleaseOption(opts.kernelRelease);
      const format = traceFormatOption(opts.format);
      // Graphs first: a broken graph is bad input whatever the trace says.
      const graphs = await loadGraphs(opts.expect);
      let trace = await loadTrace(file, format);
      checkSectionOption(opts.section, trace);
      if (opts.flow !== undefined) {
        const { resolveFlow, NO_FLOW_NAMES } = await import('../../scenarios/flow-names.ts');
        const { scopeToFlow } = await import('../../analysis/flow-scope.ts');
        const sel = resolveFlow(opts.flow, NO_FLOW_NAMES);
        if (typeof sel === 'string') throw new UsageError(`--flow "${opts.flow}": ${sel}`);
        const scoped = scopeToFlow(trace, sel);
        process.stderr.write(`--flow ${opts.flow}: ${scoped.flows} flow(s) of the trace selected\n`);
        trace = scoped.trace;
      }
      const verdicts: Verdict[] = graphs.map((g) =>
        matchExpectedGraph(trace, g, {
          kernelRelease,
          ...(opts.section !== undefined ? { section: opts.section } : {}),
          includeIrq: opts.includeIrq ?? false,
          crossHooks: opts.crossHooks ?? false,
        }),
      );
      if (opts.json) process.stdout.write(`${JSON.stringify(verdicts.map(({ diffText: _d, ...v }) => v), null, 2)}\n`);
      else for (const v of verdicts) process.stdout.write(v.diffText);
      // A graph that fails only where the trace has holes (lost events, cut off) is no evidence either way.
      const failing = verdicts.filter((v) => !v.holds);
      if (failing.length > 0 && failing.every((v) => v.incomplete !== undefined)) {
        process.stderr.write(`the trace is incomplete where the graphs looked: ${failing[0]!.incomplete}\n`);
        setExitCode(command, EXIT.badInput);
      } else setExitCode(command, failing.length === 0 ? EXIT.ok : EXIT.failed);
    });
}
