// Preflight: read the kernel's config and refuse, before booting, a kernel that cannot run IPVS
// scenarios, naming every missing option at once.
import { VmError } from './errors.ts';

export type Need = 'y' | 'ym';

/** Options the harness depends on: 'y' must be built in, 'ym' may also be a module. */
export const REQUIRED_OPTIONS: readonly (readonly [string, Need, string])[] = [
  ['BLK_DEV_INITRD', 'y', 'boot from our initramfs'],
  ['DEVTMPFS', 'y', '/dev in the guest'],
  ['TMPFS', 'y', '/run and /tmp'],
  ['PROC_FS', 'y', '/proc'],
  ['SYSFS', 'y', '/sys'],
  ['BINFMT_SCRIPT', 'y', 'the init script'],
  ['SERIAL_8250_CONSOLE', 'y', 'the console log'],
  ['INET', 'y', 'TCP/IP'],
  ['NET_NS', 'y', 'the management network namespace'],
  ['VIRTIO_PCI', 'ym', 'the network card'],
  ['VIRTIO_NET', 'ym', 'the network card'],
  ['VETH', 'ym', 'scenario topologies'],
  ['DUMMY', 'ym', 'VIP interfaces'],
  ['NETFILTER', 'y', 'IPVS hooks'],
  ['NF_CONNTRACK', 'ym', 'IPVS conntrack'],
  ['IP_VS', 'ym', 'IPVS itself'],
  ['IP_VS_PROTO_TCP', 'y', 'TCP services'],
  ['IP_VS_PROTO_UDP', 'y', 'UDP services'],
  ['IP_VS_RR', 'ym', 'the default scheduler'],
  ['IP_VS_NFCT', 'y', 'net.ipv4.vs.conntrack'],
];

/** What each tracer needs beside REQUIRED_OPTIONS (`run --tracer`). */
export const TRACER_OPTIONS: Record<'ftrace' | 'bpftrace', readonly (readonly [string, Need, string])[]> = {
  ftrace: [
    ['FTRACE', 'y', 'tracing'],
    ['FUNCTION_TRACER', 'y', 'tracing'],
    ['FUNCTION_GRAPH_TRACER', 'y', 'call graphs (function_graph); or run with --tracer bpftrace'],
    ['DYNAMIC_FTRACE', 'y', 'set_ftrace_filter'],
    ['KPROBE_EVENTS', 'y', 'hook-number probes'],
  ],
  bpftrace: [
    ['FUNCTION_TRACER', 'y', 'available_filter_functions: what bpftrace can probe (--tracer bpftrace)'],
    ['DYNAMIC_FTRACE', 'y', 'available_filter_functions: what bpftrace can probe (--tracer bpftrace)'],
    ['BPF_SYSCALL', 'y', 'bpftrace (--tracer bpftrace)'],
    ['BPF_EVENTS', 'y', "bpftrace's kprobes (--tracer bpftrace)"],
    ['KPROBES', 'y', "bpftrace's kprobes and kretprobes (--tracer bpftrace)"],
    ['KPROBE_EVENTS', 'y', "bpftrace's kprobes (--tracer bpftrace)"],
    ['FTRACE_SYSCALLS', 'y', "bpftrace's step markers, read from write(2) (--tracer bpftrace)"],
  ],
};

/** The tracers a run uses; the default (no argument) is ftrace alone. */
export interface TracerNeeds {
  ftrace: boolean;
  bpftrace: boolean;
}

export interface MissingOption {
  option: string;
  need: Need;
  actual: string;
  why: string;
}

/** Parses `CONFIG_X=value` and `# CONFIG_X is not set` lines. */
export function parseKernelConfig(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const set = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (set) values.set(set[1]!, set[2]!);
    const unset = /^# CONFIG_([A-Za-z0-9_]+) is not set/.exec(line);
    if (unset) values.set(unset[1]!, 'n');
  }
  return values;
}

/** An option one thing needs (a scenario's scheduler, TUN's ipip, IPv6), beside REQUIRED_OPTIONS. */
export interface KernelNeed {
  option: string;
  need: Need;
  why: string;
}

/** Pure: which of `needs` the config lacks (or has with the wrong value). */
export function missingOptions(configText: string, needs: readonly KernelNeed[]): MissingOption[] {
  const values = parseKernelConfig(configText);
  const missing: MissingOption[] = [];
  for (const { option, need, why } of needs) {
    const actual = values.get(option) ?? 'n';
    const ok = need === 'y' ? actual === 'y' : actual === 'y' || actual === 'm';
    if (!ok && !missing.some((m) => m.option === option)) missing.push({ option, need, actual, why });
  }
  if (needs.some(({ option }) => values.get(option) === 'm') && values.get('MODULES') !== 'y') {
    missing.push({ option: 'MODULES', need: 'y', actual: values.get('MODULES') ?? 'n', why: 'loading the =m options above' });
  }
  return missing;
}

/** Pure: the options that are missing or have the wrong value. A module needs CONFIG_MODULES=y. */
export function missingKernelOptions(configText: string, release?: string, tracers: TracerNeeds = { ftrace: true, bpftrace: false }): MissingOption[] {
  const options = [...REQUIRED_OPTIONS, ...(tracers.ftrace ? TRACER_OPTIONS.ftrace : []), ...(tracers.bpftrace ? TRACER_OPTIONS.bpftrace : [])];
  const missing = missingOptions(configText, options.map(([option, need, why]) => ({ option, need, why })));
  // A built-in IPVS has no module tag to filter its functions by: they are selected by line number
  // in available_filter_functions, which ftrace accepts from Linux 5.1 on.
  const version = release ? /^(\d+)\.(\d+)/.exec(release) : null;
  if (version && parseKernelConfig(configText).get('IP_VS') === 'y' && Number(version[1]) * 1000 + Number(version[2]) < 5001) {
    missing.push({ option: 'IP_VS', need: 'ym', actual: 'y', why: `built in on Linux ${release}: tracing a built-in IPVS needs Linux >= 5.1; build it as a module (CONFIG_IP_VS=m)` });
  }
  return missing;
}

/** The error that refuses a kernel (exit 2): every missing option named, with why it is needed. */
export function missingOptionsError(missing: readonly MissingOption[], label: string, needer = 'the harness'): VmError {
  const list = missing.map((m) => `CONFIG_${m.option}=${m.need === 'y' ? 'y' : 'y or m'} (is ${m.actual}; ${m.why})`);
  return new VmError(
    'PREFLIGHT_MISSING_OPTIONS',
    `${label} lacks ${missing.length} kernel option(s) ${needer} needs: ${missing.map((m) => `CONFIG_${m.option}`).join(', ')}; ` +
      'enable them (e.g. scripts/config -e OPTION, then make olddefconfig) and rebuild, or use a Debian cloud kernel (debian:6.1)',
    { phase: 'preflight', details: list.map((l) => `  ${l}`).join('\n'), data: { missing } },
  );
}

/** Throws PREFLIGHT_MISSING_OPTIONS (exit 2) naming every missing option. */
export function preflightKernel(configText: string, label = 'the kernel', release?: string, tracers?: TracerNeeds): void {
  const missing = missingKernelOptions(configText, release, tracers);
  if (missing.length > 0) throw missingOptionsError(missing, label);
}
