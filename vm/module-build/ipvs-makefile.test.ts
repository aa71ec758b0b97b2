// The IPVS Makefiles of real kernels (Debian's linux-source 5.10 and 6.1) and the subset builds.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultCacheDir } from '../cache-dir.ts';
import { cachedDebianKernels } from '../debian-kernels.ts';
import { makeVariables, modulesForConfig, modulesForSchedulers, parseIpvsMakefile } from './ipvs-makefile.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'module-build', name), 'utf8');

describe('parseIpvsMakefile', () => {
  it('lists every module of 6.1 with its Kconfig symbol, ip_vs first', () => {
    const mods = parseIpvsMakefile(fixture('ipvs-Makefile-6.1'));
    expect(mods[0]).toEqual({ name: 'ip_vs', config: 'CONFIG_IP_VS' });
    expect(mods.map((m) => m.name)).toEqual([
      'ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_lc', 'ip_vs_wlc', 'ip_vs_fo', 'ip_vs_ovf', 'ip_vs_lblc', 'ip_vs_lblcr',
      'ip_vs_dh', 'ip_vs_sh', 'ip_vs_mh', 'ip_vs_sed', 'ip_vs_nq', 'ip_vs_twos', 'ip_vs_ftp', 'ip_vs_pe_sip',
    ]);
    // ip_vs-objs lines are parts of ip_vs.ko, not modules.
    expect(mods.some((m) => m.name.startsWith('ip_vs_proto') || m.name === 'ip_vs_core')).toBe(false);
  });

  it('5.10 has no twos scheduler', () => {
    const names = parseIpvsMakefile(fixture('ipvs-Makefile-5.10')).map((m) => m.name);
    expect(names).toContain('ip_vs_mh');
    expect(names).not.toContain('ip_vs_twos');
  });
});

describe('subset builds', () => {
  it('switches off every module not wanted, and debug info', () => {
    const vars = makeVariables(parseIpvsMakefile(fixture('ipvs-Makefile-6.1')), ['ip_vs', 'ip_vs_rr']);
    expect(vars).toContain('CONFIG_DEBUG_INFO=');
    expect(vars).toContain('CONFIG_IP_VS_WRR=');
    expect(vars).toContain('CONFIG_IP_VS_PE_SIP=');
    expect(vars).not.toContain('CONFIG_IP_VS=');
    expect(vars).not.toContain('CONFIG_IP_VS_RR=');
    expect(vars.filter((v) => v.startsWith('CONFIG_IP_VS'))).toHaveLength(15);
  });

  it('the schedulers of a run, each once, after ip_vs', () => {
    expect(modulesForSchedulers(['rr', 'wlc', 'rr'])).toEqual(['ip_vs', 'ip_vs_rr', 'ip_vs_wlc']);
  });

  it("a Debian kernel's config builds every IPVS module as a module", () => {
    const k = cachedDebianKernels(defaultCacheDir()).find((x) => x.series === '6.1')!;
    const config = readFileSync(join(k.dir, 'boot', `config-${k.release}`), 'utf8');
    const { buildable, builtIn } = modulesForConfig(parseIpvsMakefile(fixture('ipvs-Makefile-6.1')), config);
    expect(builtIn).toEqual([]);
    expect(buildable.map((m) => m.name)).toEqual(expect.arrayContaining(['ip_vs', 'ip_vs_rr', 'ip_vs_ftp']));
    const builtInConfig = config.replace(/^CONFIG_IP_VS=m$/m, 'CONFIG_IP_VS=y');
    expect(modulesForConfig(parseIpvsMakefile(fixture('ipvs-Makefile-6.1')), builtInConfig).builtIn.map((m) => m.name)).toEqual(['ip_vs']);
  });
});
