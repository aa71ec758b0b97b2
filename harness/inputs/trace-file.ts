// Trace files for analyze, check and export: recognised before they are parsed (a function-tracer
// file, perf script output or a trace.dat is refused with what to capture instead), function_graph
// text streamed through the parser, every format read with a size limit.
// (The analyzer's modules one by one, not its index: `analyze` then loads no YAML parser at start.)
import { parseTrace, recognizeTrace, unsupportedParsedTrace, type TraceFormat, type UnsupportedTrace } from '../../analysis/detect-format.ts';
import { FunctionGraphParser } from '../../analysis/function-graph-parser.ts';
import type { Trace } from '../../analysis/model.ts';
import { inputError } from '../errors.ts';
import { inputName, readInputChunks, type InputSpec } from './read-input.ts';
import { TRACE_FORMAT_NAMES } from './trace-formats.ts';

/** function_graph text is streamed; the other formats are parsed whole, so they get a lower limit. */
export const MAX_STREAMED_TRACE_BYTES = 4 * 2 ** 30;
export const MAX_WHOLE_TRACE_BYTES = 256 * 2 ** 20;
const HEAD_BYTES = 64 * 1024;

const EXPECTED = 'a trace: the function_graph tracer\'s text (/sys/kernel/tracing/trace), bpftrace output, or tracefs kprobe event lines';

function refuse(path: string, u: UnsupportedTrace): Error {
  return inputError('TRACE_NOT_SUPPORTED', `${inputName(path)} is ${u.what}, not a trace the harness can judge; ${u.instead}`);
}

const spec = (path: string): InputSpec => ({
  path,
  what: 'trace file',
  code: 'TRACE_NOT_READABLE',
  expected: EXPECTED,
  maxBytes: MAX_STREAMED_TRACE_BYTES,
  limitWhy: 'the harness streams function_graph text up to this size',
});

/** Reads, recognises and parses a trace file (or standard input for `-`). */
export async function loadTrace(path: string, format?: TraceFormat): Promise<Trace> {
  const chunks = readInputChunks(spec(path));
  // The first 64 KiB decide the format; they are kept and fed to the parser first.
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let done = false;
  while (headBytes < HEAD_BYTES) {
    const next = await chunks.next();
    if (next.done) {
      done = true;
      break;
    }
    head.push(next.value);
    headBytes += next.value.length;
  }
  const headBuf = Buffer.concat(head);
  const recognized = recognizeTrace(headBuf);
  if (recognized.kind === 'unsupported' && (format === undefined || recognized.binary)) {
    await chunks.return(undefined);
    throw refuse(path, recognized);
  }
  const chosen = format ?? (recognized.kind === 'trace' ? recognized.format : null);
  if (chosen === null) {
    await chunks.return(undefined);
    throw inputError('UNKNOWN_TRACE_FORMAT', `${inputName(path)}: cannot tell the trace format from its first lines; pass ${EXPECTED}, or name the format with --format (${TRACE_FORMAT_NAMES.join(', ')})`);
  }
  let trace: Trace;
  if (chosen === 'function_graph') {
    const parser = new FunctionGraphParser();
    parser.pushBytes(headBuf);
    if (!done) for await (const chunk of chunks) parser.pushBytes(chunk);
    trace = parser.finish();
  } else {
    const all = [headBuf];
    let total = headBuf.length;
    if (!done) {
      for await (const chunk of chunks) {
        total += chunk.length;
        if (total > MAX_WHOLE_TRACE_BYTES) {
          await chunks.return(undefined);
          throw inputError('INPUT_TOO_LARGE', `trace file ${inputName(path)} is more than ${MAX_WHOLE_TRACE_BYTES / 2 ** 20} MiB of ${chosen} text; expected at most that (traces of this format are parsed whole); cut it to the section you need`);
        }
        all.push(Buffer.from(chunk));
      }
    }
    trace = parseTrace(Buffer.concat(all).toString('utf8'), chosen);
  }
  const empty = unsupportedParsedTrace(trace);
  if (empty) throw refuse(path, empty);
  return trace;
}
