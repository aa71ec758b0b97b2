// What net/netfilter/ipvs/Makefile builds: one module per `obj-$(CONFIG_X) += name.o` line. Pure.
// The harness builds a subset (only what the scenarios load) by switching the others' CONFIG_
// symbols off on make's command line, so the tree's own Makefile still decides what ip_vs.ko holds.

export interface IpvsModule {
  /** Module name: ip_vs, ip_vs_rr, ... */
  name: string;
  /** The Kconfig symbol that builds it: CONFIG_IP_VS_RR. */
  config: string;
}

/** The modules of an IPVS Makefile, in the order it lists them. Continuation lines are joined. */
export function parseIpvsMakefile(text: string): IpvsModule[] {
  const out: IpvsModule[] = [];
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const line of lines) {
    const m = /^\s*obj-\$\((CONFIG_[A-Z0-9_]+)\)\s*\+?:?=\s*(.+)$/.exec(line.replace(/#.*$/, ''));
    if (!m) continue;
    for (const obj of m[2]!.trim().split(/\s+/)) {
      const name = /^([A-Za-z0-9_-]+)\.o$/.exec(obj)?.[1];
      if (name && !out.some((x) => x.name === name)) out.push({ name: name.replace(/-/g, '_'), config: m[1]! });
    }
  }
  return out;
}

/** Modules the kernel's config builds as modules (=m); `=y` would be built in, which an out-of-tree build cannot replace. */
export function modulesForConfig(modules: readonly IpvsModule[], configText: string): { buildable: IpvsModule[]; builtIn: IpvsModule[] } {
  const value = (sym: string): string | undefined => new RegExp(`^${sym}=(\\S+)`, 'm').exec(configText)?.[1];
  return {
    buildable: modules.filter((m) => value(m.config) === 'm'),
    builtIn: modules.filter((m) => value(m.config) === 'y'),
  };
}

/**
 * make's command-line variables for building only `wanted` (the rest switched off), without debug
 * info (a third of the compile time, 20 times the size; ftrace needs none) and without BTF (needs
 * the kernel's vmlinux, which the headers lack).
 */
export function makeVariables(modules: readonly IpvsModule[], wanted: readonly string[]): string[] {
  const keep = new Set(modules.filter((m) => wanted.includes(m.name)).map((m) => m.config));
  const off = [...new Set(modules.map((m) => m.config))].filter((c) => !keep.has(c));
  return ['CONFIG_DEBUG_INFO=', 'CONFIG_DEBUG_INFO_BTF_MODULES=', ...off.map((c) => `${c}=`)];
}

/** The modules a set of schedulers needs: ip_vs itself and ip_vs_<scheduler> for each. */
export function modulesForSchedulers(schedulers: readonly string[]): string[] {
  return ['ip_vs', ...[...new Set(schedulers)].sort().map((s) => `ip_vs_${s}`)];
}
