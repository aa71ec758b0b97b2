// The optional bpftrace image variant. Runs where the host has bpftrace (`ipvs-harness setup --with-bpftrace`).
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bootGuest } from './guest.ts';

describe.skipIf(!existsSync('/usr/bin/bpftrace'))('bpftrace variant (host has bpftrace)', () => {
  it('runs bpftrace with BTF and kprobes on ip_vs in the guest', async () => {
    await using guest = await bootGuest({ kernel: 'debian:6.12', withBpftrace: true, preloadModules: ['ip_vs'] });
    const r = await guest.exec(
      "bpftrace -e 'BEGIN { printf(\"hi %d\\n\", sizeof(struct nf_hook_state)); exit(); }' && " +
        "bpftrace -e 'kprobe:ip_vs_conn_new { @n = count(); } interval:ms:100 { exit(); }'",
      { timeoutMs: 120_000 },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Attaching 1 probe\.\.\.\nhi \d+\n/);
    expect(r.stdout).toContain('Attaching 2 probes...');
  });
});
