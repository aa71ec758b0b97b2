// Preflight and module closure on the real Debian kernels in the cache (`ipvs-harness setup`
// downloads them; `npm test` runs it first).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultCacheDir } from './cache-dir.ts';
import { cachedDebianKernels } from './debian-kernels.ts';
import { isVmError } from './errors.ts';
import { guestModulesDep, IPVS_CORE_MODULES, loadOrder, NETWORK_MODULES, parseModulesDep, readModulesDep, SHIPPED_MODULES } from './modules.ts';
import { missingKernelOptions, preflightKernel } from './preflight.ts';

const kernels = cachedDebianKernels(defaultCacheDir());
const bySeries = (s: string) => kernels.find((k) => k.series === s);

describe('preflight on real Debian cloud kernels', () => {
  it('finds the three default kernels in the cache', () => {
    expect(['5.10', '6.1', '6.12'].filter((s) => !bySeries(s))).toEqual([]);
  });

  for (const series of ['5.10', '6.1', '6.12']) {
    it(`debian:${series} passes`, () => {
      const k = bySeries(series)!;
      const config = readFileSync(join(k.dir, 'boot', `config-${k.release}`), 'utf8');
      expect(missingKernelOptions(config)).toEqual([]);
      expect(() => preflightKernel(config)).not.toThrow();
    });
  }

  it('a copy without IP_VS (and with FUNCTION_GRAPH_TRACER off) is refused, naming both, exit code 2', () => {
    const k = bySeries('6.1')!;
    const config = readFileSync(join(k.dir, 'boot', `config-${k.release}`), 'utf8')
      .replace(/^CONFIG_IP_VS=m$/m, '# CONFIG_IP_VS is not set')
      .replace(/^CONFIG_FUNCTION_GRAPH_TRACER=y$/m, '');
    let err: unknown;
    try {
      preflightKernel(config, 'kernel test');
    } catch (e) {
      err = e;
    }
    expect(isVmError(err, 'PREFLIGHT_MISSING_OPTIONS')).toBe(true);
    if (!isVmError(err)) return;
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('CONFIG_IP_VS,');
    expect(err.message).toContain('CONFIG_FUNCTION_GRAPH_TRACER');
    expect(err.details).toMatch(/CONFIG_IP_VS=y or m \(is n; IPVS itself\)/);
  });

  for (const series of ['5.10', '6.1', '6.12']) {
    it(`debian:${series} has what bpftrace needs (--tracer bpftrace)`, () => {
      const k = bySeries(series)!;
      const config = readFileSync(join(k.dir, 'boot', `config-${k.release}`), 'utf8');
      expect(missingKernelOptions(config, k.release, { ftrace: true, bpftrace: true })).toEqual([]);
    });
  }

  it('--tracer bpftrace: a kernel without function_graph passes, one without kprobes is refused naming CONFIG_KPROBES', () => {
    const k = bySeries('6.1')!;
    const noGraph = readFileSync(join(k.dir, 'boot', `config-${k.release}`), 'utf8').replace(/^CONFIG_FUNCTION_GRAPH_TRACER=y$/m, '');
    expect(missingKernelOptions(noGraph, k.release, { ftrace: false, bpftrace: true })).toEqual([]);
    expect(missingKernelOptions(noGraph, k.release).map((m) => m.option)).toEqual(['FUNCTION_GRAPH_TRACER']);
    const noKprobes = noGraph.replace(/^CONFIG_KPROBES=y$/m, '# CONFIG_KPROBES is not set');
    let err: unknown;
    try {
      preflightKernel(noKprobes, 'kernel test', k.release, { ftrace: false, bpftrace: true });
    } catch (e) {
      err = e;
    }
    expect(isVmError(err, 'PREFLIGHT_MISSING_OPTIONS')).toBe(true);
    if (!isVmError(err)) return;
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('CONFIG_KPROBES');
    expect(err.details).toContain("bpftrace's kprobes and kretprobes (--tracer bpftrace)");
  });

  it('=m options need CONFIG_MODULES=y', () => {
    expect(missingKernelOptions('CONFIG_IP_VS=m\n').map((m) => m.option)).toContain('MODULES');
  });
});

describe('module closure', () => {
  it('orders dependencies first and rewrites compressed paths for the guest', () => {
    const dep = parseModulesDep([
      'kernel/net/netfilter/ipvs/ip_vs.ko.xz: kernel/net/netfilter/nf_conntrack.ko.xz kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko.xz kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko.xz kernel/lib/libcrc32c.ko.xz',
      'kernel/net/netfilter/nf_conntrack.ko.xz: kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko.xz kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko.xz kernel/lib/libcrc32c.ko.xz',
      'kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko.xz:',
      'kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko.xz:',
      'kernel/lib/libcrc32c.ko.xz:',
    ].join('\n'));
    const order = loadOrder(dep, ['ip_vs', 'not_a_module']).map((e) => e.name);
    expect(order.at(-1)).toBe('ip_vs');
    expect(order.indexOf('nf_conntrack')).toBeGreaterThan(order.indexOf('libcrc32c'));
    expect(new Set(order).size).toBe(order.length);
    expect(guestModulesDep(loadOrder(dep, ['nf_conntrack']))).toContain('kernel/net/netfilter/nf_conntrack.ko: kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko');
  });

  for (const series of ['5.10', '6.1', '6.12']) {
    it(`debian:${series}: network and ip_vs closures resolve, every scheduler ships`, () => {
      const k = bySeries(series)!;
      const dep = readModulesDep(join(k.dir, 'lib', 'modules', k.release));
      const boot = loadOrder(dep, [...NETWORK_MODULES, ...IPVS_CORE_MODULES]).map((e) => e.name);
      expect(boot).toContain('virtio_net');
      expect(boot).toContain('ip_vs');
      expect(boot.indexOf('nf_conntrack')).toBeLessThan(boot.indexOf('ip_vs'));
      const shipped = new Set(loadOrder(dep, SHIPPED_MODULES).map((e) => e.name));
      for (const m of ['ip_vs_rr', 'ip_vs_wrr', 'ip_vs_lc', 'ip_vs_wlc', 'ip_vs_sh', 'ip_vs_dh', 'ip_vs_mh', 'ip_vs_sed', 'ip_vs_nq', 'ip_vs_lblc', 'ip_vs_lblcr', 'ip_vs_fo', 'ip_vs_ovf', 'ipip', 'tunnel4', 'bridge', 'veth', 'dummy']) {
        expect(shipped.has(m), m).toBe(true);
      }
    });
  }
});
