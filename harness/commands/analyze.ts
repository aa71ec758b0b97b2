// `ipvs-harness analyze <trace-file>`: the call trees of a trace as indented text, or the model as JSON.
// Thin adapter: reads the file (streaming function_graph text through the parser), the rest is analysis/.
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  detectTraceFormat,
  findRoleInstances,
  FunctionGraphParser,
  parseTrace,
  renderTreeText,
  resolveGeneration,
  summarizeRoles,
  type CallNode,
  type RoleInstance,
  type Trace,
  type TraceFormat,
} from '../../analysis/index.ts';
import { EXIT, setExitCode } from '../exit-codes.ts';

const FORMATS: Record<string, TraceFormat> = {
  'function_graph': 'function_graph',
  'function-graph': 'function_graph',
  'bpftrace': 'bpftrace-text',
  'bpftrace-json': 'bpftrace-json',
  'bpftrace-text': 'bpftrace-text',
  'kprobe': 'kprobe-events',
  'kprobe-events': 'kprobe-events',
};

/** `analyze ... | head` closes stdout early: stop writing quietly instead of crashing on EPIPE. */
export function ignoreClosedStdout(): void {
  if (process.stdout.listenerCount('error') > 0) return;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

export function inputError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, exitCode: EXIT.badInput });
}

async function readHead(file: string): Promise<string> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw inputError('TRACE_NOT_READABLE', `cannot read trace file ${file}: ${(err as Error).message}; pass the path of a trace (ftrace \`trace\` file, bpftrace output or tracefs event lines)`);
  }
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** Reads and parses a trace file; function_graph text is streamed through the parser. */
export async function loadTrace(file: string, format?: string): Promise<Trace> {
  let chosen: TraceFormat | null = null;
  if (format !== undefined) {
    chosen = FORMATS[format] ?? null;
    if (chosen === null) throw inputError('USAGE', `unknown --format "${format}"; expected one of ${Object.keys(FORMATS).join(', ')}`);
  }
  const head = await readHead(file);
  chosen ??= detectTraceFormat(head);
  if (chosen === null) {
    throw inputError('UNKNOWN_TRACE_FORMAT', `${file}: cannot tell the trace format from its first lines; expected function_graph text, bpftrace output (-f json or text) or tracefs event lines, or pass --format`);
  }
  if (chosen !== 'function_graph') return parseTrace(await readFile(file, 'utf8'), chosen);
  const parser = new FunctionGraphParser();
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  for await (const chunk of stream) parser.pushText(chunk as string);
  return parser.finish();
}

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
    .argument('<trace-file>', 'trace to read: a tracefs `trace` file, bpftrace output, or probe event lines')
    .option('--json', 'print the call-tree model as JSON (format "ipvs-harness/trace", version 1)')
    .option('--format <format>', `input format instead of detecting it: ${Object.keys(FORMATS).join(', ')}`)
    .option('--kernel-release <release>', 'uname -r of the traced kernel, to name IPVS hook roles (default: inferred from the symbols)')
    .option('--no-durations', 'leave durations out of the text (stable output for diffs)')
    .addHelpText('after', `
Examples:
  $ ipvs-harness analyze trace.txt                         # indented trees, markers inline, hook roles
  $ ipvs-harness analyze trace.txt --json > trace.json      # the model: roots[], markers[], lostEvents, diagnostics[]
  $ ipvs-harness analyze bpftrace.json --format bpftrace-json
  $ ipvs-harness analyze trace.txt --kernel-release 6.1.0-56-cloud-amd64 --no-durations

Hook calls are annotated with their IPVS role, e.g. <local_request; hook 3 from probe>;
"hook unknown" means a >= 5.16 kernel without a kprobe event giving the hook number.
Exit code: 0 parsed (diagnostics are printed, not fatal), 2 unreadable file or unknown format.`)
    .action(async (file: string, opts: { json?: boolean; format?: string; kernelRelease?: string; durations: boolean }, command: Command) => {
      ignoreClosedStdout();
      const trace = await loadTrace(file, opts.format);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(trace, null, 2)}\n`);
        setExitCode(command, EXIT.ok);
        return;
      }
      const generation = resolveGeneration(trace, opts.kernelRelease ?? null);
      const instances = findRoleInstances(trace, generation);
      process.stdout.write(renderTreeText(trace, { durations: opts.durations, annotate: roleAnnotator(instances) }));
      if (instances.length > 0) {
        const gen = generation.id === 'unknown' ? 'unknown' : `${generation.id} (${generation.source === 'kernel-release' ? `kernel ${generation.release}` : 'from symbols'})`;
        process.stdout.write(`# IPVS hook calls (kernel generation: ${gen}):\n`);
        for (const line of summarizeRoles(instances)) process.stdout.write(`#   ${line}\n`);
        if (generation.warning) process.stdout.write(`# warning: ${generation.warning}\n`);
      }
      setExitCode(command, EXIT.ok);
    });
}
