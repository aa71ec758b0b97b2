// One Reporter interface with optional hooks (Playwright's reporter, in small). The runner calls
// a multiplexer; a reporter that throws is reported once and never breaks the run.
import type { CellResult, RunResults, StepResult } from '../../analysis/report/results.ts';

export interface CellRef {
  kernel: string;
  scenario: string;
}

export interface Reporter {
  onRunStart?(info: { kernels: string[]; scenarios: string[]; out: string }): void;
  onKernelStage?(kernel: string, stage: string, detail?: string): void;
  onScenarioStart?(cell: CellRef): void;
  onStepEnd?(cell: CellRef, step: StepResult): void;
  onScenarioEnd?(cell: CellResult): void;
  onRunEnd?(results: RunResults, out: string): void;
  onError?(error: unknown): void;
}

type Hook = Exclude<keyof Reporter, 'onError'>;

export function multiplex(reporters: Reporter[]): Required<Pick<Reporter, Hook>> {
  const call = <K extends Hook>(hook: K) => (...args: Parameters<NonNullable<Reporter[K]>>) => {
    for (const r of reporters) {
      try {
        (r[hook] as ((...a: unknown[]) => void) | undefined)?.apply(r, args);
      } catch (err) {
        for (const other of reporters) other.onError?.(err);
      }
    }
  };
  return {
    onRunStart: call('onRunStart'),
    onKernelStage: call('onKernelStage'),
    onScenarioStart: call('onScenarioStart'),
    onStepEnd: call('onStepEnd'),
    onScenarioEnd: call('onScenarioEnd'),
    onRunEnd: call('onRunEnd'),
  };
}
