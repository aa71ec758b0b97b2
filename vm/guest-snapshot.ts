// A booted guest saved once and restored for every cell (issue 16). QEMU's migration writes the
// guest's whole state (RAM, devices, the user-mode network) to a file; a new QEMU started with the
// same command line and `-incoming defer` reads it back and continues where the guest was saved. Under
// TCG on this machine: save ~0.9 s (130 MB for a 512 MB guest), restore ~0.2 s plus ~0.4 s for SSH,
// against ~3-4 s for a boot. Every cell then starts from an identical guest: nothing a scenario left
// behind can reach the next one.
//
// The snapshot lives in its own 0700 temp folder for the life of the run, beside a copy of the per-boot
// initrd (QEMU must see the same option ROMs at restore). It is never cached across runs: the guest's
// RAM holds the per-boot SSH host key and the client's authorized key, and the client key is held in
// this process's memory only. The SSH session is closed before saving, so the saved user-mode network
// holds no live connection. After a restore the guest's wall clock is set from the host (the saved
// clock stopped at the save); its uptime, and so the trace clock, continue from the save.
import { copyFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { throwIfAborted } from './deadline.ts';
import { VmError } from './errors.ts';
import { emitter, type OnVmEvent } from './events.ts';
import { Guest, type GuestLaunch } from './guest.ts';
import { launchQemu } from './qemu-launch.ts';
import type { QmpClient } from './qmp-client.ts';
import type { ResolvedKernel } from './resolved-kernel.ts';
import { shellQuote } from './shell-quote.ts';
import { SshSession } from './ssh-client.ts';
import { makeBootTempDir } from './temp-dirs.ts';

const SAVE_TIMEOUT_MS = 120_000;
const RESTORE_TIMEOUT_MS = 60_000;

export interface SnapshotInfo {
  /** How long the save took (migration to the file), ms. */
  saveMs: number;
  sizeBytes: number;
}

async function waitFor(qmp: QmpClient, what: string, deadline: number, signal: AbortSignal | undefined, done: () => Promise<boolean>): Promise<void> {
  for (;;) {
    throwIfAborted(signal, 'snapshot');
    if (await done()) return;
    if (performance.now() > deadline) throw new VmError('SNAPSHOT_FAILED', `${what} did not finish in time`, { phase: 'snapshot' });
    await new Promise((r) => setTimeout(r, 25));
  }
}

function execUri(command: string, file: string): string {
  return `exec:${command} ${shellQuote(file)}`;
}

export class GuestSnapshot {
  private disposed = false;
  private constructor(
    readonly kernel: ResolvedKernel,
    private readonly dir: string,
    private readonly launch: GuestLaunch,
    readonly info: SnapshotInfo,
  ) {}

  /** The saved state (QEMU's migration stream). */
  get file(): string {
    return join(this.dir, 'state.bin');
  }

  /** The snapshot's folder (0700), removed by dispose(). */
  get folder(): string {
    return this.dir;
  }

  /**
   * Saves a running guest and powers it off: the guest cannot be used afterwards (its SSH session is
   * closed before the save). Throws SNAPSHOT_FAILED (the guest is powered off either way).
   */
  static async save(guest: Guest, opts: { signal?: AbortSignal } = {}): Promise<GuestSnapshot> {
    const { qmp, ssh, launch } = guest.snapshotSource;
    const dir = makeBootTempDir();
    try {
      const started = performance.now();
      const initrd = join(dir, 'initrd.cpio');
      copyFileSync(launch.input.initrd, initrd);
      ssh.close();
      const file = join(dir, 'state.bin');
      await qmp.command('migrate', { uri: execUri('cat >', file) }, 10_000);
      let status = '';
      await waitFor(qmp, 'saving the guest', performance.now() + SAVE_TIMEOUT_MS, opts.signal, async () => {
        status = String(((await qmp.command('query-migrate', undefined, 10_000)) as { status?: string }).status ?? '');
        return status === 'completed' || status === 'failed' || status === 'cancelled';
      });
      if (status !== 'completed') throw new VmError('SNAPSHOT_FAILED', `saving the guest ended ${status}`, { phase: 'snapshot' });
      const info = { saveMs: Math.round(performance.now() - started), sizeBytes: statSync(file).size };
      await guest.powerOff();
      return new GuestSnapshot(guest.kernel, dir, { ...launch, input: { ...launch.input, initrd } }, info);
    } catch (err) {
      await guest.powerOff().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      if (err instanceof VmError) throw err;
      throw new VmError('SNAPSHOT_FAILED', `saving the guest failed: ${(err as Error).message}`, { phase: 'snapshot', cause: err });
    }
  }

  /** A new guest from the snapshot, as it was saved; SNAPSHOT_FAILED when it cannot be restored. */
  async restore(opts: { signal?: AbortSignal; onEvent?: OnVmEvent } = {}): Promise<Guest> {
    if (this.disposed) throw new VmError('SNAPSHOT_FAILED', 'the snapshot was disposed', { phase: 'snapshot' });
    const emit = emitter(opts.onEvent);
    const t0 = performance.now();
    const deadline = t0 + RESTORE_TIMEOUT_MS;
    const tmp = makeBootTempDir();
    const cleanup: (() => Promise<void> | void)[] = [() => rmSync(tmp, { recursive: true, force: true })];
    const unwind = async (): Promise<void> => {
      for (const fn of cleanup.splice(0).reverse()) await fn();
    };
    try {
      const consoleLogPath = join(tmp, 'serial.log');
      const { qemu, watcher, qmp, sshPort } = await launchQemu(
        { ...this.launch.input, consoleLog: consoleLogPath, qmpSocket: join(tmp, 'qmp.sock'), incoming: true },
        { deadline, emit, defer: (fn) => cleanup.push(fn), ...(this.launch.binary ? { binary: this.launch.binary } : {}), ...(opts.signal ? { signal: opts.signal } : {}) },
      );
      await qmp.command('migrate-incoming', { uri: execUri('cat', this.file) }, 10_000);
      let status = '';
      await waitFor(qmp, 'restoring the guest', deadline, opts.signal, async () => {
        if (!qemu.running) throw new VmError('SNAPSHOT_FAILED', `QEMU exited while restoring: ${qemu.stderr.trim().split('\n').pop() ?? ''}`, { phase: 'snapshot' });
        status = String(((await qmp.command('query-status', undefined, 10_000)) as { status?: string }).status ?? '');
        return status !== 'inmigrate';
      });
      if (status !== 'paused' && status !== 'postmigrate' && status !== 'prelaunch' && status !== 'running') {
        throw new VmError('SNAPSHOT_FAILED', `the restored guest is ${status}: ${qemu.stderr.trim().split('\n').pop() ?? ''}`, { phase: 'snapshot' });
      }
      if (status !== 'running') await qmp.command('cont', undefined, 10_000);
      const tRunning = performance.now();
      const keys = this.launch.keys;
      const ssh = await SshSession.connect({
        port: sshPort, privateKey: keys.clientPrivateKey, hostKeyBlob: keys.hostKeyBlob,
        timeoutMs: Math.max(5000, deadline - performance.now()), ...(opts.signal ? { signal: opts.signal } : {}),
      });
      cleanup.push(() => ssh.close());
      const tSsh = performance.now();
      const guest = new Guest({
        kernel: this.kernel, ssh, qmp, qemu, console: watcher, consoleLogPath, emit, unwind, sshPort,
        accel: this.launch.input.accel, name: this.launch.input.name, hostKeyLine: keys.hostKeyLine, launch: this.launch,
        timings: {
          stages: {}, guestUptime: {}, resolveMs: 0, imageMs: 0,
          qemuToSshReadyMs: Math.round(tRunning - t0), sshConnectMs: Math.round(tSsh - tRunning), totalMs: Math.round(tSsh - t0),
        },
      });
      // The saved wall clock stopped at the save.
      const clock = await guest.exec(`date -s @${Math.floor(Date.now() / 1000)} >/dev/null`, { timeoutMs: 10_000 });
      if (clock.exitCode !== 0) throw new VmError('SNAPSHOT_FAILED', `the restored guest did not answer: ${clock.stderr.toString().trim()}`, { phase: 'snapshot' });
      return guest;
    } catch (err) {
      await unwind();
      if (err instanceof VmError) throw err;
      throw new VmError('SNAPSHOT_FAILED', `restoring the guest failed: ${(err as Error).message}`, { phase: 'snapshot', cause: err });
    }
  }

  dispose(): void {
    this.disposed = true;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
