// Which of the modules the harness uses are built into a kernel (CONFIG_X=y): those are never
// modprobed nor unloaded, and a built-in IPVS is reset between scenarios another way. Read from
// modules.builtin (what kbuild writes next to vmlinux; Debian ships it in lib/modules/<release>),
// and from the config when there is none (CONFIG_MODULES=n: no module tree at all).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { moduleNameOf } from './modules.ts';
import { parseKernelConfig } from './preflight.ts';

/** IPVS schedulers by module suffix (ip_vs_<name>), each behind CONFIG_IP_VS_<NAME>. */
export const IPVS_SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'mh', 'sed', 'nq', 'fo', 'ovf', 'twos'] as const;

/** The kernel option that builds each module the harness may load. */
export const MODULE_OPTIONS: Readonly<Record<string, string>> = {
  ip_vs: 'IP_VS',
  ...Object.fromEntries(IPVS_SCHEDULERS.map((s) => [`ip_vs_${s}`, `IP_VS_${s.toUpperCase()}`])),
  ip_vs_ftp: 'IP_VS_FTP',
  nf_conntrack: 'NF_CONNTRACK',
  nf_nat: 'NF_NAT',
  nf_defrag_ipv4: 'NF_DEFRAG_IPV4',
  nf_defrag_ipv6: 'NF_DEFRAG_IPV6',
  veth: 'VETH',
  dummy: 'DUMMY',
  ipip: 'NET_IPIP',
  bridge: 'BRIDGE',
  sch_netem: 'NET_SCH_NETEM',
  xt_ipvs: 'NETFILTER_XT_MATCH_IPVS',
  virtio_pci: 'VIRTIO_PCI',
  virtio_net: 'VIRTIO_NET',
};

/** How this kernel has IPVS: `ip_vs` itself a module or built in, and which IPVS parts are built in. */
export interface IpvsBuild {
  core: 'module' | 'built-in';
  /** IPVS modules built in (ip_vs, ip_vs_rr, ...), sorted. */
  builtIn: string[];
}

/** Module names from modules.builtin (`kernel/net/netfilter/ipvs/ip_vs.ko` per line). */
export function parseModulesBuiltin(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) if (line.trim()) names.add(moduleNameOf(line.trim()));
  return names;
}

/** The modules of MODULE_OPTIONS whose option is `y` in the config. */
export function builtinFromConfig(configText: string): Set<string> {
  const values = parseKernelConfig(configText);
  return new Set(Object.entries(MODULE_OPTIONS).filter(([, option]) => values.get(option) === 'y').map(([name]) => name));
}

/** Pure: modules.builtin when there is one (it also knows modules without an option of their own), else the config. */
export function builtinModules(configText: string, modulesBuiltinText?: string): Set<string> {
  if (modulesBuiltinText === undefined) return builtinFromConfig(configText);
  // A modules.builtin left from another configuration must not hide what the config builds in.
  return new Set([...parseModulesBuiltin(modulesBuiltinText), ...builtinFromConfig(configText)]);
}

export function ipvsBuildOf(builtIn: ReadonlySet<string>): IpvsBuild {
  return {
    core: builtIn.has('ip_vs') ? 'built-in' : 'module',
    builtIn: [...builtIn].filter((n) => n === 'ip_vs' || n.startsWith('ip_vs_')).sort(),
  };
}

/** The built-in modules of a resolved kernel: its modules dir's modules.builtin, or its config. */
export function kernelBuiltinModules(kernel: { configText: string; modulesDir?: string }): Set<string> {
  const file = kernel.modulesDir ? join(kernel.modulesDir, 'modules.builtin') : undefined;
  return builtinModules(kernel.configText, file && existsSync(file) ? readFileSync(file, 'utf8') : undefined);
}
