// The work of `ipvs-harness flows` (harness/commands/flows.ts), loaded only when the command runs:
// a trace or a results folder read, its flows per step, filtered, printed.
import { existsSync, statSync } from 'node:fs';
import { flowMatches, parseFlowFilter, renderFlowsText, type FlowFilter } from '../../analysis/flows.ts';
import { attachConnections, attachNames, flowsByStep, type StepFlows } from '../../analysis/step-flows.ts';
import { inputError } from '../errors.ts';
import { loadTrace } from '../inputs/trace-file.ts';
import { insideFolder } from './load-run.ts';
import { readResults } from '../run/results-folder.ts';

interface Capture {
  kernel?: string;
  scenario?: string;
  steps: StepFlows[];
}

export async function printFlows(input: string, opts: { flow?: string; calls?: boolean; json?: boolean }): Promise<void> {
  let filter: FlowFilter | null = null;
  if (opts.flow !== undefined) {
    const parsed = parseFlowFilter(opts.flow);
    if (typeof parsed === 'string') throw inputError('BAD_FLOW_FILTER', `--flow "${opts.flow}": ${parsed}`);
    filter = parsed;
  }
  const captures: Capture[] = [];
  if (input !== '-' && existsSync(input) && statSync(input).isDirectory()) {
    const results = readResults(input);
    for (const cell of results.cells) {
      const rel = cell.artifacts.trace;
      const file = rel === undefined ? null : insideFolder(input, rel);
      if (file === null || !existsSync(file)) continue;
      const steps = flowsByStep(await loadTrace(file));
      attachConnections(steps, cell.steps);
      attachNames(steps, cell.hostNames);
      captures.push({ kernel: cell.kernel, scenario: cell.scenario, steps });
    }
  } else {
    captures.push({ steps: flowsByStep(await loadTrace(input)) });
  }
  for (const c of captures) {
    for (const s of c.steps) {
      if (filter !== null) s.flows = s.flows.filter((f) => flowMatches(f, filter!));
    }
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(captures, null, 2)}\n`);
    return;
  }
  const out: string[] = [];
  for (const c of captures) {
    if (filter !== null && c.steps.every((s) => s.flows.length === 0)) continue;
    if (c.kernel !== undefined) out.push(`== ${c.kernel} ${c.scenario}`);
    for (const s of c.steps) {
      if (s.flows.length === 0 && s.unattributed === 0) continue;
      out.push(s.step === null ? '-- outside the steps' : `-- step ${s.step}`);
      const text = opts.calls ? renderFlowsText(s.flows) : s.flows.map((f) => `flow ${f.id}: ${f.who ? `(${f.who}) ` : ''}${f.story}\n`).join('');
      if (text !== '') out.push(text.trimEnd());
      if (s.unattributed > 0) out.push(`(${s.unattributed} hook call(s) without a packet: the trace has no flow probes there)`);
    }
  }
  process.stdout.write(out.length > 0 ? `${out.join('\n')}\n` : 'no flows\n');
}
