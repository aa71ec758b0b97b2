// `ipvs-harness check <trace-file> --expect <graph-file>`: judges a trace against expected call graphs.
// Exit 0 when every graph holds, 1 with the diff when one does not, 2 on bad input.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { matchExpectedGraph, parseExpectedGraphOrThrow, type ExpectedGraph, type Verdict } from '../../analysis/index.ts';
import { EXIT, setExitCode } from '../exit-codes.ts';
import { ignoreClosedStdout, inputError, loadTrace } from './analyze.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

async function loadGraph(file: string): Promise<ExpectedGraph> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw inputError('GRAPH_NOT_READABLE', `cannot read expected graph ${file}: ${(err as Error).message}; pass a YAML graph file (see docs/analysis.md)`);
  }
  return parseExpectedGraphOrThrow(text, file);
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('judge a trace against expected call graphs (YAML), with a readable diff when one does not hold')
    .argument('<trace-file>', 'trace to judge (function_graph text, bpftrace output or probe event lines)')
    .requiredOption('-e, --expect <graph-file>', 'expected graph (YAML, repeatable)', collect)
    .option('--kernel-release <release>', 'uname -r of the traced kernel: picks the IPVS symbol generation (default: inferred from the symbols)')
    .option('--section <name>', 'judge only the calls between the trace_marker lines of this section (overrides the graph\'s)')
    .option('--format <format>', 'input format instead of detecting it (function_graph, bpftrace-json, bpftrace-text, kprobe-events)')
    .option('--include-irq', 'also search calls made in interrupts')
    .option('--cross-hooks', 'also search inside nested hook calls (by default each is judged as a root of its own)')
    .option('--json', 'print the verdicts as JSON')
    .addHelpText('after', `
Examples:
  $ ipvs-harness check trace.txt --expect analysis/graphs/local-request.yaml
  $ ipvs-harness check trace.txt -e local-reply.yaml -e no-destination.yaml --kernel-release 5.10.0-46-cloud-amd64
  $ ipvs-harness check trace.txt -e graph.yaml --section "step connect"    # calls between the step's markers

Exit code: 0 every graph holds, 1 a graph does not hold (the diff shows the expected path, the
closest actual subtree and the first missing or out-of-order call), 2 bad input (missing file,
invalid graph: every problem is listed with file, field, line and the fix; or a trace with holes
where the graphs failed: lost events, a file cut off; the verdict says INCOMPLETE TRACE).`)
    .action(
      async (
        file: string,
        opts: { expect: string[]; kernelRelease?: string; section?: string; format?: string; includeIrq?: boolean; crossHooks?: boolean; json?: boolean },
        command: Command,
      ) => {
        ignoreClosedStdout();
        // Graphs first: a broken graph is bad input whatever the trace says.
        const graphs: ExpectedGraph[] = [];
        const problems: string[] = [];
        for (const g of opts.expect) {
          try {
            graphs.push(await loadGraph(g));
          } catch (err) {
            if ((err as { code?: string }).code === 'INVALID_GRAPH' || (err as { code?: string }).code === 'GRAPH_NOT_READABLE') problems.push((err as Error).message);
            else throw err;
          }
        }
        if (problems.length > 0) throw Object.assign(inputError('INVALID_GRAPH', problems.join('\n')), {});
        const trace = await loadTrace(file, opts.format);
        const verdicts: Verdict[] = graphs.map((g) =>
          matchExpectedGraph(trace, g, {
            kernelRelease: opts.kernelRelease ?? null,
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
      },
    );
}
