// `ipvs-harness flows <trace-or-results>`: the flows of a capture (analysis/flows.ts), step by step,
// filtered pwru-style (`--flow 'host 10.96.0.10 and port 80'`).
import type { Command } from 'commander';
import { EXIT, setExitCode } from '../exit-codes.ts';

export function registerFlows(program: Command): void {
  program
    .command('flows')
    .description('print the flows of a capture: which packet of which connection took which IPVS path')
    .argument('<trace-or-results>', 'a trace.txt (function_graph with the flow probes), or a results folder written by `run`; - for standard input')
    .option('--flow <filter>', 'only flows with a packet matching: host <addr>, port <n>, proto <tcp|udp|icmp|...> (or tcp, udp, ...), joined by "and"')
    .option('--calls', 'print each flow\'s hook calls in order (the packet each saw, what IPVS did)')
    .option('--json', 'print the flows as JSON')
    .addHelpText('after', `
Examples:
  $ ipvs-harness flows ipvs-results                          # every kernel, scenario and step
  $ ipvs-harness flows ipvs-results/debian-6.1/pod-to-vip/trace.txt --calls
  $ ipvs-harness flows trace.txt --flow 'host 10.96.0.10 and port 80'
  $ ipvs-harness flows ipvs-results --flow udp --json

A flow is one connection: request and reply, before and after NAT, followed by the packets'
addresses and by the skb re-entering LOCAL_OUT inside the IPVS transmitter. Each has a story:
client -> VIP:port, the decision (new connection scheduled / existing connection / no destination:
ICMP sent / not IPVS's), the real server, the transmitter, the reply's SNAT. The kernel's own packets
(IPv6 neighbour discovery, MLD, IGMP) are named as such. Traces recorded without the flow probes
(before this version, or a kernel without BTF) have hook calls but no flows.
Exit code: 0 printed (also when no flow matched), 2 unreadable input or a malformed --flow.`)
    .action(async (input: string, opts: { flow?: string; calls?: boolean; json?: boolean }, command: Command) => {
      const { printFlows } = await import('../report/print-flows.ts');
      await printFlows(input, opts);
      setExitCode(command, EXIT.ok);
    });
}
