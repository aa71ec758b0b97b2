// Source trees as the build sees them (real folders and a real git checkout) and the work folder
// mirror that lets kbuild recompile only what changed.
import { execa } from 'execa';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { syncWorkDir } from './build-ipvs.ts';
import { isModuleBuildError } from './errors.ts';
import { loadIpvsSource, sourcePathsIn } from './ipvs-source.ts';

const scratch = mkdtempSync(join(tmpdir(), 'ipvsh-source-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const makefile = readFileSync(join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'module-build', 'ipvs-Makefile-6.1'));

function tree(name: string): string {
  const root = join(scratch, name);
  mkdirSync(join(root, 'net/netfilter/ipvs'), { recursive: true });
  mkdirSync(join(root, 'include/net'), { recursive: true });
  writeFileSync(join(root, 'net/netfilter/ipvs/Makefile'), makefile);
  writeFileSync(join(root, 'net/netfilter/ipvs/ip_vs_core.c'), 'int core;\n');
  writeFileSync(join(root, 'net/netfilter/ipvs/ip_vs_rr.c'), 'int rr;\n');
  writeFileSync(join(root, 'net/netfilter/ipvs/.ip_vs_rr.o.cmd'), 'build leftover\n');
  writeFileSync(join(root, 'include/net/ip_vs.h'), '/* ip_vs.h */\n');
  writeFileSync(join(root, 'include/net/other.h'), '/* not IPVS */\n');
  return root;
}

describe('loadIpvsSource', () => {
  it('takes net/netfilter/ipvs/ and the IPVS headers, hashes their contents, accepts the ipvs folder itself', async () => {
    const root = tree('a');
    const src = await loadIpvsSource(root);
    expect(src.files).toEqual(['include/net/ip_vs.h', 'net/netfilter/ipvs/Makefile', 'net/netfilter/ipvs/ip_vs_core.c', 'net/netfilter/ipvs/ip_vs_rr.c']);
    expect(src.hash).toMatch(/^[0-9a-f]{16}$/);
    expect((await loadIpvsSource(join(root, 'net/netfilter/ipvs'))).hash).toBe(src.hash);
    cpSync(root, join(scratch, 'a-copy'), { recursive: true });
    expect((await loadIpvsSource(join(scratch, 'a-copy'))).hash).toBe(src.hash);
    writeFileSync(join(root, 'net/netfilter/ipvs/ip_vs_core.c'), 'int core2;\n');
    expect((await loadIpvsSource(root)).hash).not.toBe(src.hash);
  });

  it('a git checkout is described by git describe --dirty', async () => {
    const root = tree('git');
    const git = (...args: string[]) => execa('git', ['-C', root, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args]);
    await git('init', '-q');
    await git('add', '.');
    await git('commit', '-qm', 'ipvs');
    await git('tag', 'v6.1-test');
    expect((await loadIpvsSource(root)).describe).toBe('v6.1-test');
    writeFileSync(join(root, 'net/netfilter/ipvs/ip_vs_rr.c'), 'int rr2;\n');
    const dirty = await loadIpvsSource(root);
    expect(dirty.describe).toBe('v6.1-test-dirty');
    expect(dirty.description).toBe(`${root} (git v6.1-test-dirty)`);
  });

  it('a folder without net/netfilter/ipvs/ is IPVS_SOURCE_INVALID (exit 2, bisect skips it); a missing one IPVS_SOURCE_MISSING', async () => {
    const err = await loadIpvsSource(scratch).catch((e: unknown) => e);
    expect(isModuleBuildError(err, 'IPVS_SOURCE_INVALID')).toBe(true);
    expect((err as { exitCode: number }).exitCode).toBe(2);
    expect((err as Error).message).toMatch(/no net\/netfilter\/ipvs\/Makefile there; pass a kernel tree/);
    const missing = await loadIpvsSource(join(scratch, 'nope')).catch((e: unknown) => e);
    expect(isModuleBuildError(missing, 'IPVS_SOURCE_MISSING') && !missing.revisionSpecific).toBe(true);
  });
});

describe('syncWorkDir', () => {
  it('rewrites only changed files, removes sources the tree dropped, keeps build products', async () => {
    const root = tree('sync');
    const work = join(scratch, 'work');
    syncWorkDir(await loadIpvsSource(root), work);
    expect(readFileSync(join(work, 'ip_vs_core.c'), 'utf8')).toBe('int core;\n');
    expect(readFileSync(join(work, 'include/net/ip_vs.h'), 'utf8')).toBe('/* ip_vs.h */\n');
    expect(readFileSync(join(work, 'Kbuild'), 'utf8')).toBe(`NOSTDINC_FLAGS += -I${work}/include -I${work}/include/uapi\ninclude ${work}/Makefile\n`);
    writeFileSync(join(work, 'ip_vs_core.o'), 'object');
    const rrBefore = statSync(join(work, 'ip_vs_rr.c')).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(join(root, 'net/netfilter/ipvs/ip_vs_core.c'), 'int patched;\n');
    rmSync(join(root, 'include/net/ip_vs.h'));
    syncWorkDir(await loadIpvsSource(root), work);
    expect(readFileSync(join(work, 'ip_vs_core.c'), 'utf8')).toBe('int patched;\n');
    expect(statSync(join(work, 'ip_vs_rr.c')).mtimeMs).toBe(rrBefore);
    expect(() => statSync(join(work, 'include/net/ip_vs.h'))).toThrow();
    expect(readFileSync(join(work, 'ip_vs_core.o'), 'utf8')).toBe('object');
  });

  it('compiler messages point back into the tree', async () => {
    const src = await loadIpvsSource(tree('paths'));
    const text = '/w/ip_vs_core.c:668:17: error: x\nIn file included from /w/include/net/ip_vs.h:12:\n';
    expect(sourcePathsIn(text, '/w', src)).toBe(`${src.root}/net/netfilter/ipvs/ip_vs_core.c:668:17: error: x\nIn file included from ${src.root}/include/net/ip_vs.h:12:\n`);
  });
});
