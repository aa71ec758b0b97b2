// `ipvs-harness analyze <trace-file>`: the call trees of a trace as indented text, or the model as JSON.
// Thin adapter: the trace is read by harness/inputs/trace-file.ts, the rest is analysis/.
import type { Command } from 'commander';
import type { CallNode, RoleInstance } from '../../analysis/index.ts';
import { EXIT, setExitCode } from '../exit-codes.ts';
import { traceFormatOption, TRACE_FORMAT_NAMES } from '../inputs/trace-formats.ts';

export function roleAnnotator(instances: readonly RoleInstance[]): (node: CallNode) => string | null {
  const byNode = new Map(instances.map((i) => [i.node, i]));
  return (node) => {
    const i = byNode.get(node);
    if (!i) return null;
    const roles = i.roles.length > 0 ? i.roles.join('|') : 'no role';
    const how = i.hook !== null ? `hook ${i.hook} from ${i.hookSource}` : 'hook unknown';
    return `<${roles}${i.family !== null ? ` ipv${i.family}` : ''}; ${how}>`;
  };
}

export function registerAnalyze(program: Command): void {
  program
    .command('analyze')
    .description('print the call trees of a trace (ftrace function_graph, bpftrace, tracefs probe events)')
    .argument('<trace-file>', 'trace to read: a tracefs `trace` file, bpftrace output, or probe event lines; - for standard input')
    .option('--json', 'print the call-tree model as JSON (format "ipvs-harness/trace", version 1), with the flows (see `flows`)')
    .option('--format <format>', `input format instead of detecting it: ${TRACE_FORMAT_NAMES.join(', ')}`)
    .option('--kernel-release <release>', 'uname -r of the traced kernel, to name IPVS hook roles (default: inferred from the symbols)')
    .option('--no-durations', 'leave durations out of the text (stable output for diffs)')
    .addHelpText('after', `
Examples:
  $ ipvs-harness analyze trace.txt                         # indented trees, markers inline, hook roles
  $ ipvs-harness analyze trace.txt --json > trace.json      # the model: roots[], markers[], lostEvents, diagnostics[]
  $ ipvs-harness analyze bpftrace.json --format bpftrace-json
  $ ipvs-harness analyze trace.txt --kernel-release 6.1.0-57-cloud-amd64 --no-durations
  $ ssh guest cat /sys/kernel/tracing/trace | ipvs-harness analyze -

Hook calls are annotated with their IPVS role, e.g. <local_request; hook 3 from probe>;
"hook unknown" means a >= 5.16 kernel without a kprobe event giving the hook number.
Files the harness cannot judge are refused with what to capture instead: the function tracer's flat
lines, perf script output, trace-cmd's trace.dat, compressed or binary files.
Exit code: 0 parsed (diagnostics are printed, not fatal), 2 unreadable file, unknown or unsupported format.`)
    .action(async (file: string, opts: { json?: boolean; format?: string; kernelRelease?: string; durations: boolean }, command: Command) => {
      const { kernelReleaseOption } = await import('../inputs/option-values.ts');
      const { loadTrace } = await import('../inputs/trace-file.ts');
      const { findRoleInstances, resolveGeneration, summarizeRoles } = await import('../../analysis/roles.ts');
      const { renderTreeText } = await import('../../analysis/render-text.ts');
      const kernelRelease = kernelReleaseOption(opts.kernelRelease);
      const trace = await loadTrace(file, traceFormatOption(opts.format));
      if (opts.json) {
        const { flowsOf } = await import('../../analysis/flows.ts');
        process.stdout.write(`${JSON.stringify({ ...trace, flows: flowsOf(trace.roots) }, null, 2)}\n`);
        setExitCode(command, EXIT.ok);
        return;
      }
      const generation = resolveGeneration(trace, kernelRelease);
      const instances = findRoleInstances(trace, generation);
      process.stdout.write(renderTreeText(trace, { durations: opts.durations, annotate: roleAnnotator(instances) }));
      if (instances.length > 0) {
        const gen = generation.id === 'unknown' ? 'unknown' : `${generation.id} (${generation.source === 'kernel-release' ? `kernel ${generation.release}` : 'from symbols'})`;
        process.stdout.write(`# IPVS hook calls (kernel generation: ${gen}):\n`);
        for (const line of summarizeRoles(instances)) process.stdout.write(`#   ${line}\n`);
        if (generation.warning) process.stdout.write(`# warning: ${generation.warning}\n`);
      }
      const { flowsOf } = await import('../../analysis/flows.ts');
      const flows = flowsOf(trace.roots);
      if (flows.length > 0) {
        process.stdout.write('# flows (per step and with their hook calls: ipvs-harness flows <trace> --calls):\n');
        for (const f of flows) process.stdout.write(`#   flow ${f.id}: ${f.story}\n`);
      }
      setExitCode(command, EXIT.ok);
    });
}
