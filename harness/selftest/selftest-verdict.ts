// The verdict of a kernel selftest from its exit status and parsed output, in kselftest's terms
// (exit 0 pass, 4 skip, anything else fail; running past the deadline fails), turned into the cell
// fields results.json holds: status, failures, sub-tests as steps, observations.
import type { CellStatus, StepResult } from '../../analysis/report/results.ts';
import type { SelftestOutput, Subtest } from './selftest-output.ts';

/** kselftest's exit code for "this test cannot run here". */
export const KSFT_SKIP = 4;

export interface SelftestRun {
  /** The script's name, e.g. ipvs.sh. */
  name: string;
  exitCode: number | null;
  signal: string | null;
  /** It ran past its deadline (see ranOutOfTime). */
  timedOut: boolean;
  timeoutS: number;
  /** Where the deadline came from, for the message: `settings timeout=120`, `--timeout`, ... */
  timeoutSource: string;
  output: SelftestOutput;
}

export interface SelftestVerdict {
  status: Exclude<CellStatus, 'error'>;
  skipReason?: string;
  failures: string[];
  /** Sub-tests with the unknown ones settled by the exit status where it allows. */
  subtests: Subtest[];
  /** One line: `ipvs.sh passed: DR mode, NAT mode, Tunnel mode` */
  summary: string;
}

/**
 * The guest runs the script under `timeout <s>`, which kills it with SIGTERM (the shell reports
 * 128+15; GNU timeout says 124); the SSH deadline behind it is a last resort.
 */
export function ranOutOfTime(r: { exitCode: number | null; timedOut: boolean; durationMs: number }, timeoutS: number): boolean {
  if (r.timedOut) return true;
  return (r.exitCode === 124 || r.exitCode === 143 || r.exitCode === 137) && r.durationMs >= timeoutS * 1000 - 1000;
}

export function judgeSelftest(run: SelftestRun): SelftestVerdict {
  const status: SelftestVerdict['status'] = run.timedOut ? 'failed' : run.exitCode === 0 ? 'passed' : run.exitCode === KSFT_SKIP ? 'skipped' : 'failed';
  // Exit 0 means every sub-test passed (ipvs.sh sums their statuses); exit 4 that none could run.
  const subtests = run.output.subtests.map((t): Subtest => {
    if (t.status !== 'unknown') return t;
    if (status === 'passed') return { ...t, status: 'passed', evidence: 'exit-status' };
    if (status === 'skipped') return { ...t, status: 'skipped', evidence: 'exit-status' };
    return t;
  });
  const failures: string[] = [];
  if (status === 'failed') {
    if (run.timedOut) failures.push(`${run.name} did not finish within ${run.timeoutS} s (${run.timeoutSource})`);
    else failures.push(`${run.name} exited ${run.exitCode ?? `on signal ${run.signal ?? '?'}`}${run.output.verdict ? ` (${run.output.verdict})` : ''}`);
    for (const t of subtests) {
      if (t.status === 'failed') failures.push(`sub-test ${t.name} failed`);
      else if (t.status === 'unknown') failures.push(`sub-test ${t.name}: no result (the script ${run.timedOut ? 'was stopped' : 'stopped'} before saying)`);
    }
  }
  const names = (s: Subtest['status']) => subtests.filter((t) => t.status === s).map((t) => t.name);
  const parts = (['passed', 'failed', 'skipped', 'unknown'] as const).map((s) => [s, names(s)] as const).filter(([, n]) => n.length > 0).map(([s, n]) => `${s}: ${n.join(', ')}`);
  const verdict: SelftestVerdict = { status, failures, subtests, summary: `${run.name} ${status}${parts.length ? ` (${parts.join('; ')})` : ''}` };
  if (status === 'skipped') verdict.skipReason = run.output.skipMessages[0] ? `${run.name} skipped itself: ${run.output.skipMessages[0]}` : `${run.name} exited ${KSFT_SKIP} (kselftest skip)`;
  return verdict;
}

/** Sub-tests as the cell's steps (the report's step table, the JUnit text). */
export function subtestSteps(subtests: readonly Subtest[]): StepResult[] {
  return subtests.map((t) => {
    const step: StepResult = {
      name: t.name,
      kind: 'subtest',
      status: t.status === 'unknown' ? 'error' : t.status,
      checks: [],
      durationMs: t.startMs !== undefined && t.endMs !== undefined ? Math.max(0, Math.round(t.endMs - t.startMs)) : 0,
      detail: EVIDENCE[t.evidence],
    };
    if (t.status === 'unknown') step.detail = 'no result in the output';
    return step;
  });
}

const EVIDENCE: Record<Subtest['evidence'], string> = {
  'errors-count': "from the script's error count (shell trace)",
  'test-line': 'from its TEST: line',
  ktap: 'from its KTAP line',
  'exit-status': "from the script's exit status",
  none: 'no result in the output',
};
