// The QEMU command line, as a pure function (tested without QEMU).

export type Accel = 'tcg' | 'kvm';

export interface QemuArgsInput {
  kernelImage: string;
  initrd: string;
  consoleLog: string;
  qmpSocket: string;
  accel: Accel;
  memoryMb: number;
  /** Unique marker in the command line, so leftovers can be found with `pgrep -f`. */
  name: string;
  kernelArgs?: string[];
  /** false: no network device (bare boots). */
  network?: boolean;
  /** Start paused, waiting for a migration stream (`migrate-incoming`): a guest restored from a snapshot. */
  incoming?: boolean;
}

// no_timer_check: on a busy host the emulated timer misses the kernel's early IO-APIC check window and
// it panics with "IO-APIC + timer doesn't work!" (seen on 6.12 with the host at load 4).
// cryptomgr.notests: the crypto API's self-tests of every algorithm the kernel registers (Debian's
// kernels run them at boot: crypto_algapi_init and crypto_kdf108_init took ~0.7 s of initcalls on
// debian:6.1 under TCG) are skipped; no IPVS path uses the crypto API, and a kernel booted with
// fips=1 runs them anyway. Bare boots get it too, so it lowers bench:boot's baseline as much as our
// boot (docs/vm.md, "QEMU").
export const BASE_KERNEL_ARGS = ['console=ttyS0', 'panic=-1', 'mitigations=off', 'no_timer_check', 'cryptomgr.notests=1'];

// QEMU 7.2's TCG corrupts EFLAGS around `cmpxchg16b` (SLUB's fast path): Debian's 6.12.95 cloud
// kernel double-faulted or oopsed in about half of the boots with -cpu max; with cx16 off, 0 of 10.
// erms/fsrm off: with them the kernel copies and clears memory with `rep movsb`/`rep stosb`, and TCG
// runs a rep-prefixed string instruction one element per iteration, so a byte at a time; without
// them it picks `rep movsq`/`rep stosq`, eight bytes per iteration. Unpacking the 20 MB image went
// from ~0.3 s to ~0.12 s on debian:5.10 (docs/vm.md, "QEMU").
export const TCG_CPU = 'max,cx16=off,erms=off,fsrm=off';

export function qemuArgs(i: QemuArgsInput): string[] {
  const args = [
    '-name', i.name,
    // Single-threaded TCG: MTTCG plus ftrace patching once locked a vCPU (docs/vm.md, QEMU).
    ...(i.accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg', '-cpu', TCG_CPU]),
    '-smp', '1',
    '-m', String(i.memoryMb),
    // q35, not pc: on pc the first PCI device's interrupt goes through PIIX's ACPI link devices, whose
    // AML took ~0.25 s under TCG at virtio_pci's probe (docs/vm.md, "QEMU").
    '-M', 'q35',
    '-nodefaults', '-no-user-config',
    '-display', 'none',
    '-serial', `file:${i.consoleLog}`,
    '-no-reboot',
    '-kernel', i.kernelImage,
    '-initrd', i.initrd,
    '-append', [...BASE_KERNEL_ARGS, ...(i.kernelArgs ?? [])].join(' '),
    '-qmp', `unix:${i.qmpSocket},server=on,wait=off`,
  ];
  if (i.incoming) args.push('-incoming', 'defer');
  if (i.network !== false) {
    // Port 0: the host picks a free port (no race between parallel VMs); we read it back over QMP.
    args.push('-netdev', 'user,id=n0,hostfwd=tcp:127.0.0.1:0-:22', '-device', 'virtio-net-pci,netdev=n0,romfile=');
  }
  return args;
}

/** Parses the forwarded host port for guest port 22 out of `info usernet`. */
export function parseUsernetPort(text: string): number | undefined {
  for (const line of text.split(/\r?\n/)) {
    const m = /HOST_FORWARD\]\s+\d+\s+127\.0\.0\.1\s+(\d+)\s+\S+\s+22\b/.exec(line);
    if (m) return Number(m[1]);
  }
  return undefined;
}
