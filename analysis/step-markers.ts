// The runner's trace_marker lines and the step sections they cut a trace into, in one place: the
// runner writes these texts into the guest's trace (scenarios/trace-plan.ts), the judge, the report,
// the call-graph summary and the Perfetto export read them back.
import type { Trace } from './model.ts';
import { findSection, type SectionRange, type SectionSpec } from './section.ts';

/** Every marker the runner writes starts with this (bpftrace picks them out of write(2) by it). */
export const STEP_MARKER_PREFIX = 'ipvs-harness ';
const STEP_PREFIX = 'ipvs-harness step ';

/** The last event of every trace the runner collects: a trace without it was cut off. */
export const TRACE_END_MARKER = 'ipvs-harness trace end';

export type StepEdge = 'begin' | 'end';

/** The marker text the runner writes where a step begins or ends. */
export function stepMarker(step: string, edge: StepEdge): string {
  return `${STEP_PREFIX}${step} ${edge}`;
}

/** The calls between a step's two markers. */
export function stepSection(step: string): SectionSpec {
  return { from: stepMarker(step, 'begin'), to: stepMarker(step, 'end') };
}

/** A step and its section, as the report, the summary and the export take them. */
export interface StepSpan {
  name: string;
  section: SectionSpec;
}

export function stepSpans(steps: ReadonlyArray<{ name: string }>): StepSpan[] {
  return steps.map((s) => ({ name: s.name, section: stepSection(s.name) }));
}

/** The steps whose begin marker is in the trace, in trace order (a trace file read on its own). */
export function stepsInTrace(trace: Trace): StepSpan[] {
  const names: string[] = [];
  for (const m of trace.markers) {
    if (m.kind !== 'marker' || !m.text.startsWith(STEP_PREFIX)) continue;
    const rest = m.text.slice(STEP_PREFIX.length).trim();
    const cut = rest.lastIndexOf(' ');
    if (cut > 0 && rest.slice(cut + 1) === 'begin' && !names.includes(rest.slice(0, cut))) names.push(rest.slice(0, cut));
  }
  return stepSpans(names.map((name) => ({ name })));
}

/** Each step's range in the trace (null when its markers are not there). */
export function stepRanges(trace: Trace, steps: readonly StepSpan[]): Array<{ name: string; range: SectionRange | null }> {
  return steps.map((s) => {
    const found = findSection(trace, s.section);
    return { name: s.name, range: found.ok ? found.range : null };
  });
}
