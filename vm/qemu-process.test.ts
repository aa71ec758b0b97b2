// QEMU process handling against a fake QEMU (test-fixtures/fake-qemu.mjs): deadlines with the phase
// and the console tail, panics, early exits, SIGTERM → SIGKILL, and nothing left behind.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootGuest } from './guest.ts';
import { isVmError, type VmError } from './errors.ts';
import { REQUIRED_OPTIONS, TRACER_OPTIONS } from './preflight.ts';
import type { ResolvedKernel } from './resolved-kernel.ts';

const fakeQemu = new URL('./test-fixtures/fake-qemu.mjs', import.meta.url).pathname;
let root: string;
let kernel: ResolvedKernel;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ipvs-harness-fakeqemu-test-'));
  const configText = [...REQUIRED_OPTIONS, ...TRACER_OPTIONS.ftrace].map(([o]) => `CONFIG_${o}=y`).join('\n') + '\n';
  kernel = { label: 'fake', release: '6.1.0-fake', image: fakeQemu, configText, source: 'fake' };
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function bootFake(mode: string, timeoutMs: number): Promise<{ err: VmError; pid: number; tmp: string }> {
  const tmp = mkdtempSync(join(root, 'tmp-'));
  const pidFile = join(root, `${mode}.pid`);
  const saved = { TMPDIR: process.env.TMPDIR, FAKE_QEMU_MODE: process.env.FAKE_QEMU_MODE, FAKE_QEMU_PIDFILE: process.env.FAKE_QEMU_PIDFILE };
  Object.assign(process.env, { TMPDIR: tmp, FAKE_QEMU_MODE: mode, FAKE_QEMU_PIDFILE: pidFile });
  try {
    await bootGuest({ kernel, cacheDir: join(root, 'cache'), accel: 'tcg', timeoutMs, qemuBinary: fakeQemu });
    throw new Error('bootGuest resolved against a fake QEMU');
  } catch (err) {
    if (!isVmError(err)) throw err;
    return { err, pid: Number(readFileSync(pidFile, 'utf8')), tmp };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('bootGuest against a fake QEMU', () => {
  it('a guest that never gets ready: BOOT_TIMEOUT naming the phase, with the console tail; QEMU reaped, temp dir gone', async () => {
    const { err, pid, tmp } = await bootFake('hang', 2500);
    expect(err.code).toBe('BOOT_TIMEOUT');
    expect(err.phase).toBe('boot');
    expect(err.exitCode).toBe(3);
    expect(err.message).toMatch(/not ready within 3 s .*phase: boot/);
    expect(err.message).toContain('reached: kernel-start → init-start');
    expect(err.details).toContain('ipvs-harness: init-start uptime=1.50');
    expect(alive(pid)).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('a QEMU that ignores SIGTERM is SIGKILLed and reaped', async () => {
    const { err, pid, tmp } = await bootFake('stubborn', 3000);
    expect(err.code).toBe('BOOT_TIMEOUT');
    expect(existsSync(join(root, 'stubborn.pid.sigterm-ignored'))).toBe(true); // so it took SIGKILL
    expect(alive(pid)).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('a panic is an error carrying the panic text', async () => {
    const { err, pid, tmp } = await bootFake('panic', 10_000);
    expect(err.code).toBe('GUEST_PANIC');
    expect(err.message).toContain('Kernel panic - not syncing: Attempted to kill init!');
    expect(err.details).toContain('Kernel Offset: disabled');
    expect(alive(pid)).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('an early QEMU exit is QEMU_EXITED with its stderr', async () => {
    const { err, tmp } = await bootFake('exit', 10_000);
    expect(err.code).toBe('QEMU_EXITED');
    expect(err.message).toContain('fake failure');
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('an AbortSignal stops the boot with ABORTED (exit 130) and cleans up', async () => {
    const tmp = mkdtempSync(join(root, 'tmp-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    process.env.FAKE_QEMU_MODE = 'hang';
    const pidFile = join(root, 'abort.pid');
    process.env.FAKE_QEMU_PIDFILE = pidFile;
    try {
      const err = await bootGuest({ kernel, cacheDir: join(root, 'cache'), accel: 'tcg', timeoutMs: 30_000, qemuBinary: fakeQemu, signal: AbortSignal.timeout(800) }).catch((e: unknown) => e);
      expect(isVmError(err, 'ABORTED')).toBe(true);
      expect((err as VmError).exitCode).toBe(130);
      expect(existsSync(pidFile) && alive(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      process.env.TMPDIR = saved;
      delete process.env.FAKE_QEMU_MODE;
      delete process.env.FAKE_QEMU_PIDFILE;
    }
  });
});
