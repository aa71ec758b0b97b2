// Value rules for everything that ends up inside a guest shell command. Validation rejects anything
// outside these shapes, so planners can splice validated values into commands; free text (payloads,
// server replies) is always passed through shellQuote instead.

/** Network namespace names: short enough for the host-side veth name `vh-<ns>` (15 characters max). */
export const NS_NAME_RE = /^[a-z][a-z0-9-]{0,11}$/;
export const NS_NAME_RULE = 'a lowercase name of 1-12 characters: a-z first, then a-z, 0-9 or "-"';

/** Scenario, server and step names: lowercase, no shell metacharacters. */
export const NAME_RE = /^[a-z][a-z0-9_-]{0,47}$/;
export const NAME_RULE = 'a lowercase name of 1-48 characters: a-z first, then a-z, 0-9, "_" or "-"';

/** The root namespace of the guest, which plays the Kubernetes node. */
export const NODE = 'node';

/** The guest's management namespace (eth0 and the SSH server live there); never touched by scenarios. */
export const MANAGEMENT_NS = 'mgmt';

const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(value: string): boolean {
  return IPV4_RE.test(value);
}

/**
 * IPv6 in the plain hex form (`fd00:244:1::2`, at most one `::`, lowercase or uppercase). No zone
 * (`%eth0`) and no embedded IPv4 (`::ffff:10.0.0.1`): only hex digits and colons reach the shell.
 */
export function isIpv6(value: string): boolean {
  if (value.length < 2 || value.length > 39 || !/^[0-9a-fA-F:]+$/.test(value)) return false;
  const halves = value.split('::');
  if (halves.length > 2) return false;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const parts = halves.flatMap(groups);
  if (parts.some((g) => g.length < 1 || g.length > 4)) return false;
  return halves.length === 2 ? parts.length <= 7 : parts.length === 8;
}

export function isIpAddress(value: string): boolean {
  return isIpv4(value) || isIpv6(value);
}

export type AddressFamily = 4 | 6;

/** 4 or 6 for a valid address (callers validate first; anything with a colon is IPv6). */
export function familyOf(address: string): AddressFamily {
  return address.includes(':') ? 6 : 4;
}

export function isPort(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 65535;
}

/** `10.96.0.10:80` or `[fd00:96::10]:80` -> address and port, or null when either part is invalid. */
export function parseEndpoint(value: string): { address: string; port: number } | null {
  const m = /^(?:([\d.]+)|\[([0-9a-fA-F:]+)\]):(\d{1,5})$/.exec(value);
  if (!m) return null;
  const address = m[1] ?? m[2]!;
  if (m[1] !== undefined ? !isIpv4(address) : !isIpv6(address)) return null;
  const port = Number(m[3]);
  return isPort(port) ? { address, port } : null;
}

/** An address as socat and ipvsadm take it next to a port: IPv6 in brackets. */
export function bracketed(address: string): string {
  return familyOf(address) === 6 ? `[${address}]` : address;
}

/** Host prefix length of one address: /32 or /128. */
export function hostPrefix(address: string): number {
  return familyOf(address) === 6 ? 128 : 32;
}

/** Sysctl keys the scenarios may set. Values are integers, so nothing else can reach the shell. */
export const SYSCTL_KEY_RE = /^net\.(ipv4|ipv6|core|netfilter)(\.[a-z0-9_]+){1,4}$/;

/** Free text that is shell-quoted; printable ASCII without newlines keeps the trace markers one line. */
export const TEXT_RE = /^[\x20-\x7e]{0,200}$/;

/** POSIX single-quote quoting: the only safe way to hand arbitrary text to `sh -c`. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos'] as const;
export const METHODS = ['nat', 'dr', 'tun'] as const;
export const PROTOCOLS = ['tcp', 'udp'] as const;
/** `refused`: a TCP reset answered the SYN; `reset`: an established connection was reset. */
export const OUTCOMES = ['ok', 'refused', 'reset', 'icmp-unreachable', 'timeout'] as const;

/** A step's kind is its key; each step has exactly one of these. */
export const STEP_KINDS = ['connect', 'send', 'wait', 'sysctls', 'setWeight', 'removeRealServer', 'finish'] as const;
/** How the kinds read in messages. */
export const STEP_KINDS_TEXT = 'connect: {...}, send: {...}, wait: <seconds>, sysctls: {...}, setWeight: {...}, removeRealServer: {...} or finish: <step>';
