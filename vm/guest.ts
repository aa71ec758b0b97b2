// bootGuest: resolve → preflight → image → QEMU → wait for "ssh-ready" → SSH. The Guest it returns
// is AsyncDisposable: `await using guest = await bootGuest(...)` powers off QEMU and removes the
// temp dir on every path. Teardown mirrors setup, in reverse.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { panicError, waitForSshReady } from './boot-wait.ts';
import { defaultCacheDir, ensureCacheDir } from './cache-dir.ts';
import type { ConsoleStage, ConsoleWatcher } from './console-watcher.ts';
import { throwIfAborted } from './deadline.ts';
import { consoleTailDetails, VmError } from './errors.ts';
import { emitter, type OnVmEvent, type VmEvent } from './events.ts';
import { writeBootInitrd } from './guest-secrets.ts';
import { generateBootKeys, type BootKeys } from './host-keys.ts';
import { buildGuestImage } from './initramfs.ts';
import type { KernelSpec } from './kernel-spec.ts';
import { decideAccel } from './kvm-probe.ts';
import { preflightKernel, type TracerNeeds } from './preflight.ts';
import type { Accel, QemuArgsInput } from './qemu-args.ts';
import { launchQemu } from './qemu-launch.ts';
import type { QmpClient } from './qmp-client.ts';
import { describeExit, type SupervisedProcess } from './qemu-process.ts';
import { resolveKernel } from './resolve-kernel.ts';
import type { ResolvedKernel } from './resolved-kernel.ts';
import { GuestSsh } from './guest-ssh.ts';
import { SshSession } from './ssh-client.ts';
import { makeBootTempDir, sweepStaleBootTempDirs } from './temp-dirs.ts';

/** The bpftrace image holds ~200 MB twice while booting (the initrd, then its unpacked tmpfs). */
const BPFTRACE_MEMORY_MB = 1536;

export interface BootGuestOptions {
  /** A spec (a path: kernel carries its modules and config in its KernelSpec), or a kernel already resolved. */
  kernel: string | KernelSpec | ResolvedKernel;
  cacheDir?: string;
  memoryMb?: number;
  /** Deadline for QEMU start → SSH ready (default 60 s under TCG, 30 s under KVM). */
  timeoutMs?: number;
  signal?: AbortSignal;
  onEvent?: OnVmEvent;
  kernelArgs?: string[];
  /** Boot the image variant with bpftrace (host needs `ipvs-harness setup --with-bpftrace`; ~3 s slower, 1.5 GB RAM). */
  withBpftrace?: boolean;
  /** The tracers the guest will run, for the preflight (default: ftrace alone). */
  tracers?: TracerNeeds;
  /** Force an accelerator instead of the cached probe verdict. */
  accel?: Accel;
  /** The cache's guest images are kept within this many bytes (vm/image-cache.ts); default: IPVS_HARNESS_IMAGE_CACHE_MB, else 2048 MB. */
  imageCacheBytes?: number;
  /** Modules to load at boot (e.g. ['ip_vs']); by default only the network's, the rest on `modprobe`. */
  preloadModules?: string[];
  qemuBinary?: string;
}

export interface BootTimings {
  /** ms since QEMU was spawned, per stage. */
  stages: Partial<Record<ConsoleStage['stage'], number>>;
  /** Guest uptime (s) reported by init per stage. */
  guestUptime: Partial<Record<ConsoleStage['stage'], number>>;
  resolveMs: number;
  imageMs: number;
  qemuToSshReadyMs: number;
  sshConnectMs: number;
  totalMs: number;
}

function isResolved(k: BootGuestOptions['kernel']): k is ResolvedKernel {
  return typeof k === 'object' && 'image' in k && 'configText' in k;
}

export async function bootGuest(opts: BootGuestOptions): Promise<Guest> {
  const emit = emitter(opts.onEvent);
  const t0 = performance.now();
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  // Checked first for every kind of kernel: a path: kernel would otherwise meet it as a raw ENOTDIR/EACCES deep in the image build.
  ensureCacheDir(cacheDir);
  const kernel = isResolved(opts.kernel)
    ? opts.kernel
    : await resolveKernel(opts.kernel, {
        cacheDir,
        onEvent: emit,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
  const tResolved = performance.now();
  preflightKernel(kernel.configText, `kernel ${kernel.label} (${kernel.source})`, kernel.release, opts.tracers);
  const imageOptions = {
    cacheDir, onEvent: emit, ...(opts.withBpftrace ? { withBpftrace: true } : {}), ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.imageCacheBytes !== undefined ? { imageCacheBytes: opts.imageCacheBytes } : {}),
  };
  let image = await buildGuestImage(kernel, imageOptions);
  const tImage = performance.now();
  throwIfAborted(opts.signal, 'image');
  const accel = opts.accel ?? (await decideAccel({ cacheDir, kernelImage: kernel.image, onEvent: emit, ...(opts.signal ? { signal: opts.signal } : {}) }));
  emit({ kind: 'boot-start', spec: kernel.label, accel });

  const id = randomBytes(6).toString('hex');
  for (const dir of sweepStaleBootTempDirs()) emit({ kind: 'warning', phase: 'qemu-start', message: `removed ${dir}, left by a process that was killed` });
  const tmp = makeBootTempDir();
  const cleanup: (() => Promise<void> | void)[] = [() => rmSync(tmp, { recursive: true, force: true })];
  const unwind = async (): Promise<void> => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  };
  try {
    const keys = generateBootKeys();
    const initrd = join(tmp, 'initrd.cpio');
    try {
      writeBootInitrd(image.path, keys, initrd);
    } catch (err) {
      // Removed by another process's prune between the lookup and the copy (vm/image-cache.ts): once more.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || existsSync(image.path)) throw err;
      image = await buildGuestImage(kernel, imageOptions);
      writeBootInitrd(image.path, keys, initrd);
    }
    const consoleLogPath = join(tmp, 'serial.log');
    const timeoutMs = opts.timeoutMs ?? (accel === 'kvm' ? 30_000 : 60_000);
    const deadline = performance.now() + timeoutMs;
    const launchInput: GuestLaunch['input'] = {
      kernelImage: kernel.image, initrd, accel,
      memoryMb: opts.memoryMb ?? (opts.withBpftrace ? BPFTRACE_MEMORY_MB : 512), name: `ipvs-harness-${id}`,
      kernelArgs: [...(opts.preloadModules?.length ? [`ipvsharness.modules=${opts.preloadModules.join(',')}`] : []), ...(opts.kernelArgs ?? [])],
    };
    const { qemu, watcher, qmp, sshPort: port, startedAt: tQemu } = await launchQemu(
      { ...launchInput, consoleLog: consoleLogPath, qmpSocket: join(tmp, 'qmp.sock') },
      { deadline, emit, defer: (fn) => cleanup.push(fn), ...(opts.qemuBinary ? { binary: opts.qemuBinary } : {}), ...(opts.signal ? { signal: opts.signal } : {}) },
    );

    await waitForSshReady({ console: watcher, qemu, deadline, timeoutMs, accel, label: kernel.label, ...(opts.signal ? { signal: opts.signal } : {}) });
    const tReady = performance.now();
    let ssh: SshSession;
    try {
      ssh = await SshSession.connect({
        port, privateKey: keys.clientPrivateKey, hostKeyBlob: keys.hostKeyBlob,
        timeoutMs: Math.max(5000, deadline - performance.now()), ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (err) {
      if (err instanceof VmError && err.code === 'SSH_TIMEOUT') {
        const details = consoleTailDetails(watcher.lastLines(25));
        throw new VmError('SSH_TIMEOUT', `${err.message}; phase: ssh (guest ${kernel.label} printed ssh-ready)`, { phase: 'ssh', ...(details ? { details } : {}) });
      }
      throw err;
    }
    cleanup.push(() => ssh.close());
    const tSsh = performance.now();
    emit({ kind: 'ssh-ready', atMs: Math.round(tSsh - tQemu) });
    const timings: BootTimings = {
      stages: Object.fromEntries(watcher.stages.map((s) => [s.stage, s.atMs])),
      guestUptime: Object.fromEntries(watcher.stages.filter((s) => s.guestUptime !== undefined).map((s) => [s.stage, s.guestUptime])),
      resolveMs: Math.round(tResolved - t0),
      imageMs: Math.round(tImage - tResolved),
      qemuToSshReadyMs: Math.round(tReady - tQemu),
      sshConnectMs: Math.round(tSsh - tReady),
      totalMs: Math.round(tSsh - t0),
    };
    const launch: GuestLaunch = { input: launchInput, keys, imageKey: image.key, ...(opts.qemuBinary ? { binary: opts.qemuBinary } : {}) };
    return new Guest({ kernel, ssh, qmp, qemu, console: watcher, consoleLogPath, timings, emit, unwind, sshPort: port, accel, name: `ipvs-harness-${id}`, hostKeyLine: keys.hostKeyLine, launch });
  } catch (err) {
    await unwind();
    throw err;
  }
}

/** How a guest's QEMU was started and the keys it trusts: what a restore from its snapshot must repeat. */
export interface GuestLaunch {
  input: Omit<QemuArgsInput, 'consoleLog' | 'qmpSocket'>;
  keys: BootKeys;
  binary?: string;
  /** The guest image's cache key (a hash of everything in it: kernel release, modules, tools, init). */
  imageKey?: string;
}

export interface GuestParts {
  kernel: ResolvedKernel;
  ssh: SshSession;
  qmp: QmpClient;
  qemu: SupervisedProcess;
  console: ConsoleWatcher;
  consoleLogPath: string;
  timings: BootTimings;
  emit: (e: VmEvent) => void;
  unwind: () => Promise<void>;
  sshPort: number;
  accel: Accel;
  name: string;
  hostKeyLine: string;
  launch: GuestLaunch;
}

/** Rejects with GUEST_PANIC or QEMU_EXITED once QEMU exits unasked (a powerOff never rejects it). */
function guestGoneError(parts: GuestParts): Promise<never> {
  const gone = parts.qemu.exited.then((exit): never => {
    parts.console.poll();
    const tail = parts.console.lastLines(25);
    if (parts.console.panicLines) throw panicError(parts.console.panicLines, tail, parts.kernel.label);
    const details = consoleTailDetails(tail);
    throw new VmError('QEMU_EXITED', `QEMU exited (${describeExit(exit)}) while a command was running in ${parts.kernel.label}`, {
      phase: 'command', ...(details ? { details } : {}),
    });
  });
  gone.catch(() => {}); // Only awaited by commands that race it.
  return gone;
}

export class Guest extends GuestSsh implements AsyncDisposable {
  readonly kernel: ResolvedKernel;
  readonly bootTimings: BootTimings;
  readonly sshPort: number;
  readonly accel: Accel;
  /** Unique marker in QEMU's command line (`pgrep -f <name>`). */
  readonly name: string;
  readonly hostKeyLine: string;
  private readonly parts: GuestParts;
  private powerOffPromise: Promise<void> | undefined;

  constructor(parts: GuestParts) {
    super(parts.ssh, parts.emit, guestGoneError(parts));
    this.parts = parts;
    this.kernel = parts.kernel;
    this.bootTimings = parts.timings;
    this.sshPort = parts.sshPort;
    this.accel = parts.accel;
    this.name = parts.name;
    this.hostKeyLine = parts.hostKeyLine;
  }

  /**
   * The guest image's cache key: two guests with the same key run the same kernel, modules and tools,
   * so what they list of themselves (the traceable functions) is the same (harness/run/traceable-cache.ts).
   */
  get imageKey(): string | undefined {
    return this.parts.launch.imageKey;
  }

  /** Internals for a snapshot of this guest (vm/guest-snapshot.ts). */
  get snapshotSource(): { qmp: QmpClient; ssh: SshSession; launch: GuestLaunch; emit: (e: VmEvent) => void } {
    return { qmp: this.parts.qmp, ssh: this.parts.ssh, launch: this.parts.launch, emit: this.parts.emit };
  }

  /** Where QEMU writes the serial console; gone after powerOff(). */
  get consoleLogPath(): string {
    return this.parts.consoleLogPath;
  }

  consoleTail(n = 50): string[] {
    this.parts.console.poll();
    return this.parts.console.lastLines(n);
  }

  /** QEMU runs and nobody asked it to power off. */
  get running(): boolean {
    return this.parts.qemu.running && this.powerOffPromise === undefined;
  }

  get qemuPid(): number | undefined {
    return this.parts.qemu.pid;
  }

  /** Quits QEMU through QMP (the guest's disk is a tmpfs: nothing to flush), escalating to signals. Idempotent. */
  powerOff(): Promise<void> {
    this.powerOffPromise ??= (async () => {
      const started = performance.now();
      const { qemu, qmp, ssh } = this.parts;
      ssh.close();
      let how: 'qmp-quit' | 'sigterm' | 'sigkill' | 'already-exited' = 'already-exited';
      if (qemu.running) {
        await qmp.quit();
        how = (await qemu.waitExit(3000)) ? 'qmp-quit' : await qemu.terminate();
      }
      await this.parts.unwind();
      this.parts.emit({ kind: 'power-off', how, durationMs: Math.round(performance.now() - started) });
    })();
    return this.powerOffPromise;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.powerOff();
  }
}
