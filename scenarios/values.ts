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

export function isPort(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 65535;
}

/** `10.96.0.10:80` -> address and port, or null when either part is invalid. */
export function parseEndpoint(value: string): { address: string; port: number } | null {
  const m = /^([\d.]+):(\d{1,5})$/.exec(value);
  if (!m || !isIpv4(m[1]!)) return null;
  const port = Number(m[2]);
  return isPort(port) ? { address: m[1]!, port } : null;
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
export const OUTCOMES = ['ok', 'refused', 'icmp-unreachable', 'timeout'] as const;
