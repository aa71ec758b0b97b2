// What is built in, read from real kernels: the user build with IPVS built in (its modules.builtin
// and .config) and Debian's cloud kernels (IPVS as modules).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_TREE } from '../test/builtin-tree.ts';
import { builtinFromConfig, builtinModules, ipvsBuildOf, kernelBuiltinModules, parseModulesBuiltin } from './builtin-modules.ts';
import { defaultCacheDir } from './cache-dir.ts';
import { cachedDebianKernels } from './debian-kernels.ts';
import { isVmError } from './errors.ts';
import { missingModules, modulesNotPresent } from './needed-modules.ts';
import { missingKernelOptions, missingOptions, missingOptionsError, preflightKernel } from './preflight.ts';

const config = readFileSync(join(BUILTIN_TREE, '.config'), 'utf8');
const modulesBuiltin = readFileSync(join(BUILTIN_TREE, 'modules.builtin'), 'utf8');
const IPVS_PARTS = ['ip_vs', 'ip_vs_ftp', 'ip_vs_lc', 'ip_vs_rr', 'ip_vs_sh', 'ip_vs_wrr'];

describe('built-in modules of the user build (CONFIG_IP_VS=y)', () => {
  it('modules.builtin names IPVS, its schedulers and the network the guest needs', () => {
    const names = parseModulesBuiltin(modulesBuiltin);
    for (const m of [...IPVS_PARTS, 'nf_conntrack', 'veth', 'dummy', 'virtio_net', 'virtio_pci', 'ipip', 'bridge']) expect(names.has(m), m).toBe(true);
    expect(ipvsBuildOf(names)).toEqual({ core: 'built-in', builtIn: IPVS_PARTS });
  });

  it('the config alone (CONFIG_MODULES=n kernels have no modules.builtin) says the same about IPVS', () => {
    expect(ipvsBuildOf(builtinFromConfig(config))).toEqual({ core: 'built-in', builtIn: IPVS_PARTS });
    expect(kernelBuiltinModules({ configText: config })).toEqual(builtinFromConfig(config));
  });

  it('what the config builds in counts even when modules.builtin is stale', () => {
    expect(builtinModules(config, 'kernel/fs/binfmt_script.ko\n').has('ip_vs')).toBe(true);
  });

  it('passes preflight, needs no module for the harness, and has every seed scenario\'s options', () => {
    expect(missingKernelOptions(config, '6.1.192')).toEqual([]);
    expect(missingModules(config, undefined)).toEqual([]);
    const needs = ['IP_VS_RR', 'NET_IPIP', 'IPV6', 'IP_VS_IPV6'].map((option) => ({ option, need: 'ym' as const, why: 'seed' }));
    expect(missingOptions(config, needs)).toEqual([]);
  });

  it('a scheduler it does not have is named, with why (exit 2)', () => {
    const missing = missingOptions(config, [{ option: 'IP_VS_WLC', need: 'ym', why: 'the wlc scheduler of tcp 10.96.0.10:80' }]);
    expect(missing).toEqual([{ option: 'IP_VS_WLC', need: 'ym', actual: 'n', why: 'the wlc scheduler of tcp 10.96.0.10:80' }]);
    const err = missingOptionsError(missing, 'kernel build:x', 'scenario wlc-test');
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/^kernel build:x lacks 1 kernel option\(s\) scenario wlc-test needs: CONFIG_IP_VS_WLC;/);
    expect(err.details).toContain('CONFIG_IP_VS_WLC=y or m (is n; the wlc scheduler of tcp 10.96.0.10:80)');
  });

  it('built in on a kernel older than 5.1 is refused: its functions could not be selected for tracing', () => {
    let err: unknown;
    try {
      preflightKernel(config, 'kernel old', '4.19.300');
    } catch (e) {
      err = e;
    }
    expect(isVmError(err, 'PREFLIGHT_MISSING_OPTIONS')).toBe(true);
    expect((err as { details: string }).details).toContain('CONFIG_IP_VS=y or m (is y; built in on Linux 4.19.300: tracing a built-in IPVS needs Linux >= 5.1; build it as a module (CONFIG_IP_VS=m))');
  });
});

describe('built-in modules of Debian cloud kernels (IPVS as modules)', () => {
  for (const k of cachedDebianKernels(defaultCacheDir())) {
    it(`${k.series}: ip_vs is a module, nothing of IPVS built in; the harness modules are all in its tree`, () => {
      const configText = readFileSync(join(k.dir, 'boot', `config-${k.release}`), 'utf8');
      const modulesDir = join(k.dir, 'lib', 'modules', k.release);
      expect(ipvsBuildOf(kernelBuiltinModules({ configText, modulesDir }))).toEqual({ core: 'module', builtIn: [] });
      expect(missingModules(configText, modulesDir)).toEqual([]);
      expect(modulesNotPresent(configText, new Set(['ip_vs'])).map((m) => m.module)).toContain('ip_vs_rr');
    });
  }
});
