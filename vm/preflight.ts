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
  ['FTRACE', 'y', 'tracing'],
  ['FUNCTION_TRACER', 'y', 'tracing'],
  ['FUNCTION_GRAPH_TRACER', 'y', 'call graphs'],
  ['DYNAMIC_FTRACE', 'y', 'set_ftrace_filter'],
  ['KPROBE_EVENTS', 'y', 'hook-number probes'],
];

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

/** Pure: the options that are missing or have the wrong value. A module needs CONFIG_MODULES=y. */
export function missingKernelOptions(configText: string): MissingOption[] {
  const values = parseKernelConfig(configText);
  const missing: MissingOption[] = [];
  for (const [option, need, why] of REQUIRED_OPTIONS) {
    const actual = values.get(option) ?? 'n';
    const ok = need === 'y' ? actual === 'y' : actual === 'y' || actual === 'm';
    if (!ok) missing.push({ option, need, actual, why });
  }
  const anyModule = REQUIRED_OPTIONS.some(([o]) => values.get(o) === 'm');
  if (anyModule && values.get('MODULES') !== 'y') missing.push({ option: 'MODULES', need: 'y', actual: values.get('MODULES') ?? 'n', why: 'loading the =m options above' });
  return missing;
}

/** Throws PREFLIGHT_MISSING_OPTIONS (exit 2) naming every missing option. */
export function preflightKernel(configText: string, label = 'the kernel'): void {
  const missing = missingKernelOptions(configText);
  if (missing.length === 0) return;
  const list = missing.map((m) => `CONFIG_${m.option}=${m.need === 'y' ? 'y' : 'y or m'} (is ${m.actual}; ${m.why})`);
  throw new VmError(
    'PREFLIGHT_MISSING_OPTIONS',
    `${label} lacks ${missing.length} kernel option(s) the harness needs: ${missing.map((m) => `CONFIG_${m.option}`).join(', ')}; ` +
      'enable them (e.g. scripts/config -e OPTION, then make olddefconfig) and rebuild, or use a Debian cloud kernel (debian:6.1)',
    { phase: 'preflight', details: list.map((l) => `  ${l}`).join('\n'), data: { missing } },
  );
}
