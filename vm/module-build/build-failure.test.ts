// Failed builds and depmod's complaints, from real outputs: a tree that does not compile (6.1), a
// trixie kernel's flags that the host's gcc 12 does not know (6.12+deb13), modules whose symbols no
// longer match (an ABI change in include/net/ip_vs.h).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explainFailure } from './build-failure.ts';
import { describeProblems, moduleOfPath, parseDepmodWarnings } from './depmod-check.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'module-build', name), 'utf8');
const gcc12 = { command: 'gcc-12', versionText: 'gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0', gccMajor: 12 };

describe('explainFailure', () => {
  it('a compile error is the tree\'s: MODULE_BUILD_FAILED (exit 2), the compiler\'s lines kept as printed, bisect skips it', () => {
    const err = explainFailure(fixture('make-output-compile-error-6.1.txt'), { label: 'debian:6.1', source: '/src/ipvs-broken', compiler: gcc12, kernelCompiler: { gccMajor: 12 }, buildMs: 14_300 });
    expect(err.code).toBe('MODULE_BUILD_FAILED');
    expect(err.exitCode).toBe(2);
    expect(err.revisionSpecific).toBe(true);
    expect(err.message).toMatch(/^\/src\/ipvs-broken does not build against debian:6\.1 \(gcc-12 .*, 14\.3 s\)/);
    expect(err.details).toContain("ip_vs_core.c:668:17: error: implicit declaration of function ‘icmp_sendd’; did you mean ‘icmp_send’?");
  });

  it("another gcc's flags: COMPILER_MISMATCH naming both compilers and what to do; not the revision's fault", () => {
    const err = explainFailure(fixture('make-output-gcc14-flags-6.12.txt'), {
      label: 'debian:6.12', source: 'linux-source-6.12 6.12.118-1 (trixie-security)',
      compiler: { command: 'gcc', versionText: 'gcc (Debian 12.2.0-14+deb12u1) 12.2.0', gccMajor: 12, mismatch: 'the kernel was built with gcc-14' },
      kernelCompiler: { versionText: 'x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0', gccMajor: 14, command: 'gcc-14' }, buildMs: 9000,
    });
    expect(err.code).toBe('COMPILER_MISMATCH');
    expect(err.exitCode).toBe(2);
    expect(err.revisionSpecific).toBe(false);
    expect(err.message).toContain('the kernel was built with x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0');
    expect(err.message).toContain('install gcc-14');
    expect(err.message).toContain('debian:6.1');
    expect(err.details).toContain("unrecognized command-line option ‘-fmin-function-alignment=16’");
  });

  // The loader's line is what trixie's linux-kbuild-7.3.4+deb13 modpost.real-lsb-64 printed when run on this Debian 12 host.
  it('kbuild tools linked against a newer glibc: COMPILER_MISMATCH naming the glibc version', () => {
    const out = "  MODPOST /w/Module.symvers\n/cache/usr/lib/linux-kbuild-7.3.4+deb13/scripts/mod/modpost.real-lsb-64: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.38' not found (required by /cache/usr/lib/linux-kbuild-7.3.4+deb13/scripts/mod/modpost.real-lsb-64)\nmake[2]: *** [Module.symvers] Error 1\n";
    const err = explainFailure(out, { label: 'debian:7.3', source: 's', compiler: gcc12, kernelCompiler: { gccMajor: 14 }, buildMs: 1 });
    expect(err.code).toBe('COMPILER_MISMATCH');
    expect(err.message).toMatch(/need GLIBC_2\.38, newer than this host's C library/);
  });
});

describe('depmod -e', () => {
  it('names modules needing unknown symbols and those whose CRCs disagree', () => {
    const problems = parseDepmodWarnings(fixture('depmod-warnings-6.1.txt'));
    expect(problems.map((p) => `${moduleOfPath(p.module)} ${p.kind} ${p.symbol}`)).toEqual([
      'xt_ipvs unknown-symbol ip_vs_proto_get',
      'ip_vs_rr unknown-symbol ip_vs_scheduler_err',
      'ip_vs_rr unknown-symbol unregister_ip_vs_scheduler',
      'ip_vs_rr unknown-symbol register_ip_vs_scheduler',
      'xt_ipvs version-mismatch ip_vs_proto_get',
    ]);
    expect(describeProblems(problems.slice(-1))).toBe('xt_ipvs: disagrees with the kernel about the version of ip_vs_proto_get');
  });
});
