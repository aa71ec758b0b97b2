// KVM only when a short probe boot proved it works on this machine (a /dev/kvm that exists can still
// hang ordinary guests, e.g. on PVM hosts). The verdict is cached per machine in the cache folder.
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCacheDir } from './cache-dir.ts';
import type { OnVmEvent } from './events.ts';
import { buildBareImage } from './initramfs.ts';
import { qemuArgs, type Accel } from './qemu-args.ts';
import { SupervisedProcess } from './qemu-process.ts';

interface Verdict { usable: boolean; reason: string; machine: string; at: string }

function machineId(): string {
  try {
    return readFileSync('/etc/machine-id', 'utf8').trim() || hostname();
  } catch {
    return hostname();
  }
}

/** The probe: boot the real kernel with the bare image (its init prints a line and powers off) under KVM. */
export async function probeKvm(kernelImage: string, bareImage: string, signal?: AbortSignal, device = '/dev/kvm'): Promise<{ usable: boolean; reason: string }> {
  try {
    accessSync(device, constants.R_OK | constants.W_OK);
  } catch {
    return { usable: false, reason: `${device} is missing or not accessible` };
  }
  const dir = mkdtempSync(join(tmpdir(), 'ipvs-harness-kvm-'));
  const log = join(dir, 'serial.log');
  const qemu = new SupervisedProcess('qemu-system-x86_64', qemuArgs({
    kernelImage, initrd: bareImage, consoleLog: log, qmpSocket: join(dir, 'qmp.sock'), accel: 'kvm', memoryMb: 256,
    name: 'ipvs-harness-kvm-probe', network: false,
  }));
  try {
    const exited = await qemu.waitExit(10_000);
    if (signal?.aborted) return { usable: false, reason: 'probe aborted' };
    const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
    if (text.includes('ipvs-harness: bare-init')) return { usable: true, reason: 'a probe boot under KVM reached init' };
    if (exited) return { usable: false, reason: `QEMU with KVM exited early: ${qemu.stderr.trim().split('\n').slice(-1)[0] ?? ''}` };
    return { usable: false, reason: 'a probe boot under KVM did not reach init within 10 s (guests hang here)' };
  } finally {
    await qemu.terminate(500);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function decideAccel(opts: { cacheDir: string; kernelImage: string; signal?: AbortSignal; onEvent?: OnVmEvent; reprobe?: boolean }): Promise<Accel> {
  if (process.env.IPVS_HARNESS_ACCEL === 'tcg' || process.env.IPVS_HARNESS_ACCEL === 'kvm') return process.env.IPVS_HARNESS_ACCEL;
  const file = join(ensureCacheDir(opts.cacheDir), 'kvm-verdict.json');
  const machine = machineId();
  if (!opts.reprobe && existsSync(file)) {
    try {
      const v = JSON.parse(readFileSync(file, 'utf8')) as Verdict;
      if (v.machine === machine) {
        opts.onEvent?.({ kind: 'kvm-probe', usable: v.usable, cached: true, reason: v.reason });
        return v.usable ? 'kvm' : 'tcg';
      }
    } catch {
      // Re-probe below.
    }
  }
  const r = await probeKvm(opts.kernelImage, buildBareImage(opts.cacheDir), opts.signal);
  writeFileSync(file, JSON.stringify({ ...r, machine, at: new Date().toISOString() } satisfies Verdict, null, 2) + '\n');
  opts.onEvent?.({ kind: 'kvm-probe', usable: r.usable, cached: false, reason: r.reason });
  return r.usable ? 'kvm' : 'tcg';
}
