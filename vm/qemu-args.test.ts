import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { classifyConsoleLine } from './console-watcher.ts';
import { guestCommandLine, MAX_COMMAND_LINE, wrapGuestCommand } from './guest-ssh.ts';
import { parseUsernetPort, qemuArgs } from './qemu-args.ts';
import { shellJoin, shellQuote } from './shell-quote.ts';

describe('qemuArgs', () => {
  const base = { kernelImage: '/k', initrd: '/i', consoleLog: '/c.log', qmpSocket: '/q.sock', memoryMb: 512, name: 'ipvs-harness-x' };
  it('always has -no-reboot, panic=-1, single-threaded TCG on q35 without erms/fsrm and a 127.0.0.1-only forward on port 0', () => {
    const a = qemuArgs({ ...base, accel: 'tcg', kernelArgs: ['ipvsharness.nossh=1'] });
    expect(a).toContain('-no-reboot');
    expect(a[a.indexOf('-append') + 1]).toBe('console=ttyS0 panic=-1 mitigations=off no_timer_check cryptomgr.notests=1 ipvsharness.nossh=1');
    expect(a.slice(a.indexOf('-accel'), a.indexOf('-accel') + 4)).toEqual(['-accel', 'tcg', '-cpu', 'max,cx16=off,erms=off,fsrm=off']);
    expect(a[a.indexOf('-smp') + 1]).toBe('1');
    expect(a[a.indexOf('-M') + 1]).toBe('q35');
    expect(a).toContain('user,id=n0,hostfwd=tcp:127.0.0.1:0-:22');
  });
  it('uses -cpu host only with KVM', () => {
    const a = qemuArgs({ ...base, accel: 'kvm' });
    expect(a.slice(a.indexOf('-accel'), a.indexOf('-accel') + 4)).toEqual(['-accel', 'kvm', '-cpu', 'host']);
  });
  it('reads the forwarded port from info usernet', () => {
    const text = 'Hub -1 (n0):\r\n  Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ\r\n  TCP[HOST_FORWARD]   8       127.0.0.1 36897       10.0.2.15    22     0     0\r\n';
    expect(parseUsernetPort(text)).toBe(36897);
    expect(parseUsernetPort('Hub -1 (n0):\r\n')).toBeUndefined();
  });
});

describe('console lines', () => {
  it('recognises stages and panics', () => {
    expect(classifyConsoleLine('[    0.000000] Linux version 6.1.0-56-cloud-amd64 (debian-kernel@lists.debian.org)')).toEqual({ stage: 'kernel-start' });
    expect(classifyConsoleLine('ipvs-harness: ssh-ready uptime=2.31')).toEqual({ stage: 'ssh-ready', guestUptime: 2.31 });
    expect(classifyConsoleLine('[    3.4] Kernel panic - not syncing: sysrq triggered crash')).toEqual({ panic: true });
    expect(classifyConsoleLine('echo ipvs-harness: ssh-ready')).toEqual({});
  });
});

describe('shellQuote', () => {
  it('round-trips through a real shell', () => {
    const words = ['plain', 'with space', "it's", '$HOME', '`id`', 'a"b', '', 'x\ny', '*'];
    const out = execFileSync('sh', ['-c', `printf '%s\\0' ${shellJoin(words)}`]).toString();
    expect(out.split('\0').slice(0, -1)).toEqual(words);
    expect(shellQuote('/proc/net/ip_vs')).toBe('/proc/net/ip_vs');
  });
  it('wraps guest commands for the root or the management namespace', () => {
    expect(wrapGuestCommand('cat /proc/version', 'root')).toMatch(/^exec \/bin\/nsenter --net=\/proc\/1\/ns\/net \/bin\/sh -c '.*cat \/proc\/version'$/);
    expect(wrapGuestCommand('ip addr', 'management')).not.toContain('nsenter');
    // A command longer than dropbear takes on its command line goes on stdin, into a file run by the same shell.
    const long = `echo ${'x'.repeat(9000)}`;
    expect(guestCommandLine('true', 'root')).toEqual({ line: wrapGuestCommand('true', 'root') });
    const wire = guestCommandLine(long, 'root', 'busybox');
    expect(wire.line.length).toBeLessThan(MAX_COMMAND_LINE);
    expect(wire.line).toMatch(/^exec \/bin\/nsenter --net=\/proc\/1\/ns\/net \/bin\/busybox sh -c '.*cat > "\$f".*\/bin\/busybox sh "\$f" <\/dev\/null/);
    expect(wire.stdin).toContain(long);
    // Run here as the guest's login shell would (the management form: no nsenter): it prints, exits
    // with the command's status, and leaves no file behind.
    const mgmt = guestCommandLine(`${long} | wc -c; exit 3`, 'management', 'busybox');
    const r = spawnSync('sh', ['-c', mgmt.line], { input: mgmt.stdin, encoding: 'utf8' });
    expect([r.stdout.trim(), r.status]).toEqual(['9001', 3]); // 9000 x and a newline
    expect(r.stdout + r.stderr).not.toContain('ipvsh-cmd');
    // The harness's own scripts: busybox's ash, in the root namespace too.
    expect(wrapGuestCommand('cat /proc/version', 'root', 'busybox')).toMatch(/^exec \/bin\/nsenter --net=\/proc\/1\/ns\/net \/bin\/busybox sh -c '.*cat \/proc\/version'$/);
  });
});

describe('qemuArgs for a restore', () => {
  it('waits for the migration stream (-incoming defer) with the same machine otherwise', () => {
    const base = { kernelImage: 'k', initrd: 'i', consoleLog: 'c', qmpSocket: 'q', accel: 'tcg' as const, memoryMb: 512, name: 'n' };
    const restored = qemuArgs({ ...base, incoming: true });
    expect(restored.slice(restored.indexOf('-incoming'), restored.indexOf('-incoming') + 2)).toEqual(['-incoming', 'defer']);
    expect(restored.filter((a) => a !== '-incoming' && a !== 'defer')).toEqual(qemuArgs(base));
  });
});
