// Kernel modules for the guest: which ones ship, their dependency closure from modules.dep, the
// load order for boot, and the guest's own (reduced) modules.dep so busybox `modprobe` works there.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Network stack the guest needs to reach its SSH server. */
export const NETWORK_MODULES = ['virtio_pci', 'virtio_net'];
/** The IPVS core. Not loaded at boot (~0.3 s of every TCG boot, and scenarios `modprobe ip_vs`
 * anyway); `bootGuest({ preloadModules: ['ip_vs'] })` loads it at boot when asked. */
export const IPVS_CORE_MODULES = ['nf_conntrack', 'ip_vs'];
/** Shipped for `modprobe` in the guest; absent ones (built in, or not in this kernel) are skipped. */
export const SHIPPED_MODULES = [
  ...NETWORK_MODULES,
  'veth', 'dummy', 'nf_conntrack', 'nf_nat', 'nf_defrag_ipv4', 'nf_defrag_ipv6',
  'ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_lc', 'ip_vs_wlc', 'ip_vs_sh', 'ip_vs_dh', 'ip_vs_mh', 'ip_vs_sed',
  'ip_vs_nq', 'ip_vs_lblc', 'ip_vs_lblcr', 'ip_vs_fo', 'ip_vs_ovf', 'ip_vs_twos',
  'ipip', 'tunnel4', 'ip_tunnel', 'bridge', 'stp', 'llc', 'sch_netem', 'xt_ipvs',
];

export interface ModuleEntry {
  /** Normalised name: dashes become underscores, no .ko suffix. */
  name: string;
  /** Path relative to lib/modules/<release>, as in modules.dep (maybe .ko.xz / .ko.zst). */
  path: string;
  deps: string[];
}

export function moduleNameOf(path: string): string {
  const base = path.split('/').at(-1) ?? path;
  return base.replace(/\.ko(\.xz|\.zst|\.gz)?$/, '').replace(/-/g, '_');
}

/** Strips the compression suffix: the guest gets plain .ko files (busybox insmod cannot decompress). */
export function guestModulePath(path: string): string {
  return path.replace(/\.ko\.(xz|zst|gz)$/, '.ko');
}

export function parseModulesDep(text: string): Map<string, ModuleEntry> {
  const byName = new Map<string, ModuleEntry>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const path = line.slice(0, colon).trim();
    const deps = line.slice(colon + 1).trim().split(/\s+/).filter(Boolean).map(moduleNameOf);
    byName.set(moduleNameOf(path), { name: moduleNameOf(path), path, deps });
  }
  return byName;
}

export function readModulesDep(modulesDir: string): Map<string, ModuleEntry> {
  const file = join(modulesDir, 'modules.dep');
  return existsSync(file) ? parseModulesDep(readFileSync(file, 'utf8')) : new Map();
}

/** Dependencies first, each module once: the order `insmod` must follow. Unknown names are skipped. */
export function loadOrder(dep: Map<string, ModuleEntry>, wanted: readonly string[]): ModuleEntry[] {
  const out: ModuleEntry[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    const key = name.replace(/-/g, '_');
    if (seen.has(key)) return;
    seen.add(key);
    const entry = dep.get(key);
    if (!entry) return;
    for (const d of entry.deps) visit(d);
    out.push(entry);
  };
  for (const w of wanted) visit(w);
  return out;
}

/** The guest's modules.dep: only shipped modules, plain .ko paths. */
export function guestModulesDep(entries: readonly ModuleEntry[]): string {
  return entries.map((e) => `${guestModulePath(e.path)}: ${e.deps.map((d) => guestModulePath(entries.find((x) => x.name === d)?.path ?? `${d}.ko`)).join(' ')}`.trimEnd() + '\n').join('');
}

/** modules.alias lines whose module ships, so the kernel's request_module (e.g. net-pf-*) finds them. */
export function guestModulesAlias(aliasText: string, shipped: ReadonlySet<string>): string {
  return aliasText
    .split('\n')
    .filter((l) => {
      const m = /^alias\s+\S+\s+(\S+)$/.exec(l);
      return m !== null && shipped.has(m[1]!.replace(/-/g, '_'));
    })
    .map((l) => l + '\n')
    .join('');
}
