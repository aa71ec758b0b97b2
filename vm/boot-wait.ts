// Waiting for the guest to say "ssh-ready" on its console, while watching for a panic, an early QEMU
// exit, the deadline and the AbortSignal — whichever comes first decides.
import type { ConsoleWatcher } from './console-watcher.ts';
import { abortedError, consoleTailDetails, VmError } from './errors.ts';
import { describeExit, type SupervisedProcess } from './qemu-process.ts';

export interface BootWaitInput {
  console: ConsoleWatcher;
  qemu: SupervisedProcess;
  deadline: number;
  timeoutMs: number;
  accel: string;
  signal?: AbortSignal;
  label: string;
}

export function panicError(lines: readonly string[], tail: readonly string[], label: string): VmError {
  const text = lines.find((l) => /Kernel panic - not syncing/.test(l)) ?? 'Kernel panic';
  return new VmError('GUEST_PANIC', `guest ${label} panicked: ${text.replace(/^\[\s*[\d.]+\]\s*/, '')}`, {
    phase: 'boot',
    ...(consoleTailDetails(tail) ? { details: consoleTailDetails(tail)! } : {}),
    data: { panic: lines },
  });
}

export function waitForSshReady(i: BootWaitInput): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe();
      i.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    const tail = (): string[] => i.console.lastLines(25);
    const check = (): void => {
      if (i.console.panicLines) {
        // Give the panic a moment to finish printing its trace, then report it.
        setTimeout(() => {
          i.console.poll();
          finish(panicError(i.console.panicLines ?? [], tail(), i.label));
        }, 150);
        return;
      }
      if (i.console.hasStage('ssh-ready')) finish();
    };
    const unsubscribe = i.console.onChange(check);
    const onAbort = (): void => finish(abortedError('boot', i.signal!));
    if (i.signal?.aborted) return onAbort();
    i.signal?.addEventListener('abort', onAbort, { once: true });
    void i.qemu.exited.then((exit) => {
      i.console.poll();
      if (i.console.panicLines) return finish(panicError(i.console.panicLines, tail(), i.label));
      const how = describeExit(exit);
      const stderr = i.qemu.stderr.trim();
      finish(new VmError('QEMU_EXITED', `QEMU exited (${how}) before the guest ${i.label} was ready${stderr ? `: ${stderr.split('\n').slice(-3).join(' / ')}` : ''}`, {
        phase: 'boot',
        ...(consoleTailDetails(tail()) ? { details: consoleTailDetails(tail())! } : {}),
      }));
    });
    const timer = setTimeout(() => {
      i.console.poll();
      const reached = i.console.stages.map((s) => s.stage).join(' → ') || 'no stage';
      const next = i.console.hasStage('network-up') ? 'waiting for the SSH server (ssh-ready)' : i.console.hasStage('init-start') ? 'waiting for init to bring up modules and network' : 'waiting for the kernel to start init';
      finish(new VmError('BOOT_TIMEOUT', `guest ${i.label} was not ready within ${Math.round(i.timeoutMs / 1000)} s (${i.accel.toUpperCase()}); phase: boot, ${next}; reached: ${reached}`, {
        phase: 'boot',
        ...(consoleTailDetails(tail()) ? { details: consoleTailDetails(tail())! } : { details: '(the console stayed empty)' }),
      }));
    }, Math.max(0, i.deadline - performance.now()));
    check();
  });
}
