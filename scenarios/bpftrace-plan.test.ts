// The bpftrace program the runner starts with `run --bpftrace`: one block per hook function the
// kernel has, the name as a literal (not the `func` builtin), the hook number from struct
// nf_hook_state only where one function serves several hooks; and the maps read back.
import { describe, expect, it } from 'vitest';
import { bpftraceProgram, hookCounts, kstackWorks, stackCount } from './bpftrace-plan.ts';

describe('bpftraceProgram', () => {
  it('6.x: ip_vs_in_hook / ip_vs_out_hook keyed by name and hook number', () => {
    const p = bpftraceProgram(new Set(['ip_vs_in_hook', 'ip_vs_out_hook', 'ip_vs_forward_icmp']))!;
    expect(p).toBe(
      'kprobe:ip_vs_in_hook { @hooks["ip_vs_in_hook", ((struct nf_hook_state *)arg2)->hook] = count(); @stacks[kstack(8)] = count(); } ' +
        'kprobe:ip_vs_out_hook { @hooks["ip_vs_out_hook", ((struct nf_hook_state *)arg2)->hook] = count(); @stacks[kstack(8)] = count(); }',
    );
    expect(p).not.toMatch(/\bfunc\b/);
  });

  it('5.10: one block per wrapper, keyed by name only (the name says the hook)', () => {
    const p = bpftraceProgram(new Set(['ip_vs_remote_request4', 'ip_vs_reply4', 'ip_vs_forward_icmp']))!;
    expect(p).toBe('kprobe:ip_vs_remote_request4 { @hooks["ip_vs_remote_request4"] = count(); @stacks[kstack(8)] = count(); } kprobe:ip_vs_reply4 { @hooks["ip_vs_reply4"] = count(); @stacks[kstack(8)] = count(); }');
  });

  it('stacks only where kstack works next to function_graph (not on 6.12)', () => {
    expect(bpftraceProgram(new Set(['ip_vs_in_hook']), 0)).toBe('kprobe:ip_vs_in_hook { @hooks["ip_vs_in_hook", ((struct nf_hook_state *)arg2)->hook] = count(); }');
    expect(['5.10.0-46-cloud-amd64', '6.1.0-56-cloud-amd64', '6.12.95+deb12-cloud-amd64', '6.18.0', '7.0.1', 'custom'].map(kstackWorks)).toEqual([true, true, false, false, false, true]);
  });

  it('no hook function traceable: no program', () => {
    expect(bpftraceProgram(new Set(['ip_vs_conn_new']))).toBeNull();
  });

  it('reads the maps of bpftrace -f json output (as 6.1 printed them)', () => {
    const out = [
      '{"type": "attached_probes", "data": {"probes": 2}}',
      '{"type": "map", "data": {"@hooks": {"ip_vs_out_hook,3": 12, "ip_vs_in_hook,1": 4}}}',
      '{"type": "map", "data": {"@stacks": {"\\n    ip_vs_in_hook+1\\n    nf_hook_slow+60\\n": 3, "\\n    ip_vs_out_hook+1\\n": 1}}}',
    ].join('\n');
    expect(hookCounts(out)).toEqual([{ fn: 'ip_vs_in_hook', hook: 1, count: 4 }, { fn: 'ip_vs_out_hook', hook: 3, count: 12 }]);
    expect(stackCount(out)).toBe(2);
    expect(hookCounts('{"type": "map", "data": {"@hooks": {"ip_vs_reply4": 5}}}')).toEqual([{ fn: 'ip_vs_reply4', hook: 0, count: 5 }]);
  });
});
