// The bpftrace program `run --tracer bpftrace|both` starts: entry and return of the hook functions
// and of the functions the graphs name (each probed by the symbol the kernel has), markers from
// write(2), the hook number read from struct nf_hook_state; and the start/stop commands' deadlines.
import { describe, expect, it } from 'vitest';
import { parseScenario } from './parse-scenario.ts';
import { BPFTRACE_ATTACH_S, BPFTRACE_EXIT_S, bpftraceCallsProgram, bpftraceCandidates, bpftraceFunctions, bpftraceStart, bpftraceStop, parseProbeable, probeableCommand } from './bpftrace-plan.ts';
import { readFileSync } from 'node:fs';

const podToVip = parseScenario(readFileSync(new URL('./seed/pod-to-vip.yaml', import.meta.url), 'utf8'), 'pod-to-vip.yaml');

describe('bpftraceCandidates', () => {
  it('names every function the graphs name (paths, inside, forbid), the ICMP senders, no hook function', () => {
    const c = bpftraceCandidates(podToVip);
    expect(c).toEqual(expect.arrayContaining(['ip_vs_conn_in_get', 'tcp_conn_schedule', 'ip_vs_schedule', 'ip_vs_conn_new', 'ip_vs_nat_xmit', 'handle_response', '__icmp_send']));
    expect(c).not.toContain('ip_vs_in_hook');
    expect(c).not.toContain('ip_vs_out_hook');
  });
});

describe('probeable functions', () => {
  it('asks available_filter_functions for the names and their compiler clones', () => {
    expect(probeableCommand(['handle_response', 'ip_vs_schedule']).script).toContain("grep -E '^(handle_response|ip_vs_schedule)(\\.[a-z]+\\.[0-9]+)*( |$)'");
  });
  it('maps each name to every symbol to probe (calls may go through any clone)', () => {
    const m = parseProbeable('handle_response handle_response\nip_vs_out ip_vs_out.part.0\nip_vs_out ip_vs_out.isra.1\nbad;name x\n');
    expect([...m]).toEqual([['handle_response', ['handle_response']], ['ip_vs_out', ['ip_vs_out.part.0', 'ip_vs_out.isra.1']]]);
  });
});

describe('bpftraceCallsProgram', () => {
  const traceable = new Set(['ip_vs_in_hook', 'ip_vs_out_hook']);
  const symbols = new Map<string, string[]>([['ip_vs_conn_in_get', ['ip_vs_conn_in_get']], ['handle_response', ['handle_response.isra.0', 'handle_response.constprop.1']]]);

  it('6.x: hooks print the hook number and family from nf_hook_state; others only below a hook', () => {
    const fns = bpftraceFunctions(podToVip, traceable, symbols);
    expect(fns.hooks).toEqual(['ip_vs_in_hook', 'ip_vs_out_hook']);
    expect(fns.others).toEqual([{ name: 'handle_response', symbol: 'handle_response.isra.0' }, { name: 'handle_response', symbol: 'handle_response.constprop.1' }, { name: 'ip_vs_conn_in_get', symbol: 'ip_vs_conn_in_get' }]);
    const p = bpftraceCallsProgram(fns);
    expect(p).toContain('kprobe:ip_vs_in_hook { @depth[cpu] = @depth[cpu] + 1; printf("> %llu %d %d ip_vs_in_hook %d %d %s\\n", nsecs, cpu, tid, *(uint8 *)arg2, *(uint8 *)(arg2 + 1), comm); }');
    expect(p).toContain('kprobe:handle_response.isra.0 /@depth[cpu] > 0/ { printf("> %llu %d %d handle_response -1 -1');
    expect(p).toContain('kretprobe:handle_response.isra.0 /@depth[cpu] > 0/');
    expect(p).toContain('kprobe:handle_response.constprop.1 /@depth[cpu] > 0/ { printf("> %llu %d %d handle_response -1 -1');
    expect(p).toMatch(/^BEGIN \{ printf\("ipvs-harness bpftrace calls 1 %llu\\n", nsecs\); \}/);
    expect(p).toContain('tracepoint:syscalls:sys_enter_write /args.count > 13 && args.count < 250 && pid != $1/');
    expect(p).toContain('strncmp(str(args.buf, 14), "ipvs-harness ", 13) == 0');
    expect(p).not.toMatch(/\bfunc\b|kstack/);
  });

  it('the BTF layout gives the offsets; 5.10 wrappers without it print -1 (the name says the hook)', () => {
    const layout = { hook: { offset: 0, size: 1 }, pf: { offset: 4, size: 1 } } as never;
    expect(bpftraceCallsProgram({ hooks: ['ip_vs_reply4'], others: [] }, layout)).toContain('*(uint8 *)(arg2 + 0), *(uint8 *)(arg2 + 4)');
    expect(bpftraceCallsProgram({ hooks: ['ip_vs_reply4'], others: [] })).toContain('ip_vs_reply4 %d %d %s\\n", nsecs, cpu, tid, -1, -1, comm)');
  });

  it('names that could inject bpftrace code are never probed', () => {
    const p = bpftraceCallsProgram({ hooks: ['ip_vs_in_hook'], others: [{ name: 'x } BEGIN { system("id")', symbol: 'x' }, { name: 'ok', symbol: 'a;b' }] });
    expect(p).not.toContain('system');
    expect(p).not.toContain('a;b');
  });
});

describe('start and stop', () => {
  it('start waits for the header BEGIN prints, with a deadline, and says what bpftrace printed when it exits', () => {
    const c = bpftraceStart('BEGIN {}\n');
    expect(c.script).toContain("until grep -q '^ipvs-harness bpftrace calls 1 '");
    expect(c.script).toContain(`end=$(( $(cut -d. -f1 /proc/uptime) + ${BPFTRACE_ATTACH_S} ))`);
    expect(c.script).toContain('[ $(cut -d. -f1 /proc/uptime) -lt $end ] || { kill -KILL');
    expect(c.script).toContain('bpftrace exited before its probes were attached');
    expect(c.timeoutMs).toBeGreaterThan(BPFTRACE_ATTACH_S * 1000);
  });
  it('stop sends SIGINT, then SIGKILL after the deadline, and exits 3 when it had to kill', () => {
    const c = bpftraceStop();
    expect(c.script).toContain('kill -INT "$p"');
    expect(c.script).toContain(`end=$(( $(cut -d. -f1 /proc/uptime) + ${BPFTRACE_EXIT_S} ))`);
    expect(c.script).toContain('if [ $(cut -d. -f1 /proc/uptime) -ge $end ]; then kill -KILL "$p"; killed=1');
    expect(c.script).toContain('exit 3');
    expect(c.allowFailure).toBe(true);
  });
});
