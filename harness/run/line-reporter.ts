// Progress for humans: on a terminal, a status line rewritten in place plus one permanent line per
// finished cell; elsewhere (CI, pipes), plain timestamped lines.
import type { CellResult, RunResults, StepResult } from '../../analysis/report/results.ts';
import type { CellRef, Reporter } from './reporter.ts';

const ICON: Record<CellResult['status'], string> = { passed: 'PASS', failed: 'FAIL', error: 'ERROR', skipped: 'SKIP' };

export class LineReporter implements Reporter {
  private readonly started = Date.now();
  private statusShown = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr, private readonly tty = Boolean(stream.isTTY) && !process.env['CI']) {}

  onRunStart(info: { kernels: string[]; scenarios: string[]; out: string }): void {
    this.line(`running ${info.scenarios.length} scenario(s) on ${info.kernels.length} kernel(s): ${info.kernels.join(', ')}; results in ${info.out}`);
  }

  onKernelStage(kernel: string, stage: string, detail?: string): void {
    const text = `${kernel}: ${stage}${detail ? ` (${detail})` : ''}`;
    if (this.tty) this.status(text);
    else this.line(text);
  }

  onScenarioStart(cell: CellRef): void {
    const text = `${cell.kernel} ${cell.scenario}: starting`;
    if (this.tty) this.status(text);
    else this.line(text);
  }

  onStepEnd(cell: CellRef, step: StepResult): void {
    const text = `${cell.kernel} ${cell.scenario}: step ${step.name} ${step.status}${step.outcome ? ` (${step.outcome})` : ''}`;
    if (this.tty) this.status(text);
    else this.line(text);
  }

  onScenarioEnd(cell: CellResult): void {
    const why = cell.status === 'error' ? ` [${cell.error?.phase}] ${cell.error?.message ?? ''}` : cell.status === 'failed' ? ` ${cell.failures[0] ?? ''}` : '';
    this.line(`${ICON[cell.status].padEnd(5)} ${cell.kernel} ${cell.scenario} (${(cell.durationMs / 1000).toFixed(1)} s)${why}`);
  }

  onRunEnd(results: RunResults, out: string): void {
    const s = results.summary;
    this.line(`${s.total} cell(s): ${s.passed} passed, ${s.failed} failed, ${s.error} error, ${s.skipped} skipped in ${(results.durationMs / 1000).toFixed(1)} s; results: ${out}/results.json`);
  }

  onError(error: unknown): void {
    this.line(`reporter error: ${error instanceof Error ? error.message : String(error)}`);
  }

  private status(text: string): void {
    this.stream.write(`\r\x1b[K${text.slice(0, (this.stream.columns ?? 100) - 1)}`);
    this.statusShown = true;
  }

  private line(text: string): void {
    const stamp = this.tty ? '' : `[${((Date.now() - this.started) / 1000).toFixed(1).padStart(6)}s] `;
    if (this.statusShown) this.stream.write('\r\x1b[K');
    this.statusShown = false;
    this.stream.write(`${stamp}${text}\n`);
  }
}
