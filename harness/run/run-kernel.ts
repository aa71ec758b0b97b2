// Runs the cells of one kernel (its scenarios, then any other guest cells such as the kernel's own
// selftest) on as few boots as possible: one guest serves every cell, reset and checked clean between
// them; a guest that breaks (panic, lost SSH) or stays dirty is replaced by a fresh boot. Every failure becomes a classified cell result, never a lost run.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mergeTraceable, type CellPhase, type CellResult, type ErrorInfo, type KernelRun, type StepResult } from '../../analysis/report/results.ts';
import { cleanCheckCommand, resetCommand } from '../../scenarios/guest-state.ts';
import { batchCommand } from '../../scenarios/batch.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import { ipvsBuildOf, kernelBuiltinModules } from '../../vm/builtin-modules.ts';
import type { KernelSpec } from '../../vm/kernel-spec.ts';
import { bootGuest, type Guest } from '../../vm/guest.ts';
import { missingModules, missingModulesError } from '../../vm/needed-modules.ts';
import { missingOptions, missingOptionsError, preflightKernel } from '../../vm/preflight.ts';
import { resolveKernel } from '../../vm/resolve-kernel.ts';
import type { ResolvedKernel } from '../../vm/resolved-kernel.ts';
import { scenarioKernelOptions } from '../../scenarios/kernel-needs.ts';
import type { VmEvent } from '../../vm/events.ts';
import { defaultCacheDir } from '../../vm/cache-dir.ts';
import type { GuestCell } from './guest-cell.ts';
import { LoggedShell } from './guest-shell.ts';
import { cellDir, kernelSlug, writeAtomic } from './results-folder.ts';
import type { Reporter } from './reporter.ts';
import { newKernelMemo, runScenario, type KernelMemo } from './run-scenario.ts';
import { ipvsModuleText } from './module-text.ts';
import { kernelFlowLayout, type FlowLayoutResult } from './kernel-btf.ts';
import { hostNames } from '../../scenarios/host-names.ts';
import { GuestSnapshot } from '../../vm/guest-snapshot.ts';
import type { RunPlan } from './run-plan.ts';
import { outOfTreeIpvsInGuest, withOutOfTreeIpvs } from './own-ipvs.ts';
import type { LoadedScenario } from '../scenario-loader.ts';
import { EXIT } from '../exit-codes.ts';
import { bpftraceReleaseFor } from '../../vm/bpftrace-bundle.ts';
import { formatVmEvent } from '../render-vm-events.ts';

export interface KernelRunOptions {
  /** The kernel, parsed (a path: kernel with its modules and config); its `text` is the cells' `kernel`. */
  kernel: KernelSpec;
  /** This guest's share of the kernel's cells: its scenarios, then other guest cells (the selftest). */
  scenarios: LoadedScenario[];
  guestCells: GuestCell[];
  /** What a kernel needs of the run plan. */
  plan: Pick<RunPlan, 'out' | 'tracer' | 'guests' | 'testFault' | 'outOfTreeIpvs'>;
  reporter: Required<Pick<Reporter, 'onKernelStage' | 'onScenarioStart' | 'onStepEnd' | 'onScenarioEnd'>>;
  signal?: AbortSignal;
  /** File name of this guest's console log under the kernel's folder. */
  consoleName: string;
  onVmEvent?: (e: VmEvent) => void;
}

export async function runKernel(opts: KernelRunOptions): Promise<{ kernel: KernelRun; cells: CellResult[] }> {
  const spec = opts.kernel.text;
  const { out, tracer, guests, testFault } = opts.plan;
  const kernel: KernelRun = { spec, bootMs: [] };
  const cells: CellResult[] = [];
  let guest: Guest | undefined;
  // Every cell from a snapshot of the booted guest; undefined until saved, and for good once it fails.
  let snapshot: GuestSnapshot | undefined;
  let snapshotOff: string | undefined = !guests.snapshots ? 'off' : tracer.bpftrace ? 'off: the bpftrace image is too large to save per kernel' : undefined;
  // What the kernel's guests answered once (their traceable functions), for every later cell.
  const memo = newKernelMemo();
  let bootError: ErrorInfo | undefined;
  let consoleParts: string[] = [];

  const powerOff = async () => {
    if (!guest) return;
    consoleParts.push(readConsole(guest));
    const g = guest;
    guest = undefined;
    await g.powerOff().catch(() => undefined);
  };

  // Resolved and preflighted before any boot: a kernel, or a scenario, it cannot test is refused here (exit 2).
  let resolved: ResolvedKernel | undefined;
  try {
    resolved = await resolveKernel(opts.kernel, {
      cacheDir: guests.cacheDir ?? defaultCacheDir(), onEvent: vmEvents(opts),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    kernel.release = resolved.release;
    preflightKernel(resolved.configText, `kernel ${resolved.label} (${resolved.source})`, resolved.release, tracer);
    if (opts.plan.outOfTreeIpvs) {
      resolved = await withOutOfTreeIpvs(resolved, opts.plan.outOfTreeIpvs, {
        cacheDir: guests.cacheDir ?? defaultCacheDir(), progress: (stage, detail) => opts.reporter.onKernelStage(spec, stage, detail),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    }
  } catch (err) {
    bootError = toErrorInfo(err, opts.signal?.aborted ? 'interrupted' : isBadInput(err) ? 'kernel' : 'boot');
  }

  try {
    for (const item of [...opts.scenarios.map((s) => scenarioCell(s.scenario, s.file, tracer, memo, guests.cacheDir ?? defaultCacheDir())), ...opts.guestCells]) {
      const ref = { kernel: spec, scenario: item.name };
      if (opts.signal?.aborted) {
        cells.push(skipped(spec, item.name, 'the run was interrupted'));
        continue;
      }
      if (bootError) {
        cells.push(errorCell(spec, item.name, bootError, kernel.release));
        opts.reporter.onScenarioEnd(cells[cells.length - 1]!);
        continue;
      }
      const refused = resolved ? refusal(resolved, item) : undefined;
      if (refused) {
        cells.push(errorCell(spec, item.name, refused, kernel.release));
        opts.reporter.onScenarioEnd(cells[cells.length - 1]!);
        continue;
      }
      if (!guest && snapshot) {
        try {
          guest = await snapshot.restore({ ...(opts.signal ? { signal: opts.signal } : {}), onEvent: vmEvents(opts) });
          kernel.snapshot!.restoreMs.push(guest.bootTimings.totalMs);
        } catch (err) {
          if (opts.signal?.aborted) {
            cells.push(skipped(spec, item.name, 'the run was interrupted'));
            continue;
          }
          snapshotOff = `restore failed, cold boots from here on: ${(err as Error).message}`;
          kernel.snapshot!.fallback = snapshotOff;
          opts.reporter.onKernelStage(spec, 'snapshot', snapshotOff);
          snapshot.dispose();
          snapshot = undefined;
        }
      }
      if (!guest) {
        try {
          guest = await boot(opts, kernel, resolved);
          if (snapshotOff === undefined && !snapshot) {
            const saved = await saveSnapshot(guest, opts, kernel, (text) => consoleParts.push(text));
            if (typeof saved === 'string') {
              snapshotOff = saved;
              if (!guest.running) guest = await boot(opts, kernel, resolved);
            } else {
              snapshot = saved;
              guest = await snapshot.restore({ ...(opts.signal ? { signal: opts.signal } : {}), onEvent: vmEvents(opts) });
              kernel.snapshot!.restoreMs.push(guest.bootTimings.totalMs);
            }
          }
        } catch (err) {
          bootError = toErrorInfo(err, opts.signal?.aborted ? 'interrupted' : isBadInput(err) ? 'kernel' : 'boot');
          cells.push(errorCell(spec, item.name, bootError, kernel.release));
          opts.reporter.onScenarioEnd(cells[cells.length - 1]!);
          continue;
        }
      }
      opts.reporter.onScenarioStart(ref);
      const consoleStart = consoleLength(guest);
      // The cell's scripts share one guest shell (vm/script-session.ts); other commands take their own channel.
      const session = guest.scriptSession();
      const shell = new LoggedShell(session, opts.signal, testFault, item.scriptShell);
      const started = Date.now();
      let cell: CellResult;
      let keepGuest = !guests.freshBoot;
      const dir = cellDir(spec, item.name);
      // Steps that finished before an error stay in the error cell: they say how far the scenario got.
      const finished: StepResult[] = [];
      const outcome = await item.run({
        guest, shell, kernel: spec, out, dir,
        onStep: (r) => {
          finished.push(r);
          opts.reporter.onStepEnd(ref, r);
        },
        progress: (stage, detail) => opts.reporter.onKernelStage(spec, stage, detail),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      if (outcome.kind === 'finished') {
        cell = outcome.cell;
        if (outcome.traceable) kernel.traceable = mergeTraceable(kernel.traceable, outcome.traceable);
      }
      else {
        keepGuest = false;
        const interrupted = opts.signal?.aborted === true;
        const info = toErrorInfo(outcome.error, interrupted ? 'interrupted' : outcome.phase);
        const panic = panicText(guest);
        if (panic) Object.assign(info, { code: 'GUEST_PANIC', message: `the guest kernel panicked during ${outcome.phase}: ${panic}` });
        if (!info.details) info.details = tail(guest);
        cell = { ...errorCell(spec, item.name, info, guest.kernel.release), durationMs: Date.now() - started, steps: finished };
      }
      // Before the reset: its channel must not cross the closing of the shell's (vm/script-session.ts).
      await session.close();
      writeAtomic(join(out, dir, 'commands.log'), shell.text());
      cell.artifacts.commands = join(dir, 'commands.log');
      if (guest) {
        writeAtomic(join(out, dir, 'console.log'), readConsole(guest).slice(consoleStart));
        cell.artifacts.console = join(dir, 'console.log');
      }
      // From a snapshot, the next cell gets a restored guest: nothing to reset.
      if (snapshot) keepGuest = false;
      if (guest && keepGuest && !opts.signal?.aborted) keepGuest = await resetGuest(guest, opts.signal);
      if (!keepGuest) await powerOff();
      cells.push(cell);
      opts.reporter.onScenarioEnd(cell);
    }
  } finally {
    await powerOff();
    snapshot?.dispose();
    const text = consoleParts.join('\n--- next boot ---\n');
    if (text) {
      const name = opts.consoleName;
      writeAtomic(join(out, kernelSlug(spec), name), text);
      kernel.console = join(kernelSlug(spec), name);
    }
  }
  if (bootError) kernel.error = bootError;
  if (memo.bpftraceVersion) kernel.bpftrace = { version: memo.bpftraceVersion, release: bpftraceReleaseFor(kernel.release ?? '') };
  return { kernel, cells };
}

/** Why the kernel cannot run this cell (options its config lacks, modules not built), as the cell's error; undefined: it can. */
function refusal(resolved: ResolvedKernel, item: GuestCell): ErrorInfo | undefined {
  const options = item.kernelOptions ?? [];
  const label = `kernel ${resolved.label} (${resolved.source})`;
  const missing = missingOptions(resolved.configText, options.map((o) => ({ ...o, need: 'ym' as const })));
  if (missing.length > 0) return toErrorInfo(missingOptionsError(missing, label, `scenario ${item.name}`), 'kernel');
  const notBuilt = missingModules(resolved.configText, resolved.modulesDir, options.map((o) => o.option));
  return notBuilt.length === 0 ? undefined : toErrorInfo(missingModulesError(notBuilt, label, `scenario ${item.name}`), 'kernel');
}

/** A scenario as a guest cell: topology, traffic, trace, judged; the raw trace saved beside it. */
function scenarioCell(scenario: Scenario, file: string, tracer: RunPlan['tracer'], memo: KernelMemo, cacheDir: string): GuestCell {
  return {
    name: scenario.name,
    // The scenario scripts (scenarios/*.ts) name iproute2 by its path: busybox's ash runs them.
    scriptShell: 'busybox',
    kernelOptions: scenarioKernelOptions(scenario),
    info: { name: scenario.name, summary: scenario.summary, tags: scenario.tags, file },
    run: async (ctx) => {
      const { release, imageSha256 } = ctx.guest.kernel;
      let flow: FlowLayoutResult | undefined;
      try {
        if (tracer.ftrace || tracer.bpftrace) flow = await kernelFlowLayout(ctx.shell, { release, ...(imageSha256 ? { imageSha256 } : {}) }, cacheDir);
      } catch (error) {
        return { kind: 'broken', phase: 'setup', error };
      }
      const moduleText = tracer.ftrace ? await ipvsModuleText(ctx.guest.kernel) : undefined;
      const outcome = await runScenario(ctx.shell, scenario, {
        kernel: ctx.kernel, kernelRelease: release, tracer,
        builtInModules: kernelBuiltinModules(ctx.guest.kernel),
        memo,
        onStep: (_s, r) => ctx.onStep(r),
        ...(flow?.layout ? { flowLayout: flow.layout } : {}),
        ...(moduleText ? { moduleText } : {}),
        ...(ctx.guest.imageKey ? { listings: { cacheDir, imageKey: ctx.guest.imageKey } } : {}),
      });
      if (outcome.kind === 'broken') return outcome;
      const { cell, artifacts, traceable } = outcome;
      if (flow && !flow.layout) cell.observations.push(`flows: hook calls carry no packet identity: ${flow.why}`);
      cell.hostNames = hostNames(scenario);
      try {
        // trace.txt: the trace the graphs were judged on (function_graph, or bpftrace's events alone).
        if (tracer.ftrace || tracer.bpftrace) {
          writeAtomic(join(ctx.out, ctx.dir, 'trace.txt'), artifacts.trace);
          cell.artifacts.trace = join(ctx.dir, 'trace.txt');
        }
        if (tracer.ftrace && artifacts.bpftrace !== undefined) {
          writeAtomic(join(ctx.out, ctx.dir, 'bpftrace.txt'), artifacts.bpftrace);
          cell.artifacts.bpftrace = join(ctx.dir, 'bpftrace.txt');
        }
      } catch (error) {
        return { kind: 'broken', phase: 'collect', error };
      }
      return { kind: 'finished', cell, ...(traceable ? { traceable } : {}) };
    },
  };
}

function vmEvents(opts: KernelRunOptions): (e: VmEvent) => void {
  const spec = opts.kernel.text;
  return (e) => {
    opts.onVmEvent?.(e);
    if (e.kind === 'kernel-download') opts.reporter.onKernelStage(spec, 'downloading', e.packageName);
    if (e.kind === 'image-built' && !e.cached) opts.reporter.onKernelStage(spec, 'guest image built');
    if (e.kind === 'image-cache-pruned') opts.reporter.onKernelStage(spec, formatVmEvent(e) ?? 'old guest images removed from the cache');
  };
}

async function boot(opts: KernelRunOptions, kernel: KernelRun, resolved: ResolvedKernel | undefined): Promise<Guest> {
  const spec = opts.kernel.text;
  opts.reporter.onKernelStage(spec, 'booting');
  const { guests, tracer } = opts.plan;
  const guest = await bootGuest({
    kernel: resolved ?? opts.kernel,
    cacheDir: guests.cacheDir,
    imageCacheBytes: guests.imageCacheBytes,
    withBpftrace: tracer.bpftrace,
    tracers: tracer,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(guests.bootTimeoutMs ? { timeoutMs: guests.bootTimeoutMs } : {}),
    onEvent: vmEvents(opts),
  });
  kernel.label = guest.kernel.label;
  kernel.release = guest.kernel.release;
  kernel.source = guest.kernel.source;
  if (guest.kernel.imageSha256) kernel.imageSha256 = guest.kernel.imageSha256;
  if (guest.kernel.packages) kernel.packages = guest.kernel.packages;
  kernel.accel = guest.accel;
  kernel.bootMs.push(guest.bootTimings.totalMs);
  kernel.ipvs = ipvsBuildOf(kernelBuiltinModules(guest.kernel));
  if (guest.kernel.outOfTreeIpvs) {
    // Proven before any cell runs: the ip_vs the guest loads is the one built from the tree.
    try {
      kernel.ipvs.outOfTree = await outOfTreeIpvsInGuest(guest, guest.kernel.outOfTreeIpvs, opts.signal);
    } catch (err) {
      await guest.powerOff().catch(() => undefined);
      throw err;
    }
  }
  const ipvs = kernel.ipvs.core === 'built-in' ? ', IPVS built in' : '';
  opts.reporter.onKernelStage(spec, 'ready', `${guest.kernel.release}, ${(guest.bootTimings.totalMs / 1000).toFixed(1)} s, ${guest.accel}${ipvs}`);
  return guest;
}

/**
 * Brings a freshly booted guest to the state every cell starts from (IPVS loaded, unless built in) and
 * saves it, which powers it off. Returns the snapshot, or why there is none (the run goes on with
 * resets between cells; the guest may then be powered off already).
 */
async function saveSnapshot(guest: Guest, opts: KernelRunOptions, kernel: KernelRun, keepConsole: (text: string) => void): Promise<GuestSnapshot | string> {
  const spec = opts.kernel.text;
  try {
    if (!kernelBuiltinModules(guest.kernel).has('ip_vs')) await new LoggedShell(guest, opts.signal).run({ label: 'load ip_vs', script: 'modprobe ip_vs', timeoutMs: 30_000 });
    keepConsole(readConsole(guest));
    const snap = await GuestSnapshot.save(guest, opts.signal ? { signal: opts.signal } : {});
    kernel.snapshot = { saveMs: snap.info.saveMs, sizeBytes: snap.info.sizeBytes, restoreMs: [] };
    opts.reporter.onKernelStage(spec, 'snapshot', `saved in ${(snap.info.saveMs / 1000).toFixed(1)} s (${Math.round(snap.info.sizeBytes / 1e6)} MB); every cell starts from it`);
    return snap;
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    const why = `not saved, resets between cells instead: ${(err as Error).message}`;
    kernel.snapshot = { saveMs: 0, sizeBytes: 0, restoreMs: [], fallback: why };
    opts.reporter.onKernelStage(spec, 'snapshot', why);
    return why;
  }
}

/** Resets the guest and proves it clean; false means "boot a fresh one". */
async function resetGuest(guest: Guest, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    const shell = new LoggedShell(guest, signal, undefined, 'busybox');
    const builtIn = kernelBuiltinModules(guest.kernel);
    // One round trip: reset, then the check that proves it clean.
    const check = await shell.runAllowingFailure(batchCommand('reset', [{ name: 'reset', command: resetCommand(builtIn) }, { name: 'check', command: cleanCheckCommand(builtIn) }]));
    return check.exitCode === 0 && !check.timedOut;
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
  return (err as { exitCode?: unknown }).exitCode === EXIT.badInput;
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
