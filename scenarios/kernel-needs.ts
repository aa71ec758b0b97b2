// The kernel options one scenario needs beyond what every scenario needs (vm/preflight.ts): its
// schedulers, ipip for TUN, IPv6. Pure: the runner checks them against the kernel's config before
// booting, so a kernel without, say, CONFIG_IP_VS_WLC refuses that scenario (exit 2, the option
// named) instead of failing it in the guest at `modprobe`.
import type { Scenario } from './schema.ts';
import { usesIpv6 } from './guest-commands.ts';
import { familyOf } from './values.ts';

/** An option that must be y or m, and the scenario's reason for it. */
export interface ScenarioKernelOption {
  option: string;
  why: string;
}

export function scenarioKernelOptions(s: Scenario): ScenarioKernelOption[] {
  const out: ScenarioKernelOption[] = [];
  const add = (option: string, why: string): void => {
    if (!out.some((o) => o.option === option)) out.push({ option, why });
  };
  for (const svc of s.services) {
    add(`IP_VS_${svc.scheduler.toUpperCase()}`, `the ${svc.scheduler} scheduler of ${svc.protocol} ${svc.vip}:${svc.port}`);
    if (svc.method === 'tun') add('NET_IPIP', `TUN forwarding (ipip) of ${svc.protocol} ${svc.vip}:${svc.port}`);
  }
  if (usesIpv6(s)) {
    add('IPV6', 'IPv6 addresses');
    if (s.services.some((svc) => familyOf(svc.vip) === 6)) add('IP_VS_IPV6', 'IPv6 virtual services');
  }
  return out;
}
