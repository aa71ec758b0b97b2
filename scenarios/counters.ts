// /proc/net/snmp and /proc/net/snmp6 counters per namespace: one guest command prints them for every
// namespace, a pure parser reads them back, and expectations are judged on the difference before/after
// a step. IPv6 counters are named like the IPv4 ones: `Icmp6InDestUnreachs` is `Icmp6.InDestUnreachs`.
import type { GuestCommand, GuestTools } from './guest-commands.ts';
import { DEFAULT_TOOLS, procNetTables } from './guest-commands.ts';
import type { Scenario } from './schema.ts';
import { NODE } from './values.ts';

export type CounterSet = Record<string, number>;
export type CounterSnapshot = Record<string, CounterSet>;

export function namespacesOf(s: Scenario): string[] {
  return [NODE, ...s.topology.namespaces.map((n) => n.name)];
}

export function snapshotCommand(s: Scenario, tools: GuestTools = DEFAULT_TOOLS): GuestCommand {
  // snmp6 exists only on kernels with IPv6 (procNetTables leaves out what the node lacks).
  return { label: 'counters', script: procNetTables(namespacesOf(s), ['snmp', 'snmp6'], '==', tools), timeoutMs: 15_000 };
}

/** `/proc/net/snmp` comes in pairs of lines: `Icmp: InMsgs ...` then `Icmp: 1 ...`; `/proc/net/snmp6` has `Icmp6InMsgs  1`. */
export function parseSnmp(text: string): CounterSet {
  const out: CounterSet = {};
  for (const m of text.matchAll(/^(Ip6|Icmp6|Udp6|UdpLite6)([A-Za-z0-9]+)[ \t]+(\d+)[ \t]*$/gm)) out[`${m[1]}.${m[2]}`] = Number(m[3]);
  const lines = text.split('\n').filter((l) => l.includes(':'));
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const head = lines[i]!.split(/\s+/).filter(Boolean);
    const values = lines[i + 1]!.split(/\s+/).filter(Boolean);
    const group = head[0]?.replace(/:$/, '');
    if (!group || values[0] !== head[0]) continue;
    for (let j = 1; j < head.length; j++) {
      const v = Number(values[j]);
      if (Number.isFinite(v)) out[`${group}.${head[j]}`] = v;
    }
  }
  return out;
}

export function parseSnapshot(text: string): CounterSnapshot {
  const out: CounterSnapshot = {};
  const parts = text.split(/^== (\S+)$/m);
  for (let i = 1; i + 1 < parts.length; i += 2) out[parts[i]!] = parseSnmp(parts[i + 1]!);
  return out;
}

export function counterDelta(before: CounterSnapshot, after: CounterSnapshot, ns: string, counter: string): number | undefined {
  const b = before[ns]?.[counter] ?? (after[ns]?.[counter] !== undefined ? 0 : undefined);
  const a = after[ns]?.[counter];
  return a === undefined || b === undefined ? undefined : a - b;
}
