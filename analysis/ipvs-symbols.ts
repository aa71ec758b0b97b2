// What the IPVS netfilter hooks are called on each kernel generation, kept as data so the next kernel
// is one more entry. Source: net/netfilter/ipvs/ip_vs_core.c, ip_vs_ops4[] / ip_vs_ops6[]:
//
//   hook       priority               < 5.16 (wrappers)          >= 5.16
//   LOCAL_IN   NF_IP_PRI_NAT_SRC - 2  ip_vs_reply4/6             ip_vs_out_hook   reply
//   LOCAL_IN   NF_IP_PRI_NAT_SRC - 1  ip_vs_remote_request4/6    ip_vs_in_hook    remote_request
//   LOCAL_OUT  NF_IP_PRI_NAT_DST + 1  ip_vs_local_reply4/6       ip_vs_out_hook   local_reply
//   LOCAL_OUT  NF_IP_PRI_NAT_DST + 2  ip_vs_local_request4/6     ip_vs_in_hook    local_request
//   FORWARD    99                     ip_vs_forward_icmp(_v6)    ip_vs_forward_icmp  forward_icmp
//   FORWARD    100                    ip_vs_reply4/6             ip_vs_out_hook   reply (forwarded reply)
//
// 5.16 ("netfilter: ipvs: remove unneeded input/output wrappers", "merge ipv4 + ipv6 icmp reply
// handlers") dropped the wrappers: one function now serves several hooks and both families, so the
// symbol alone no longer tells the role; the hook number (struct nf_hook_state's first byte) does.

export const NF_INET_LOCAL_IN = 1;
export const NF_INET_FORWARD = 2;
export const NF_INET_LOCAL_OUT = 3;

export const HOOK_NAMES: Record<number, string> = { 0: 'PRE_ROUTING', 1: 'LOCAL_IN', 2: 'FORWARD', 3: 'LOCAL_OUT', 4: 'POST_ROUTING' };

export const ROLES = ['remote_request', 'local_request', 'reply', 'local_reply', 'forward_icmp'] as const;
export type Role = (typeof ROLES)[number];
export type Family = 4 | 6;

export interface HookUse {
  role: Role;
  hook: number;
}

export interface HookFunction {
  fn: string;
  /** null: the function serves both families (>= 5.16). */
  family: Family | null;
  uses: HookUse[];
}

export type GenerationId = 'wrappers' | 'hooks';

export interface Generation {
  id: GenerationId;
  description: string;
  /** Kernel versions [from, until) as [major, minor]; until null = open ended. */
  from: [number, number];
  until: [number, number] | null;
  hooks: HookFunction[];
  /** Helpers this generation's builds are known to inline (informational; any may be absent anyway). */
  inlined: string[];
}

function wrappers(family: Family): HookFunction[] {
  const s = String(family);
  return [
    { fn: `ip_vs_reply${s}`, family, uses: [{ role: 'reply', hook: NF_INET_LOCAL_IN }, { role: 'reply', hook: NF_INET_FORWARD }] },
    { fn: `ip_vs_remote_request${s}`, family, uses: [{ role: 'remote_request', hook: NF_INET_LOCAL_IN }] },
    { fn: `ip_vs_local_reply${s}`, family, uses: [{ role: 'local_reply', hook: NF_INET_LOCAL_OUT }] },
    { fn: `ip_vs_local_request${s}`, family, uses: [{ role: 'local_request', hook: NF_INET_LOCAL_OUT }] },
    { fn: family === 4 ? 'ip_vs_forward_icmp' : 'ip_vs_forward_icmp_v6', family, uses: [{ role: 'forward_icmp', hook: NF_INET_FORWARD }] },
  ];
}

export const GENERATIONS: Generation[] = [
  {
    id: 'wrappers',
    description: 'Linux < 5.16: one wrapper function per hook and family (ip_vs_local_request4, ...)',
    from: [0, 0],
    until: [5, 16],
    hooks: [...wrappers(4), ...wrappers(6)],
    inlined: ['ip_vs_out_icmp', 'ip_vs_fill_iph_skb', 'ip_vs_try_to_schedule', 'ip_vs_nat_send_or_cont', 'ip_vs_send_or_cont'],
  },
  {
    id: 'hooks',
    description: 'Linux >= 5.16: ip_vs_in_hook / ip_vs_out_hook serve several hooks and both families',
    from: [5, 16],
    until: null,
    hooks: [
      {
        fn: 'ip_vs_out_hook',
        family: null,
        uses: [
          { role: 'reply', hook: NF_INET_LOCAL_IN },
          { role: 'reply', hook: NF_INET_FORWARD },
          { role: 'local_reply', hook: NF_INET_LOCAL_OUT },
        ],
      },
      {
        fn: 'ip_vs_in_hook',
        family: null,
        uses: [
          { role: 'remote_request', hook: NF_INET_LOCAL_IN },
          { role: 'local_request', hook: NF_INET_LOCAL_OUT },
        ],
      },
      { fn: 'ip_vs_forward_icmp', family: null, uses: [{ role: 'forward_icmp', hook: NF_INET_FORWARD }] },
    ],
    inlined: ['ip_vs_in', 'ip_vs_out', 'ip_vs_fill_iph_skb', 'ip_vs_try_to_schedule', 'ip_vs_nat_send_or_cont', 'ip_vs_send_or_cont'],
  },
];

/**
 * Helpers that some kernel builds inline (or split into .part clones that fire only on some paths).
 * A graph step naming one of them may find it absent without failing; its nested steps are then
 * looked for in its place. Measured on Debian 5.10 / 6.1 / 6.12 (the captures in test/fixtures/traces).
 */
export const INLINABLE_HELPERS: readonly string[] = [
  'ip_vs_in',
  'ip_vs_out',
  'ip_vs_in_icmp',
  'ip_vs_out_icmp',
  'ip_vs_in_icmp_v6',
  'ip_vs_out_icmp_v6',
  'ip_vs_route_me_harder',
  'ip_vs_fill_iph_skb',
  'ip_vs_try_to_schedule',
  'ip_vs_nat_send_or_cont',
  'ip_vs_send_or_cont',
  'ip_vs_set_state',
  'ip_vs_in_stats',
  'ip_vs_out_stats',
];

/** Names a graph may use for a function that the kernel traces under another symbol. */
export const SYMBOL_ALIASES: Readonly<Record<string, readonly string[]>> = {
  icmp_send: ['__icmp_send'],
  icmpv6_send: ['__icmpv6_send', 'icmp6_send'],
  ip_vs_forward_icmp_v6: ['ip_vs_forward_icmp'],
};

/**
 * Functions that call NF_HOOK for one hook: a hook function nested under one of them (through
 * nf_hook_slow) ran at that hook. Lets nested 6.x hook calls get a role without a probe event.
 */
export const HOOK_CALLERS: Readonly<Record<string, { hook: number; family: Family }>> = {
  ip_local_deliver: { hook: NF_INET_LOCAL_IN, family: 4 },
  __ip_local_out: { hook: NF_INET_LOCAL_OUT, family: 4 },
  ip_local_out: { hook: NF_INET_LOCAL_OUT, family: 4 },
  ip_forward: { hook: NF_INET_FORWARD, family: 4 },
  ip6_input: { hook: NF_INET_LOCAL_IN, family: 6 },
  __ip6_local_out: { hook: NF_INET_LOCAL_OUT, family: 6 },
  ip6_local_out: { hook: NF_INET_LOCAL_OUT, family: 6 },
  ip6_forward: { hook: NF_INET_FORWARD, family: 6 },
  // IPVS transmitters re-inject the packet at LOCAL_OUT (ip_vs_nat_send_or_cont / ip_vs_send_or_cont).
  ip_vs_nat_xmit: { hook: NF_INET_LOCAL_OUT, family: 4 },
  ip_vs_dr_xmit: { hook: NF_INET_LOCAL_OUT, family: 4 },
  ip_vs_tunnel_xmit: { hook: NF_INET_LOCAL_OUT, family: 4 },
  ip_vs_bypass_xmit: { hook: NF_INET_LOCAL_OUT, family: 4 },
  ip_vs_icmp_xmit: { hook: NF_INET_LOCAL_OUT, family: 4 },
  ip_vs_nat_xmit_v6: { hook: NF_INET_LOCAL_OUT, family: 6 },
  ip_vs_dr_xmit_v6: { hook: NF_INET_LOCAL_OUT, family: 6 },
  ip_vs_tunnel_xmit_v6: { hook: NF_INET_LOCAL_OUT, family: 6 },
  ip_vs_bypass_xmit_v6: { hook: NF_INET_LOCAL_OUT, family: 6 },
  ip_vs_icmp_xmit_v6: { hook: NF_INET_LOCAL_OUT, family: 6 },
};

/** Calls that only run for one family: a hook call whose subtree shows one of them is of that family. */
export const FAMILY_HINTS: Readonly<Record<Family, readonly string[]>> = {
  4: ['ip_vs_nat_xmit', '__ip_vs_get_out_rt', 'ip_vs_in_icmp', 'ip_vs_out_icmp', '__icmp_send', 'ip_send_check', 'do_output_route4', 'ip_route_me_harder'],
  6: ['ip_vs_nat_xmit_v6', '__ip_vs_get_out_rt_v6', 'ip_vs_in_icmp_v6', 'ip_vs_out_icmp_v6', '__icmpv6_send', 'icmp6_send', 'ip6_route_me_harder', '__ip_vs_route_output_v6'],
};

/** Every function any generation uses as a hook entry. */
export function allHookFunctionNames(): Set<string> {
  const out = new Set<string>();
  for (const g of GENERATIONS) for (const h of g.hooks) out.add(h.fn);
  return out;
}
