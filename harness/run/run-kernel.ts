// Runs the cells of one kernel (its scenarios, then any other guest cells such as the kernel's own
// selftest) on as few boots as possible: one guest serves every cell, reset and checked clean between them; a guest that breaks (panic, lost SSH) or stays dirty is
// replaced by a fresh boot. Every failure becomes a classified cell result, never a lost run.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CellPhase, CellResult, ErrorInfo, KernelRun, StepResult } from '../../analysis/report/results.ts';
import { cleanCheckCommand, resetCommand } from '../../scenarios/guest-state.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import { bootGuest, type Guest } from '../../vm/guest.ts';
import type { VmEvent } from '../../vm/events.ts';
import type { GuestCell } from './guest-cell.ts';
import { LoggedShell } from './guest-shell.ts';
import { cellDir, kernelSlug, writeAtomic } from './results-folder.ts';
import type { Reporter } from './reporter.ts';
import { runScenario } from './run-scenario.ts';
import type { TestFault } from './test-fault.ts';

export interface KernelRunOptions {
  spec: string;
  scenarios: { scenario: Scenario; file: string }[];
  /** Cells that are not scenarios (the kernel's own selftest), run on the same guest after them. */
  guestCells?: GuestCell[];
  out: string;
  cacheDir?: string;
  modulesDir?: string;
  configPath?: string;
  tracing: boolean;
  bpftrace?: boolean;
  reporter: Required<Pick<Reporter, 'onKernelStage' | 'onScenarioStart' | 'onStepEnd' | 'onScenarioEnd'>>;
  signal?: AbortSignal;
  /** Boot a fresh guest for every scenario (benchmarks compare this with reuse). */
  freshBoot?: boolean;
  bootTimeoutMs?: number;
  /** File name of this guest's console log under the kernel's folder. */
  consoleName?: string;
  onVmEvent?: (e: VmEvent) => void;
  /** Fault tests only (IPVS_HARNESS_TEST_FAULT): crash the guest before a given command. */
  testFault?: TestFault;
}

export async function runKernel(opts: KernelRunOptions): Promise<{ kernel: KernelRun; cells: CellResult[] }> {
  const kernel: KernelRun = { spec: opts.spec, bootMs: [] };
  const cells: CellResult[] = [];
  let guest: Guest | undefined;
  let bootError: ErrorInfo | undefined;
  let consoleParts: string[] = [];

  const powerOff = async () => {
    if (!guest) return;
    consoleParts.push(readConsole(guest));
    const g = guest;
    guest = undefined;
    await g.powerOff().catch(() => undefined);
  };

  try {
    for (const item of [...opts.scenarios.map((s) => scenarioCell(s.scenario, s.file, opts)), ...(opts.guestCells ?? [])]) {
      const ref = { kernel: opts.spec, scenario: item.name };
      if (opts.signal?.aborted) {
        cells.push(skipped(opts.spec, item.name, 'the run was interrupted'));
        continue;
      }
      if (bootError) {
        cells.push(errorCell(opts.spec, item.name, bootError, kernel.release));
        opts.reporter.onScenarioEnd(cells[cells.length - 1]!);
        continue;
      }
      if (!guest) {
        try {
          guest = await boot(opts, kernel);
        } catch (err) {
          bootError = toErrorInfo(err, opts.signal?.aborted ? 'interrupted' : isBadInput(err) ? 'kernel' : 'boot');
          cells.push(errorCell(opts.spec, item.name, bootError, kernel.release));
          opts.reporter.onScenarioEnd(cells[cells.length - 1]!);
          continue;
        }
      }
      opts.reporter.onScenarioStart(ref);
      const consoleStart = consoleLength(guest);
      const shell = new LoggedShell(guest, opts.signal, opts.testFault);
      const started = Date.now();
      let cell: CellResult;
      let keepGuest = !opts.freshBoot;
      const dir = cellDir(opts.spec, item.name);
      // Steps that finished before an error stay in the error cell: they say how far the scenario got.
      const finished: StepResult[] = [];
      const outcome = await item.run({
        guest, shell, kernel: opts.spec, out: opts.out, dir,
        onStep: (r) => {
          finished.push(r);
          opts.reporter.onStepEnd(ref, r);
        },
        progress: (stage, detail) => opts.reporter.onKernelStage(opts.spec, stage, detail),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      if (outcome.kind === 'finished') cell = outcome.cell;
      else {
        keepGuest = false;
        const interrupted = opts.signal?.aborted === true;
        const info = toErrorInfo(outcome.error, interrupted ? 'interrupted' : outcome.phase);
        const panic = panicText(guest);
        if (panic) Object.assign(info, { code: 'GUEST_PANIC', message: `the guest kernel panicked during ${outcome.phase}: ${panic}` });
        if (!info.details) info.details = tail(guest);
        cell = { ...errorCell(opts.spec, item.name, info, guest.kernel.release), durationMs: Date.now() - started, steps: finished };
      }
      writeAtomic(join(opts.out, dir, 'commands.log'), shell.text());
      cell.artifacts.commands = join(dir, 'commands.log');
      if (guest) {
        writeAtomic(join(opts.out, dir, 'console.log'), readConsole(guest).slice(consoleStart));
        cell.artifacts.console = join(dir, 'console.log');
      }
      if (guest && keepGuest && !opts.signal?.aborted) keepGuest = await resetGuest(guest, opts.signal);
      if (!keepGuest) await powerOff();
      cells.push(cell);
      opts.reporter.onScenarioEnd(cell);
    }
  } finally {
    await powerOff();
    const text = consoleParts.join('\n--- next boot ---\n');
    if (text) {
      const name = opts.consoleName ?? 'console.log';
      writeAtomic(join(opts.out, kernelSlug(opts.spec), name), text);
      kernel.console = join(kernelSlug(opts.spec), name);
    }
  }
  if (bootError) kernel.error = bootError;
  return { kernel, cells };
}

/** A scenario as a guest cell: topology, traffic, trace, judged; the raw trace saved beside it. */
function scenarioCell(scenario: Scenario, file: string, opts: KernelRunOptions): GuestCell {
  return {
    name: scenario.name,
    info: { name: scenario.name, summary: scenario.summary, tags: scenario.tags, file },
    run: async (ctx) => {
      const outcome = await runScenario(ctx.shell, scenario, {
        kernel: ctx.kernel, kernelRelease: ctx.guest.kernel.release, tracing: opts.tracing,
        onStep: (_s, r) => ctx.onStep(r),
        ...(opts.bpftrace ? { bpftrace: true } : {}),
      });
      if (outcome.kind === 'broken') return outcome;
      const { cell, artifacts } = outcome;
      try {
        if (opts.tracing) {
          writeAtomic(join(ctx.out, ctx.dir, 'trace.txt'), artifacts.trace);
          cell.artifacts.trace = join(ctx.dir, 'trace.txt');
        }
        if (artifacts.bpftrace !== undefined) {
          writeAtomic(join(ctx.out, ctx.dir, 'bpftrace.json'), artifacts.bpftrace);
          cell.artifacts.bpftrace = join(ctx.dir, 'bpftrace.json');
        }
      } catch (error) {
        return { kind: 'broken', phase: 'collect', error };
      }
      return { kind: 'finished', cell };
    },
  };
}

async function boot(opts: KernelRunOptions, kernel: KernelRun): Promise<Guest> {
  opts.reporter.onKernelStage(opts.spec, 'booting');
  const guest = await bootGuest({
    kernel: opts.spec,
    ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}),
    ...(opts.modulesDir ? { modulesDir: opts.modulesDir } : {}),
    ...(opts.configPath ? { configPath: opts.configPath } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.bootTimeoutMs ? { timeoutMs: opts.bootTimeoutMs } : {}),
    ...(opts.bpftrace ? { withBpftrace: true } : {}),
    onEvent: (e) => {
      opts.onVmEvent?.(e);
      if (e.kind === 'kernel-download') opts.reporter.onKernelStage(opts.spec, 'downloading', e.packageName);
      if (e.kind === 'image-built' && !e.cached) opts.reporter.onKernelStage(opts.spec, 'guest image built');
    },
  });
  kernel.label = guest.kernel.label;
  kernel.release = guest.kernel.release;
  kernel.source = guest.kernel.source;
  if (guest.kernel.imageSha256) kernel.imageSha256 = guest.kernel.imageSha256;
  if (guest.kernel.packages) kernel.packages = guest.kernel.packages;
  kernel.accel = guest.accel;
  kernel.bootMs.push(guest.bootTimings.totalMs);
  opts.reporter.onKernelStage(opts.spec, 'ready', `${guest.kernel.release}, ${(guest.bootTimings.totalMs / 1000).toFixed(1)} s, ${guest.accel}`);
  return guest;
}

/** Resets the guest and proves it clean; false means "boot a fresh one". */
async function resetGuest(guest: Guest, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    const shell = new LoggedShell(guest, signal);
    await shell.run(resetCommand());
    const check = await shell.run(cleanCheckCommand());
    return check.exitCode === 0;
  } catch {
    return false;
  }
}

function consoleLength(guest: Guest): number {
  return readConsole(guest).length;
}

function readConsole(guest: Guest): string {
  try {
    return existsSync(guest.consoleLogPath) ? readFileSync(guest.consoleLogPath, 'utf8') : '';
  } catch {
    return '';
  }
}

function panicText(guest: Guest): string | undefined {
  const lines = guest.consoleTail(200);
  return lines.find((l) => /Kernel panic - not syncing/.test(l))?.replace(/^\[\s*[\d.]+\]\s*/, '');
}

function tail(guest: Guest): string | undefined {
  const lines = guest.consoleTail(20);
  return lines.length ? ['last console lines:', ...lines.map((l) => `  | ${l}`)].join('\n') : undefined;
}

function isBadInput(err: unknown): boolean {
  return (err as { exitCode?: unknown }).exitCode === 2;
}

export function toErrorInfo(err: unknown, phase: CellPhase): ErrorInfo {
  const e = err as { code?: unknown; message?: unknown; details?: unknown };
  const info: ErrorInfo = {
    code: typeof e.code === 'string' && /^[A-Z_]+$/.test(e.code) ? e.code : 'INTERNAL',
    phase,
    message: err instanceof Error ? err.message : String(err),
  };
  if (typeof e.details === 'string') info.details = e.details;
  return info;
}

export function errorCell(kernel: string, scenario: string, error: ErrorInfo, release?: string): CellResult {
  return {
    kernel, scenario, status: 'error', durationMs: 0, error, failures: [], steps: [], graphs: [], observations: [], artifacts: {},
    ...(release ? { kernelRelease: release } : {}),
  };
}

export function skipped(kernel: string, scenario: string, reason: string): CellResult {
  return { kernel, scenario, status: 'skipped', skipReason: reason, durationMs: 0, failures: [], steps: [], graphs: [], observations: [], artifacts: {} };
}
