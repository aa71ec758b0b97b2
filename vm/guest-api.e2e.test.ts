// End to end through the API: one real guest, its layout, transfers, timeouts and host-key pinning.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootGuest, type Guest } from './guest.ts';
import { isVmError } from './errors.ts';
import type { VmEvent } from './events.ts';
import { generateEd25519KeyPair, publicKeyBlob } from './host-keys.ts';
import { SshSession } from './ssh-client.ts';

let guest: Guest;
const events: VmEvent[] = [];

beforeAll(async () => {
  guest = await bootGuest({ kernel: 'debian:6.12', preloadModules: ['ip_vs'], onEvent: (e) => events.push(e) });
});
afterAll(async () => {
  await guest?.powerOff();
});

describe('a booted guest (debian:6.12)', () => {
  it('emitted the boot stages in order, with timings', () => {
    const stages = events.filter((e) => e.kind === 'boot-stage').map((e) => (e.kind === 'boot-stage' ? e.stage : ''));
    expect(stages).toEqual(['qemu-started', 'kernel-start', 'init-start', 'modules-loaded', 'network-up', 'ssh-ready']);
    expect(guest.bootTimings.qemuToSshReadyMs).toBeGreaterThan(0);
    expect(guest.bootTimings.guestUptime['ssh-ready']).toBeGreaterThan(0);
  });

  it('runs commands in the root namespace by default; eth0 and sshd live in the management namespace', async () => {
    const root = await guest.exec('ls /sys/class/net');
    expect(root.stdout.split('\n')).not.toContain('eth0');
    const mgmt = await guest.exec('ls /sys/class/net; ip -o -4 addr show eth0', { namespace: 'management' });
    expect(mgmt.stdout).toContain('10.0.2.15/24');
  });

  it('has ip_vs preloaded, tracefs mounted, real ip/ipvsadm/socat first in PATH, netns working', async () => {
    const r = await guest.exec([
      'cat /proc/net/ip_vs | head -1',
      'test -e /sys/kernel/tracing/trace_marker && echo tracefs-ok',
      'for c in ip ipvsadm socat; do command -v $c; done',
      'ip netns add t1 && ip netns exec t1 ip -o link show lo | cut -d: -f2',
      "modprobe ip_vs_wlc && grep -c '^ip_vs_wlc ' /proc/modules",
      'ipvsadm -A -t 10.96.0.10:80 -s wlc && ipvsadm -Ln | grep -c "TCP  10.96.0.10:80 wlc"',
    ].join('; '));
    expect(r.stdout.split('\n')).toEqual([
      'IP Virtual Server version 1.2.1 (size=4096)', 'tracefs-ok', '/usr/sbin/ip', '/usr/sbin/ipvsadm', '/usr/bin/socat', ' lo', '1', '1', '',
    ]);
    expect(r.exitCode).toBe(0);
  });

  it('uploads and downloads bytes unchanged', async () => {
    const data = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7) % 256));
    await guest.upload(data, '/tmp/blob', { mode: 0o600 });
    expect((await guest.download('/tmp/blob')).equals(data)).toBe(true);
    expect((await guest.exec('stat -c %a /tmp/blob')).stdout.trim()).toBe('600');
  });

  it('a command past its deadline comes back timedOut', async () => {
    const r = await guest.exec('sleep 20', { timeoutMs: 500 });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
    expect((await guest.exec('echo still-alive')).stdout).toBe('still-alive\n');
  });

  it('runs scripts through one script session: root namespace, its own statuses, a timeout, then more scripts', async () => {
    const session = guest.scriptSession();
    const ash = { shell: 'busybox' as const, timeoutMs: 20_000 };
    const a = await session.exec('ls /sys/class/net; echo err >&2; exit 4', ash);
    expect(a.stdout.split('\n')).not.toContain('eth0');
    expect(a).toMatchObject({ stderr: 'err\n', exitCode: 4, timedOut: false });
    // One shell: the pid of the script's parent is the same for every script.
    const p1 = (await session.exec('echo $PPID', ash)).stdout;
    const p2 = (await session.exec('echo $PPID', ash)).stdout;
    expect(p1).toBe(p2);
    const t = await session.exec('sleep 30', { ...ash, timeoutMs: 500 });
    expect(t.timedOut).toBe(true);
    const b = await session.exec('/usr/sbin/ipvsadm -Ln | head -1; ls /tmp | grep -c ipvsh-script', ash);
    expect(b.stdout).toMatch(/^IP Virtual Server version/);
    expect(b.stdout.trim().split('\n').at(-1)).toBe('0');
    await session.close();
  });

  it('refuses a host key other than the one generated for this guest', async () => {
    const client = generateEd25519KeyPair();
    const wrong = generateEd25519KeyPair();
    const err = await SshSession.connect({ port: guest.sshPort, privateKey: client.private, hostKeyBlob: publicKeyBlob(wrong.public), timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(isVmError(err, 'HOST_KEY_MISMATCH')).toBe(true);
  });

  it('powers off: QEMU gone, console log and temp dir removed', async () => {
    const log = guest.consoleLogPath;
    const pid = guest.qemuPid!;
    expect(existsSync(log)).toBe(true);
    await guest.powerOff();
    expect(existsSync(log)).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
