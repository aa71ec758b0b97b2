// A built-in IPVS: what the guest commands do differently, checked on a real 6.1 build with
// CONFIG_IP_VS=y (shared/fixtures/kernels/6.1-ipvs-builtin) where real data is involved.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile, SEED_DIR } from '../harness/scenario-loader.ts';
import { builtinIpvsRanges, parseLineNumbers } from './builtin-ipvs-lines.ts';
import { cleanCheckCommand, IPVS_BASELINE_DIR, moduleCommand, resetCommand } from './guest-state.ts';
import { scenarioKernelOptions } from './kernel-needs.ts';
import { planTracing } from './trace-plan.ts';

const excerpt = readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'builtin-ipvs', '6.1-available_filter_functions.excerpt.txt'), 'utf8');
/** line number -> the line of available_filter_functions, from the excerpt. */
const lines = new Map(excerpt.split('\n').filter((l) => /^\d+ /.test(l)).map((l) => [Number(l.slice(0, l.indexOf(' '))), l.slice(l.indexOf(' ') + 1)]));
/** What LIST_BUILTIN_IPVS_LINES prints in the guest (awk 'NF == 1 && /^_*ip_vs/ { print NR }'). */
const listed = [...lines].filter(([, l]) => !l.includes(' ') && /^_*ip_vs/.test(l)).map(([n]) => n).join('\n');
const selected = (ranges: [number, number][]) => [...lines].filter(([n]) => ranges.some(([a, b]) => n >= a && n <= b)).map(([, l]) => l);
const seed = (name: string) => loadScenarioFile(join(SEED_DIR, `${name}.yaml`)).scenario;

describe('tracing a built-in IPVS (functions without a module tag)', () => {
  const ranges = builtinIpvsRanges(parseLineNumbers(listed));

  it('selects the IPVS block of available_filter_functions and the cold sync functions, as line ranges', () => {
    expect(ranges).toEqual([[29132, 29377], [33460, 33463]]);
  });

  it('includes the IPVS functions the seed graphs name that are not called ip_vs_*', () => {
    const names = selected(ranges);
    for (const fn of ['tcp_conn_schedule', 'tcp_snat_handler', 'udp_conn_schedule', 'udp_snat_handler', 'handle_response', 'ip_vs_in_hook', 'ip_vs_out_hook', 'ip_vs_nat_xmit', 'ip_vs_rr_schedule', 'sync_thread_master']) {
      expect(names, fn).toContain(fn);
    }
  });

  it('leaves out the neighbours (xt_state before IPVS, the IPv4 routing cache after it)', () => {
    const names = new Set(selected(ranges));
    for (const fn of ['state_mt_check', 'policy_mt', 'ipv4_cow_metrics', 'rt_cache_seq_start', 'warn_set']) expect(names.has(fn), fn).toBe(false);
  });

  it('one line with one ip_vs function far from the rest stays a range of its own; garbage lines are ignored', () => {
    expect(builtinIpvsRanges(parseLineNumbers('10\n12\nnot a number\n70\n2000\n0\n-3\n'))).toEqual([[10, 70], [2000, 2000]]);
    expect(builtinIpvsRanges([10, 200], 64)).toEqual([[10, 10], [200, 200]]);
  });

  it('the trace plan writes the ranges by number next to the core functions (no :mod:ip_vs)', () => {
    const plan = planTracing(seed('pod-to-vip'), new Set(['ip_vs_in_hook', 'ip_vs_out_hook', 'nf_hook_slow']), [], { builtinLines: parseLineNumbers(listed) });
    expect(plan.filters).toEqual(['nf_hook_slow']);
    expect(plan.filterLines).toEqual(ranges);
    expect(plan.start.script).toContain('seq 29132 29377 >> set_ftrace_filter');
    expect(plan.start.script).not.toContain(':mod:');
  });

  it('IPVS as modules keeps the :mod: filters and selects no lines', () => {
    const plan = planTracing(seed('pod-to-vip'), new Set(['ip_vs_in_hook']), ['ip_vs', 'ip_vs_rr']);
    expect(plan.filters).toEqual([':mod:ip_vs*']);
    expect(plan.start.script).not.toContain('seq ');
  });
});

describe('guest state with a built-in IPVS', () => {
  const builtIn = new Set(['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'veth', 'dummy', 'ipip']);

  it('modprobes nothing built in, only what is a module, then records the baseline once per boot', () => {
    const script = moduleCommand(['rr', 'wlc'], true, builtIn).script;
    expect(script).not.toMatch(/modprobe (ip_vs|ip_vs_rr|ipip)$/m);
    expect(script).toMatch(/^modprobe ip_vs_wlc$/m);
    expect(script).toContain(`if [ ! -f ${IPVS_BASELINE_DIR}/sysctls ]`);
    expect(moduleCommand(['rr'], false).script).toMatch(/^modprobe ip_vs\nmodprobe ip_vs_rr$/m);
  });

  it('the reset flushes instead of unloading: expire_nodest_conn before ipvsadm -C, counters zeroed, sysctls written back', () => {
    const script = resetCommand(builtIn).script;
    expect(script).not.toMatch(/rmmod|modprobe/);
    expect(script.indexOf('echo 1 > /proc/sys/net/ipv4/vs/expire_nodest_conn')).toBeGreaterThan(-1);
    expect(script.indexOf('expire_nodest_conn')).toBeLessThan(script.indexOf('ipvsadm -C'));
    expect(script).toContain('ipvsadm -Z');
    expect(script).toContain(`${IPVS_BASELINE_DIR}/sysctls ${IPVS_BASELINE_DIR}/sysctls.now | while read -r name value; do`);
    expect(script).toContain('ipvsadm --set $t');
  });

  it('as modules, the reset unloads and loads ip_vs again: its defaults come back with it, nothing is written back', () => {
    const script = resetCommand(new Set()).script;
    expect(script).toContain('rmmod ip_vs');
    expect(script).toContain('modprobe ip_vs');
    expect(script).not.toContain('expire_nodest_conn');
    expect(script).not.toContain(`${IPVS_BASELINE_DIR}/sysctls.now`);
    // Built in, the baseline is written back.
    expect(resetCommand(builtIn).script).toContain(`${IPVS_BASELINE_DIR}/sysctls.now`);
  });

  it('the clean-check compares sysctls and timeouts with the baseline and knows how ip_vs should be there', () => {
    const builtin = cleanCheckCommand(builtIn).script;
    const modular = cleanCheckCommand(new Set()).script;
    for (const s of [builtin, modular]) {
      expect(s).toContain('echo "net.ipv4.vs.$name is $(grep "^$name " /run/ipvsh-base/sysctls.now | cut -d\' \' -f2-), was $value"');
      expect(s).toContain('IPVS timeouts (tcp tcpfin udp) are $t');
    }
    expect(builtin).toContain('/sys/module/ip_vs/initstate');
    expect(modular).toContain("grep -q '^ip_vs ' /proc/modules");
  });
});

describe('kernel options a scenario needs', () => {
  it('schedulers, ipip for TUN, IPv6', () => {
    expect(scenarioKernelOptions(seed('pod-to-vip')).map((o) => o.option)).toEqual(['IP_VS_RR']);
    expect(scenarioKernelOptions(seed('pod-to-vip-tun')).map((o) => o.option)).toEqual(['IP_VS_RR', 'NET_IPIP']);
    expect(scenarioKernelOptions(seed('pod-to-vip-ipv6')).map((o) => o.option)).toEqual(['IP_VS_RR', 'IPV6', 'IP_VS_IPV6']);
  });
});
