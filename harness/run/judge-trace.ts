// Judges a scenario's trace with the analyzer: parse, split by step markers, match each expected
// graph, and state plainly what the hooks did. Filled in on the analyzer's public API.
import type { CellResult, GraphResult } from '../../analysis/report/results.ts';
import type { Scenario } from '../../scenarios/schema.ts';

export interface Judged {
  graphs: GraphResult[];
  observations: string[];
  summary: NonNullable<CellResult['trace']>;
}

export type JudgeTrace = (traceText: string, scenario: Scenario, kernelRelease: string) => Judged;

/** Placeholder until the analyzer lands: counts lines only. */
export const judgeTrace: JudgeTrace = (traceText) => ({
  graphs: [],
  observations: [],
  summary: { lines: traceText.split('\n').length, roots: 0, lostEvents: 0, diagnostics: 0, hooksWithNumber: 0 },
});

export function checkGraphForScenario(_graph: Record<string, unknown>): { path: (string | number)[]; message: string }[] {
  return [];
}
