// Starting QEMU for a guest: the process (behind its watchdog), the console watcher, the QMP
// connection and the forwarded SSH port. Each piece registers its own teardown through `defer`,
// so the caller unwinds in reverse order on any failure.
import { ConsoleWatcher } from './console-watcher.ts';
import { VmError } from './errors.ts';
import type { VmEvent } from './events.ts';
import { parseUsernetPort, qemuArgs, type QemuArgsInput } from './qemu-args.ts';
import { QmpClient } from './qmp-client.ts';
import { SupervisedProcess } from './qemu-process.ts';

export interface LaunchedQemu {
  qemu: SupervisedProcess;
  watcher: ConsoleWatcher;
  qmp: QmpClient;
  sshPort: number;
  /** performance.now() when QEMU was spawned. */
  startedAt: number;
}

export async function launchQemu(
  args: QemuArgsInput,
  opts: { binary?: string; deadline: number; signal?: AbortSignal; emit: (e: VmEvent) => void; defer: (fn: () => Promise<void> | void) => void },
): Promise<LaunchedQemu> {
  const { emit, defer } = opts;
  const startedAt = performance.now();
  const qemu = new SupervisedProcess(opts.binary ?? 'qemu-system-x86_64', qemuArgs(args));
  defer(async () => {
    const how = await qemu.terminate();
    if (how !== 'already-exited') emit({ kind: 'power-off', how, durationMs: 0 });
  });
  const watcher = new ConsoleWatcher(
    args.consoleLog,
    startedAt,
    (line) => emit({ kind: 'console-line', line }),
    (s) => emit({ kind: 'boot-stage', stage: s.stage, atMs: s.atMs }),
  );
  watcher.start();
  defer(() => watcher.stop());
  let qmp: QmpClient;
  try {
    qmp = await QmpClient.connect(args.qmpSocket, Math.min(opts.deadline, startedAt + 15_000), opts.signal);
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    await qemu.waitExit(200);
    throw new VmError('QEMU_START_FAILED', `QEMU did not start: ${qemu.stderr.trim() || (err as Error).message}; is qemu-system-x86 installed (ipvs-harness setup)?`, { phase: 'qemu-start', cause: err });
  }
  defer(() => qmp.close());
  const sshPort = parseUsernetPort(await qmp.hmp('info usernet'));
  if (!sshPort) throw new VmError('QEMU_START_FAILED', 'QEMU reported no forwarded SSH port (info usernet)', { phase: 'qemu-start' });
  emit({ kind: 'qemu-started', pid: qemu.pid ?? -1, sshPort, accel: args.accel, consoleLogPath: args.consoleLog });
  emit({ kind: 'boot-stage', stage: 'qemu-started', atMs: Math.round(performance.now() - startedAt) });
  return { qemu, watcher, qmp, sshPort, startedAt };
}
