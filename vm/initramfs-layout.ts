// What goes into the guest image besides modules: busybox and its applets, real binaries with the
// shared libraries `ldd` lists, and the small files a login needs.
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import type { CpioWriter } from './cpio-writer.ts';
import { VmError } from './errors.ts';

/** Host binary → guest path. Real tools come before busybox in the guest's PATH. */
export const GUEST_BINARIES: readonly { guest: string; host: readonly string[]; pkg: string }[] = [
  { guest: '/bin/dash', host: ['/usr/bin/dash', '/bin/dash'], pkg: 'dash' },
  { guest: '/usr/sbin/dropbear', host: ['/usr/sbin/dropbear'], pkg: 'dropbear-bin' },
  { guest: '/usr/sbin/ipvsadm', host: ['/usr/sbin/ipvsadm', '/sbin/ipvsadm'], pkg: 'ipvsadm' },
  { guest: '/usr/sbin/ip', host: ['/usr/sbin/ip', '/usr/bin/ip', '/sbin/ip', '/bin/ip'], pkg: 'iproute2' },
  { guest: '/usr/sbin/tc', host: ['/usr/sbin/tc', '/sbin/tc'], pkg: 'iproute2' },
  { guest: '/usr/bin/socat', host: ['/usr/bin/socat'], pkg: 'socat' },
  // For the kernel's own selftests (harness/selftest): newer trees' scripts and net/lib.sh are bash
  // and call `readlink -e` and `date +%s%3N`, which busybox's applets do not know.
  { guest: '/bin/bash', host: ['/usr/bin/bash', '/bin/bash'], pkg: 'bash' },
  { guest: '/usr/bin/readlink', host: ['/usr/bin/readlink', '/bin/readlink'], pkg: 'coreutils' },
  { guest: '/usr/bin/date', host: ['/usr/bin/date', '/bin/date'], pkg: 'coreutils' },
];
export const BUSYBOX_HOST = '/usr/bin/busybox';

export function findHostBinary(candidates: readonly string[], pkg: string, setupFlag = ''): string {
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new VmError('HOST_TOOL_MISSING', `${candidates[0]} is missing on this host; run \`ipvs-harness setup${setupFlag}\` (it installs ${pkg})`, { phase: 'image' });
  }
  return found;
}

/** Shared libraries of a dynamic binary, as absolute paths (empty for static binaries). */
export async function sharedLibraries(binary: string): Promise<string[]> {
  const r = await execa('ldd', [binary], { reject: false });
  if (r.exitCode !== 0) return []; // "not a dynamic executable"
  const libs: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.push(m[1]!);
  }
  return libs;
}

/**
 * `ldd` of every binary costs ~0.3-0.6 s per boot; remember each binary's libraries on disk, keyed on
 * its path, size and mtime. (The libraries' own stats still go into the image key.)
 */
export async function sharedLibrariesMemo(binary: string, cacheDir: string): Promise<string[]> {
  const st = statSync(binary);
  const key = `${binary}:${st.size}:${st.mtimeMs}`;
  const file = join(cacheDir, 'images', 'ldd-memo.json');
  let memo: Record<string, string[]> = {};
  try {
    memo = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string[]>;
  } catch {
    // First use, or a broken file: rebuild it.
  }
  const hit = memo[key];
  if (hit && hit.every((l) => existsSync(l))) return hit;
  const libs = await sharedLibraries(binary);
  memo[key] = libs;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp-${process.pid}`, JSON.stringify(memo, null, 1));
  renameSync(`${file}.tmp-${process.pid}`, file);
  return libs;
}

/** Adds a host file at `guestPath` with its content (symlinks resolved) and mode. */
export function addHostFile(cpio: CpioWriter, hostPath: string, guestPath: string): void {
  const real = realpathSync(hostPath);
  cpio.file(guestPath, readFileSync(real), statSync(real).mode & 0o7777);
}

export async function busyboxApplets(): Promise<string[]> {
  const r = await execa(BUSYBOX_HOST, ['--list']);
  return r.stdout.split('\n').filter(Boolean);
}

export function addBaseFiles(cpio: CpioWriter): void {
  for (const d of ['proc', 'sys', 'dev', 'run', 'tmp', 'etc', 'root', 'var', 'mnt', 'usr/bin', 'usr/sbin', 'bin', 'sbin', 'lib']) cpio.dir(d);
  cpio.dir('tmp', 0o1777).dir('root', 0o700).dir('root/.ssh', 0o700);
  cpio.symlink('var/run', '/run');
  // Needed before devtmpfs is mounted: the kernel opens /dev/console for init's stdio.
  cpio.charDevice('dev/console', 5, 1).charDevice('dev/null', 1, 3, 0o666);
  // The login shell only runs the harness's one-line wrapper (vm/guest-ssh.ts: nsenter into the root
  // namespace, then /bin/sh, dash, for the command itself): busybox's static ash starts in ~4 ms
  // under TCG against ~30 ms for the dynamically linked dash, once per exec.
  cpio.file('etc/passwd', 'root:x:0:0:root:/root:/bin/ash\n');
  cpio.file('etc/group', 'root:x:0:\n');
  cpio.file('etc/shadow', 'root:*:19000:0:99999:7:::\n', 0o600);
  cpio.file('etc/shells', '/bin/sh\n/bin/dash\n/bin/ash\n');
  cpio.file('etc/hosts', '127.0.0.1 localhost guest\n');
  cpio.file('etc/nsswitch.conf', 'passwd: files\ngroup: files\nhosts: files\n');
  // Mounted by init's one `mount -a`, in this order (vm/guest/init.sh.tpl mounts /proc and /dev first).
  cpio.file('etc/fstab', [
    'sysfs /sys sysfs defaults 0 0',
    'devpts /dev/pts devpts defaults 0 0',
    'tmpfs /run tmpfs mode=0755 0 0',
    'tmpfs /tmp tmpfs defaults 0 0',
    'tmpfs /dev/shm tmpfs defaults 0 0',
    'tracefs /sys/kernel/tracing tracefs defaults 0 0',
    'debugfs /sys/kernel/debug debugfs defaults 0 0',
  ].join('\n') + '\n');
  cpio.dir('etc/dropbear', 0o700);
}
