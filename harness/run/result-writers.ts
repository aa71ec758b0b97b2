// The files written beside results.json after a run or a merge (HTML report, JUnit).
import type { RunResults } from '../../analysis/report/results.ts';

export type ResultWriter = (results: RunResults, out: string) => void;

const writers: ResultWriter[] = [];

/** Report renderers register here, so `run` and `merge` write the same files. */
export function registerResultWriter(writer: ResultWriter): void {
  writers.push(writer);
}

export function resultWriters(): ResultWriter[] {
  return [...writers];
}
