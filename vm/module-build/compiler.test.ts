// Which compiler built a kernel (its config and Debian's .kernelvariables), and which one the host offers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultCacheDir } from '../cache-dir.ts';
import { cachedDebianKernels } from '../debian-kernels.ts';
import { chooseCompiler, gccMajorOf, kernelCompilerOf } from './compiler.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'module-build', name), 'utf8');
const config = (series: string) => {
  const k = cachedDebianKernels(defaultCacheDir()).find((x) => x.series === series)!;
  return readFileSync(join(k.dir, 'boot', `config-${k.release}`), 'utf8');
};

describe('kernelCompilerOf', () => {
  it("bookworm's 6.1 was built with gcc-12, and its headers call gcc-12", () => {
    const c = kernelCompilerOf(config('6.1'), fixture('kernelvariables-6.1'));
    expect(c.gccMajor).toBe(12);
    expect(c.versionText).toMatch(/^gcc-12 \(Debian 12\./);
    expect(c.command).toBe('gcc-12');
  });

  it("bullseye's 5.10 was built with gcc-10; trixie's 7.3 headers call gcc-14", () => {
    expect(kernelCompilerOf(config('5.10')).gccMajor).toBe(10);
    expect(kernelCompilerOf('CONFIG_CC_VERSION_TEXT="x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0"\nCONFIG_GCC_VERSION=140200\n', fixture('kernelvariables-7.3'))).toEqual({
      versionText: 'x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0', gccMajor: 14, command: 'gcc-14',
    });
  });

  it('gccMajorOf reads `gcc --version` lines', () => {
    expect(gccMajorOf('gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0')).toBe(12);
    expect(gccMajorOf('gcc (GCC) 14.2.1 20240912 (Red Hat 14.2.1-3)')).toBe(14);
  });
});

describe('chooseCompiler on this host', () => {
  it("takes the kernel's own gcc when the host has it, else the host's gcc with the mismatch said", async () => {
    const own = await chooseCompiler(kernelCompilerOf(config('6.1'), fixture('kernelvariables-6.1')));
    expect(own?.command).toBe('gcc-12');
    expect(own?.mismatch).toBeUndefined();
    const other = await chooseCompiler({ versionText: 'gcc-99 (Imaginary 99.1.0) 99.1.0', gccMajor: 99, command: 'gcc-99' });
    expect(other?.command).toBe('gcc');
    expect(other?.mismatch).toMatch(/^the kernel was built with gcc-99 \(Imaginary 99\.1\.0\) 99\.1\.0, this host has gcc /);
  });
});
