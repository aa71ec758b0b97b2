// `git bisect run` verdicts from a run's results: 0 good, 1 bad, 125 "cannot test this revision".
import type { RunResults } from '../../analysis/report/results.ts';
import { EXIT } from '../exit-codes.ts';

export interface BisectVerdict {
  exitCode: number;
  word: 'good' | 'bad' | 'skip';
  reason: string;
}

/** Phases in which a failure says nothing about the behaviour under test: skip the revision. */
const UNTESTABLE_PHASES = new Set(['kernel', 'boot', 'setup', 'trace', 'interrupted']);

export function bisectVerdict(results: RunResults): BisectVerdict {
  const kernel = results.kernels[0];
  if (kernel?.error) return { exitCode: EXIT.untestable, word: 'skip', reason: `the kernel cannot be tested: [${kernel.error.code}] ${kernel.error.message}` };
  const untestable = results.cells.find((c) => c.status === 'error' && UNTESTABLE_PHASES.has(c.error?.phase ?? 'kernel'));
  if (untestable) return { exitCode: EXIT.untestable, word: 'skip', reason: `${untestable.scenario} could not run (${untestable.error?.phase}): ${untestable.error?.message}` };
  const skipped = results.cells.find((c) => c.status === 'skipped');
  if (skipped) return { exitCode: EXIT.untestable, word: 'skip', reason: `${skipped.scenario} was skipped: ${skipped.skipReason}` };
  // An error while the traffic runs (a panic in the IPVS path, a guest that stops answering) is the kernel's behaviour.
  const broken = results.cells.find((c) => c.status === 'error');
  if (broken) return { exitCode: EXIT.failed, word: 'bad', reason: `${broken.scenario}: the guest broke during ${broken.error?.phase}: ${broken.error?.message}` };
  const failed = results.cells.find((c) => c.status === 'failed');
  if (failed) return { exitCode: EXIT.failed, word: 'bad', reason: `${failed.scenario} failed: ${failed.failures[0] ?? ''}` };
  if (results.cells.length === 0) return { exitCode: EXIT.untestable, word: 'skip', reason: 'nothing ran' };
  return { exitCode: EXIT.ok, word: 'good', reason: `${results.cells.map((c) => c.scenario).join(', ')} passed on ${kernel?.release ?? kernel?.spec ?? 'the kernel'}` };
}
