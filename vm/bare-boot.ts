// A bare boot: the kernel with a busybox-only image whose init powers off at once. It measures what
// a boot costs before anything of ours runs (bench:boot's baseline) and serves as the KVM probe.
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { abortedError, consoleTailDetails, VmError } from './errors.ts';
import { buildBareImage } from './initramfs.ts';
import { qemuArgs, type Accel } from './qemu-args.ts';
import { SupervisedProcess } from './qemu-process.ts';
import type { ResolvedKernel } from './resolved-kernel.ts';

export interface BareBootResult {
  /** QEMU spawn → QEMU exit. */
  durationMs: number;
  reachedInit: boolean;
  consoleLines: string[];
}

export async function runBareBoot(kernel: ResolvedKernel, opts: { cacheDir: string; accel?: Accel; timeoutMs?: number; signal?: AbortSignal; memoryMb?: number }): Promise<BareBootResult> {
  const image = buildBareImage(opts.cacheDir);
  const tmp = mkdtempSync(join(tmpdir(), 'ipvs-harness-bare-'));
  const log = join(tmp, 'serial.log');
  const started = performance.now();
  const qemu = new SupervisedProcess('qemu-system-x86_64', qemuArgs({
    kernelImage: kernel.image, initrd: image, consoleLog: log, qmpSocket: join(tmp, 'qmp.sock'),
    accel: opts.accel ?? 'tcg', memoryMb: opts.memoryMb ?? 512, name: `ipvs-harness-bare-${process.pid}`,
  }));
  const onAbort = (): void => void qemu.terminate(500);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const exited = await qemu.waitExit(opts.timeoutMs ?? 60_000);
    const durationMs = Math.round(performance.now() - started);
    if (opts.signal?.aborted) throw abortedError('boot', opts.signal);
    const consoleLines = existsSync(log) ? readFileSync(log, 'utf8').replace(/\r/g, '').split('\n') : [];
    if (!exited) {
      throw new VmError('BOOT_TIMEOUT', `bare boot of ${kernel.label} did not power off within ${opts.timeoutMs ?? 60_000} ms`, {
        phase: 'boot', ...(consoleTailDetails(consoleLines.slice(-20)) ? { details: consoleTailDetails(consoleLines.slice(-20))! } : {}),
      });
    }
    return { durationMs, reachedInit: consoleLines.some((l) => l.includes('ipvs-harness: bare-init')), consoleLines };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await qemu.terminate(500);
    rmSync(tmp, { recursive: true, force: true });
  }
}
