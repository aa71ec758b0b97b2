// The guest's bpftrace from a cold cache, as a new user's first `--tracer bpftrace` gets it: trixie's
// package and its whole library closure through the private apt configuration, reduced to what its
// loader lists and patched to load them from /opt/bpftrace/lib. Downloads ~65 MB.
import { execa } from 'execa';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedBpftraceBundle, ensureBpftraceBundle, GUEST_BPFTRACE_LIB } from './bpftrace-bundle.ts';

const cache = mkdtempSync(join(tmpdir(), 'ipvsh-bt-cold-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

describe('bpftrace bundle from an empty cache', () => {
  it('downloads, reduces and patches it; a second call takes it from the cache', async () => {
    expect(cachedBpftraceBundle(cache, 'trixie')).toBeNull();
    const events: string[] = [];
    const b = await ensureBpftraceBundle(cache, { onEvent: (e) => events.push(e.kind) });
    expect(b.release).toBe('trixie');
    expect(b.version).toMatch(/^\d+\.\d+/);
    expect(events).toContain('apt-update');
    const names = b.libraries.map((l) => l.guest);
    for (const lib of ['ld-linux-x86-64.so.2', 'libc.so.6', 'libbpf.so.1', 'libstdc++.so.6']) expect(names).toContain(`${GUEST_BPFTRACE_LIB}/${lib}`);
    expect(names.some((n) => /libLLVM/.test(n))).toBe(true);
    for (const l of b.libraries) expect(existsSync(l.host)).toBe(true);
    // Its interpreter and RPATH point into the guest's /opt/bpftrace/lib; the host runs it through its own loader.
    const elf = await execa('readelf', ['-l', '-d', b.binary]);
    expect(elf.stdout).toContain(`[Requesting program interpreter: ${GUEST_BPFTRACE_LIB}/ld-linux-x86-64.so.2]`);
    expect(elf.stdout).toMatch(new RegExp(`\\(RPATH\\)\\s+Library rpath: \\[${GUEST_BPFTRACE_LIB}\\]`));
    const loader = b.libraries.find((l) => l.guest.endsWith('/ld-linux-x86-64.so.2'))!.host;
    const v = await execa(loader, ['--library-path', join(loader, '..'), b.binary, '--version']);
    expect(v.stdout).toContain(`v${b.version.replace(/-.*$/, '')}`);
    expect(cachedBpftraceBundle(cache, 'trixie')).toEqual(b);
    expect(await ensureBpftraceBundle(cache)).toEqual(b);
  });
});
