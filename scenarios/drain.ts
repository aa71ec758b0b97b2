// A step's traffic drained before its end marker. When the step's client returns, its last packets
// can still be in flight: the final ACK or FIN, a SYN-ACK being retransmitted, a real server's late
// data retransmitted after an ICMP error. Their hook calls would land after the step's end marker,
// in the next step or outside the steps, once in one run and not in the next (issue 19). So before
// the end marker, one guest command polls the TCP sockets of the node and of every namespace of the
// scenario until none has anything in flight (a retransmit or probe timer, unacknowledged data, a
// handshake or close under way), up to a deadline. What is still in flight at the deadline is
// recorded on the step (`inFlight`), so the report and `diff` can say why later hook calls are late
// packets of this step, not the kernel's doing. UDP has no state to wait on.
//
// /proc/net/tcp{,6} (net/ipv4/tcp_ipv4.c get_tcp4_sock): `sl local rem st tx_queue:rx_queue tr:when ...`;
// st is the TCP state in hex, tr the active timer: 1 retransmit, 2 keepalive, 3 TIME_WAIT, 4 zero window probe.
import type { GuestCommand, GuestTools } from './guest-commands.ts';
import { DEFAULT_TOOLS, procNetTables } from './guest-commands.ts';
import { namespacesOf } from './counters.ts';
import type { Scenario } from './schema.ts';
import { endpoint, ipv4, ipv6 } from '../analysis/packet-header.ts';

/** How long a step may take to drain; a real server retransmitting into an ICMP error can take minutes. */
export const DRAIN_DEADLINE_S = 1.5;
const POLL_S = 0.05;

const STATES: Record<string, string> = {
  '01': 'ESTABLISHED', '02': 'SYN_SENT', '03': 'SYN_RECV', '04': 'FIN_WAIT1', '05': 'FIN_WAIT2', '06': 'TIME_WAIT',
  '07': 'CLOSE', '08': 'CLOSE_WAIT', '09': 'LAST_ACK', '0A': 'LISTEN', '0B': 'CLOSING', '0C': 'NEW_SYN_RECV',
};

// An awk program (busybox awk) printing `<namespace> <st> <tr> <tx_queue> <local> <remote>` for each
// socket with something in flight: a handshake or close under way, a retransmit or probe timer,
// unacknowledged data. A line `@ <namespace>` names the namespace of the tables that follow: one awk
// for every namespace (each process costs milliseconds under TCG, and a scan repeats every 50 ms).
const AWK = `$1 == "@" { ns = $2; next } $1 ~ /^[0-9]+:$/ && ($4 ~ /^(02|03|04|09|0B|0C)$/ || $6 ~ /^0[14]:/ || ($4 != "0A" && $5 !~ /^0+:/)) { split($5, q, ":"); split($6, t, ":"); print ns, $4, t[1], q[1], $2, $3 }`;

/**
 * One guest command: poll until nothing is in flight or the deadline passes. Prints `quiet <ms>` or
 * `busy <ms>`, then (when busy) one line per socket still in flight: `<namespace> <st> <tr> <txq> <local> <remote>`.
 */
export function drainCommand(s: Scenario, deadlineS: number = DRAIN_DEADLINE_S, tools: GuestTools = DEFAULT_TOOLS): GuestCommand {
  // The deadline is on the guest's clock (/proc/uptime in centiseconds), not a count of polls: under
  // TCG on a loaded host one scan of a few namespaces can take longer than the poll interval.
  const deadlineCs = Math.max(1, Math.round(deadlineS * 100));
  const script = [
    'scan() {',
    `  { ${procNetTables(namespacesOf(s), ['tcp', 'tcp6'], '@', tools).split('\n').join('\n    ')}\n  } | awk '${AWK}'`,
    '}',
    'now() { read up rest < /proc/uptime; echo "${up%.*}${up#*.}"; }',
    'start=$(now)',
    'while :; do',
    '  out=$(scan)',
    '  [ -n "$out" ] || break',
    `  [ $(( $(now) - start )) -lt ${deadlineCs} ] || break`,
    `  sleep ${POLL_S}`,
    'done',
    'ms=$(( ($(now) - start) * 10 ))',
    'if [ -z "$out" ]; then echo "quiet $ms"; else echo "busy $ms"; printf \'%s\\n\' "$out"; fi',
  ].join('\n');
  return { label: 'drain', script, timeoutMs: (deadlineS + 30) * 1000 };
}

export interface DrainResult {
  quiet: boolean;
  ms: number;
  /** When not quiet: `rs2: 10.244.1.3:81 -> 10.244.2.2:40412 ESTABLISHED, retransmitting 6 bytes`. */
  inFlight: string[];
}

/** `0100007F:0050` (IPv4, little-endian words) or a 32-hex-digit IPv6 address (four little-endian words). */
export function decodeProcAddress(text: string): string {
  const [hex = '', portHex = '0'] = text.split(':');
  const port = parseInt(portHex, 16);
  if (hex.length !== 8 && hex.length !== 32) return text;
  // Each 32-bit word is printed in host (little-endian) order: reverse the bytes of every word.
  const bytes = Uint8Array.from(hex.match(/.{8}/g)!.flatMap((w) => w.match(/../g)!.map((x) => parseInt(x, 16)).reverse()));
  if (bytes.length === 4) return endpoint(ipv4(bytes, 0), port);
  const mapped = bytes.slice(0, 10).every((x) => x === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return endpoint(mapped ? ipv4(bytes, 12) : ipv6(bytes, 0), port);
}

export function parseDrain(stdout: string): DrainResult {
  const lines = stdout.trim().split('\n').filter(Boolean);
  const head = /^(quiet|busy) (\d+)$/.exec(lines[0] ?? '');
  if (!head) return { quiet: true, ms: 0, inFlight: [] };
  const inFlight: string[] = [];
  for (const l of lines.slice(1)) {
    const [ns, st, tr, txq, local, remote] = l.trim().split(/\s+/);
    if (!ns || !st || !local || !remote) continue;
    const what: string[] = [STATES[st] ?? `state ${st}`];
    if (tr === '01') what.push('retransmitting');
    if (tr === '04') what.push('probing a zero window');
    const queued = parseInt(txq ?? '0', 16);
    if (queued > 0) what.push(`${queued} byte(s) unacknowledged`);
    inFlight.push(`${ns}: ${decodeProcAddress(local)} -> ${decodeProcAddress(remote)} ${what.join(', ')}`);
  }
  return { quiet: head[1] === 'quiet', ms: Number(head[2]), inFlight };
}
