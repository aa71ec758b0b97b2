// The traces `export --perfetto` turns into one Chrome/Perfetto JSON: one trace file (or standard
// input), or every traced cell of a results folder, with the steps named by the runner's markers.
import { join } from 'node:path';
import type { TraceFormat } from '../../analysis/index.ts';
import type { Trace } from '../../analysis/model.ts';
import type { PerfettoInput } from '../../analysis/report/perfetto.ts';
import { stepsInTrace, stepSpans } from '../../analysis/step-markers.ts';
import { inputError } from '../errors.ts';
import { readResults } from '../run/results-folder.ts';
import { insideFolder } from '../report/load-run.ts';
import { STDIN_PATH } from './read-input.ts';
import { loadTrace } from './trace-file.ts';

export async function perfettoInputs(input: string, isDir: boolean, kernelRelease: string | null, format: TraceFormat | undefined): Promise<PerfettoInput[]> {
  if (!isDir) {
    const trace = await loadTrace(input, format);
    return [{ trace, label: input === STDIN_PATH ? 'stdin' : input.split('/').slice(-3).join('/'), kernelRelease, steps: stepsInTrace(trace) }];
  }
  const results = readResults(input);
  const out: PerfettoInput[] = [];
  for (const c of results.cells) {
    const full = c.artifacts.trace !== undefined ? insideFolder(input, c.artifacts.trace) : null;
    if (full === null) continue;
    let trace: Trace;
    try {
      trace = await loadTrace(full);
    } catch {
      continue; // a cell without a readable trace (error cell) has nothing to show
    }
    out.push({ trace, label: `${c.kernel} ${c.scenario}`, kernelRelease: c.kernelRelease ?? null, steps: stepSpans(c.steps) });
  }
  if (out.length === 0) throw inputError('NO_TRACES', `${join(input, 'results.json')}: no cell has a readable trace; nothing to export`);
  return out;
}

