// The flow probes in the trace plan: with the kernel's layout (from its BTF) every hook function gets
// a probe carrying skb, netns and the packet bytes; without it only the >= 5.16 hooks get the old
// hook/family probe.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../analysis/btf.ts';
import { flowLayoutOf } from '../analysis/flow-layout.ts';
import { loadScenarioFile, SEED_DIR } from '../harness/scenario-loader.ts';
import { planTracing } from './trace-plan.ts';

const layout = (release: string) => flowLayoutOf(parseBtf(Buffer.from(readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'btf', `${release}.btf.b64`), 'utf8'), 'base64')));
const podToVip = loadScenarioFile(join(SEED_DIR, 'pod-to-vip.yaml')).scenario;
const WRAPPERS_510 = new Set(['ip_vs_reply4', 'ip_vs_remote_request4', 'ip_vs_local_reply4', 'ip_vs_local_request4', 'ip_vs_forward_icmp', 'ip_vs_reply6', 'ip_vs_remote_request6', 'ip_vs_local_reply6', 'ip_vs_local_request6', 'ip_vs_forward_icmp_v6']);

describe('flow probes in the trace plan', () => {
  it('5.10 with its layout: one probe per wrapper, a 32-bit hook number', () => {
    const plan = planTracing(podToVip, WRAPPERS_510, ['ip_vs'], { layout: layout('5.10.0-46-cloud-amd64') });
    expect(plan.flowIdentity).toBe(true);
    expect(plan.kprobes.map((k) => k.event)).toEqual([
      'remote_request4', 'local_request4', 'reply4', 'local_reply4', 'remote_request6', 'local_request6', 'reply6', 'local_reply6', 'fwd_icmp', 'fwd_icmp6',
    ]);
    expect(plan.start.script).toContain("echo 'p:ipvsh/reply4 ip_vs_reply4 hook=+0(%dx):u32 pf=+4(%dx):u8 skb=%si:x64 netns=+144(+32(%dx)):u32 pkt=+0(+200(%si)):u8[64]' >> kprobe_events");
  });

  it('7.3 with its layout: ip_vs_in_hook, ip_vs_out_hook, ip_vs_forward_icmp; net.ns.inum moved to 280', () => {
    const plan = planTracing(podToVip, new Set(['ip_vs_in_hook', 'ip_vs_out_hook', 'ip_vs_forward_icmp']), ['ip_vs'], { layout: layout('7.3.4+deb13-cloud-amd64') });
    expect(plan.kprobes.map((k) => k.fn)).toEqual(['ip_vs_in_hook', 'ip_vs_out_hook', 'ip_vs_forward_icmp']);
    expect(plan.start.script).toContain('netns=+280(+32(%dx)):u32 pkt=+0(+208(%si)):u8[64]');
  });

  it('without a layout: 5.10 gets no probe, >= 5.16 the hook/family probe', () => {
    expect(planTracing(podToVip, WRAPPERS_510, ['ip_vs']).kprobes).toEqual([]);
    const plan = planTracing(podToVip, new Set(['ip_vs_in_hook', 'ip_vs_out_hook']), ['ip_vs']);
    expect(plan.flowIdentity).toBe(false);
    expect(plan.start.script).toContain("echo 'p:ipvsh/in_hook ip_vs_in_hook hook=+0(%dx):u8 pf=+1(%dx):u8' >> kprobe_events");
  });
});
