// One kernel x scenario cell as the kernel runner sees it: something that runs on a booted guest and
// returns how it ended: finished with its result, or broken off by the guest in a phase. Scenarios are one kind (run-kernel.ts), the kernel's own selftests another
// (harness/selftest); both share the boot, the reuse of one guest, the error cells and the artifacts.
import type { GuestShellKind } from '../../vm/guest-ssh.ts';
import type { CellPhase, CellResult, ScenarioInfo, StepResult } from '../../analysis/report/results.ts';
import type { Guest } from '../../vm/guest.ts';
import type { LoggedShell } from './guest-shell.ts';

export interface GuestCellContext {
  guest: Guest;
  /** Logs every command; becomes the cell's commands.log. */
  shell: LoggedShell;
  /** The spec as the user wrote it (the cell's `kernel`). */
  kernel: string;
  /** The results folder, and the cell's folder inside it (relative). */
  out: string;
  dir: string;
  signal?: AbortSignal;
  /** Progress: a step (or sub-test) finished. */
  onStep: (step: StepResult) => void;
  /** Progress of long host-side work (a download), shown like the kernel's boot stages. */
  progress: (stage: string, detail?: string) => void;
}

export interface GuestCell {
  /** The cell's name in the matrix and in results.json (`pod-to-vip`, `selftest:ipvs.sh`). */
  name: string;
  /** What results.json's `scenarios` says about it. */
  info: ScenarioInfo;
  /** Kernel options (y or m) the cell needs beyond the harness's own: checked before booting. */
  kernelOptions?: readonly { option: string; why: string }[];
  /**
   * The shell of the cell's guest commands: 'busybox' (static ash, ~25 ms less per exec under TCG) for
   * scripts the harness writes and knows to name iproute2 by its path; dash otherwise (default), which
   * a selftest's `sh` scripts need (ash's applets come before $PATH: its `ip` has no netns).
   */
  scriptShell?: GuestShellKind;
  /** Runs on the booted guest. Writes its own artifacts under ctx.dir; a guest failure comes back as `broken`. */
  run(ctx: GuestCellContext): Promise<CellOutcome>;
}

/** `broken`: the guest failed under the cell (panic, lost SSH, a command that hung) in `phase`. */
export type CellOutcome =
  | { kind: 'finished'; cell: CellResult; traceable?: readonly string[] }
  | { kind: 'broken'; phase: CellPhase; error: unknown };
