// The names `--format` accepts for a trace. Kept apart from the trace reader so that a command's
// help can list them without loading the analyzer.
import type { TraceFormat } from '../../analysis/detect-format.ts';
import { UsageError } from '../errors.ts';

const FORMATS: Record<string, TraceFormat> = {
  'function_graph': 'function_graph',
  'function-graph': 'function_graph',
  'bpftrace': 'bpftrace-text',
  'bpftrace-calls': 'bpftrace-calls',
  'bpftrace-json': 'bpftrace-json',
  'bpftrace-text': 'bpftrace-text',
  'kprobe': 'kprobe-events',
  'kprobe-events': 'kprobe-events',
};

export const TRACE_FORMAT_NAMES = Object.keys(FORMATS);

/** `--format` as the user typed it; a usage error for an unknown one. */
export function traceFormatOption(name: string | undefined): TraceFormat | undefined {
  if (name === undefined) return undefined;
  const format = FORMATS[name];
  if (format === undefined) throw new UsageError(`unknown --format "${name}"; expected one of ${TRACE_FORMAT_NAMES.join(', ')}`);
  return format;
}
