// The scenario format (version 1), as a zod schema. Every field has a message that says what is
// expected, because these messages are what a user sees next to the file, path and line.
import { z } from 'zod';
import type { GraphItem } from './graph-items.ts';
import {
  METHODS, NAME_RE, NAME_RULE, NS_NAME_RE, NS_NAME_RULE, OUTCOMES, PROTOCOLS, SCHEDULERS, SYSCTL_KEY_RE, TEXT_RE,
  isIpAddress, parseEndpoint,
} from './values.ts';

const name = z.string({ error: `expected ${NAME_RULE}` }).regex(NAME_RE, { error: `expected ${NAME_RULE}` });
const nsName = z.string({ error: `expected ${NS_NAME_RULE}` }).regex(NS_NAME_RE, { error: `expected ${NS_NAME_RULE}` });
const ADDRESS_RULE = 'an IPv4 address such as 10.244.1.2 or an IPv6 address such as fd00:244:1::2 (hex groups, no zone)';
const ipAddress = z.string({ error: `expected ${ADDRESS_RULE}` })
  .refine(isIpAddress, { error: `not an IP address; expected ${ADDRESS_RULE}` });
const port = z.number({ error: 'expected a port number 1-65535' }).int({ error: 'expected a whole port number 1-65535' })
  .min(1, { error: 'expected a port number 1-65535' }).max(65535, { error: 'expected a port number 1-65535' });
const ENDPOINT_RULE = 'address:port such as 10.96.0.10:80 or [fd00:96::10]:80';
const endpoint = z.string({ error: `expected ${ENDPOINT_RULE}` })
  .refine((v) => parseEndpoint(v) !== null, { error: `expected ${ENDPOINT_RULE}` });
const text = z.string({ error: 'expected a line of text' })
  .regex(TEXT_RE, { error: 'expected at most 200 printable ASCII characters on one line' });
/** The message of a value outside a set: the value, then the set (parse adds "did you mean"). */
const oneOf = (what: string, values: readonly string[]) => (iss: { input?: unknown }): string =>
  iss.input === undefined ? `missing; expected one of: ${values.join(', ')}` : `${what} ${JSON.stringify(iss.input)} is not known; expected one of: ${values.join(', ')}`;
const protocol = z.enum(PROTOCOLS, { error: oneOf('protocol', PROTOCOLS) });
// Millisecond precision: the values are printed into guest commands (`sleep 0.3`), and a number such as
// 1e-7 would print in exponent form, which busybox's sleep and socat's -t do not read.
const seconds = (max: number) => z.number({ error: `expected seconds (0-${max})` }).min(0, { error: `expected seconds (0-${max})` }).max(max, { error: `expected at most ${max} seconds` })
  .refine((v) => Math.abs(v * 1000 - Math.round(v * 1000)) < 1e-6, { error: 'expected seconds with at most 3 decimals (milliseconds)' });

export const namespaceSchema = z.strictObject({
  name: nsName,
  address: ipAddress,
  /** Host-side address of the point-to-point veth; the namespace's default route points at it. */
  gateway: ipAddress,
  /**
   * VIPs this namespace accepts as its own, for DR and TUN real servers: on `lo` (DR, with
   * arp_announce=2 so the real server never names a VIP in ARP) or on `tunl0` (TUN: the IPIP
   * packets from the director are decapsulated there).
   */
  vips: z.array(ipAddress).max(16).default([]),
  vipDevice: z.enum(['lo', 'tunl0'], { error: oneOf('device', ['lo (DR)', 'tunl0 (TUN)']) }).default('lo'),
});

export const serverSchema = z.strictObject({
  name,
  /** `node` (host network) or a namespace name. */
  in: nsName,
  protocol,
  /** Listen address; defaults to the namespace's address (or 0.0.0.0 on the node: give :: or an IPv6 address for an IPv6 service). */
  address: ipAddress.optional(),
  port,
  /** Each request line is answered with `<reply or name>: <line>`. */
  reply: text.optional(),
  /** Wait before answering (late data after IPVS forgot the connection). */
  delay: seconds(60).optional(),
});

export const realServerSchema = z.strictObject({
  address: ipAddress,
  port,
  weight: z.number({ error: 'expected a weight 0-65535' }).int().min(0).max(65535).default(1),
});

export const serviceSchema = z.strictObject({
  protocol,
  vip: ipAddress,
  port,
  scheduler: z.enum(SCHEDULERS, { error: oneOf('scheduler', SCHEDULERS) }).default('rr'),
  method: z.enum(METHODS, { error: oneOf('forwarding method', METHODS) }).default('nat'),
  realServers: z.array(realServerSchema).min(1, { error: 'expected at least one real server' }).max(32),
  /**
   * `ipvsadm -p <seconds>`: a persistent service (kube-proxy's sessionAffinity: ClientIP, whose
   * timeoutSeconds defaults to 10800). A client's connections go to the real server its template chose.
   */
  persistence: z.number({ error: 'expected a persistence timeout in whole seconds (1-86400)' })
    .int({ error: 'expected a persistence timeout in whole seconds (1-86400)' })
    .min(1, { error: 'expected a persistence timeout in whole seconds (1-86400)' })
    .max(86400, { error: 'expected at most 86400 seconds (kube-proxy allows a day)' }).optional(),
});

const counterName = z.string().regex(/^(Ip|Icmp|IcmpMsg|Tcp|Udp|Ip6|Icmp6|Udp6)\.[A-Za-z0-9]+$/, {
  error: 'expected a /proc/net/snmp counter such as Icmp.OutDestUnreachs, or a /proc/net/snmp6 one such as Icmp6.OutDestUnreachs',
});

export const counterExpectationSchema = z.strictObject({
  in: nsName,
  counter: counterName,
  delta: z.number().int().optional(),
  min: z.number().int().optional(),
  max: z.number().int().optional(),
});

const connectSchema = z.strictObject({
  protocol,
  to: endpoint,
  /**
   * Source port for the client (e.g. to send from a real server's service port, or a client that reuses
   * its port: TCP binds it with SO_REUSEADDR).
   */
  sourcePort: port.optional(),
  payload: text.default('ping'),
  /** Several request/response exchanges over one connection (one flow). */
  exchanges: z.number().int().min(1).max(20).default(1),
  /** Pause between exchanges. */
  interval: seconds(10).default(0.3),
  timeout: seconds(60).default(3),
  /**
   * Close our side after sending (default). `false` keeps the connection open until `timeout` with no
   * data, so IPVS keeps it ESTABLISHED (a half-closed one sits in CLOSE_WAIT with its own, long timeout).
   */
  halfClose: z.boolean().default(true),
  /**
   * Keep the connection open after its first exchange while later steps run; a later `finish: <this
   * step>` sends the other exchanges and closes it (a terminating endpoint's established connection).
   */
  keepOpen: z.boolean().default(false),
});

/** A real server of a declared service, as ipvsadm names it: protocol, service endpoint, real server endpoint. */
const realServerRef = {
  protocol,
  service: endpoint,
  realServer: endpoint,
};

const sendSchema = z.strictObject({
  protocol: z.literal('udp', { error: 'expected udp (one-way sends are datagrams)' }),
  from: endpoint,
  to: endpoint,
  payload: text.default('probe'),
  /** Listen at `to` in its namespace and record whether the datagram arrived. */
  observe: nsName.optional(),
});

const outcome = z.enum(OUTCOMES, { error: oneOf('outcome', OUTCOMES) });

export const stepSchema = z.strictObject({
  name,
  /** `node` or a namespace: where the client runs (every step has one, wait and sysctls steps too). */
  from: z.string({ error: (iss) => (iss.input === undefined ? 'missing; every step says where it runs: from: node, or a namespace name (wait and sysctls steps too)' : `expected ${NS_NAME_RULE}`) })
    .regex(NS_NAME_RE, { error: `expected node or a namespace name: ${NS_NAME_RULE}` }),
  connect: connectSchema.optional(),
  send: sendSchema.optional(),
  wait: seconds(60).optional(),
  /** Change sysctls between steps (e.g. nat_icmp_send on, then off). */
  sysctls: z.record(
    z.string().regex(SYSCTL_KEY_RE, { error: 'expected a sysctl under net.ipv4/ipv6/core/netfilter such as net.ipv4.vs.nat_icmp_send' }),
    z.number({ error: 'expected an integer sysctl value' }).int({ error: 'expected an integer sysctl value' }),
  ).optional(),
  /** `ipvsadm -e ... -w <weight>`: weight 0 is kube-proxy's terminating endpoint (no new connections). */
  setWeight: z.strictObject({
    ...realServerRef,
    weight: z.number({ error: 'expected a weight 0-65535' }).int({ error: 'expected a weight 0-65535' }).min(0, { error: 'expected a weight 0-65535' }).max(65535, { error: 'expected a weight 0-65535' }),
  }).optional(),
  /** `ipvsadm -d`: the endpoint is gone; what its connections do then is net.ipv4.vs.expire_nodest_conn's. */
  removeRealServer: z.strictObject(realServerRef).optional(),
  /** Name of an earlier `connect` step with keepOpen: send its remaining exchanges, close it, judge it whole. */
  finish: name.optional(),
  expect: z.strictObject({
    outcome: outcome.optional(),
    /** Name of the server that must have answered. */
    answeredBy: name.optional(),
    /** Whether an observed one-way datagram arrived. */
    delivered: z.boolean().optional(),
    icmp: z.strictObject({ type: z.number().int().min(0).max(255), code: z.number().int().min(0).max(255).optional() }).optional(),
    counters: z.array(counterExpectationSchema).optional(),
  }).default({}),
});

export const traceSchema = z.strictObject({
  /** Extra kernel functions to trace besides the ip_vs modules (e.g. __icmp_send). */
  functions: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]{0,127}$/, { error: 'expected a kernel function name' })).max(64).default([]),
  /** function_graph depth limit; 0 = unlimited. */
  depth: z.number().int().min(0).max(64).default(0),
  bufferKb: z.number().int().min(64).max(262144).default(16384),
});

export const scenarioSchema = z.strictObject({
  version: z.literal(1, { error: 'expected version: 1' }),
  name,
  summary: text,
  description: z.string().max(4000).optional(),
  /** The Kubernetes setting the scenario models (Service type, sessionAffinity, a kube-proxy flag, ...): one line. */
  kubernetes: text.optional(),
  tags: z.array(name).default([]),
  topology: z.strictObject({
    /** VIPs bound to the kube-ipvs0 dummy interface as /32 (IPv6: /128), as kube-proxy does. */
    vips: z.array(ipAddress).max(16).default([]),
    namespaces: z.array(namespaceSchema).max(16).default([]),
  }),
  servers: z.array(serverSchema).max(32).default([]),
  services: z.array(serviceSchema).max(32).default([]),
  sysctls: z.record(
    z.string().regex(SYSCTL_KEY_RE, { error: 'expected a sysctl under net.ipv4/ipv6/core/netfilter such as net.ipv4.vs.conntrack' }),
    z.number({ error: 'expected an integer sysctl value' }).int({ error: 'expected an integer sysctl value' }),
  ).default({}),
  ipvsTimeouts: z.strictObject({ tcp: seconds(86400), tcpfin: seconds(86400), udp: seconds(86400) }).optional(),
  trace: traceSchema.default({ functions: [], depth: 0, bufferKb: 16384 }),
  steps: z.array(stepSchema).min(1, { error: 'expected at least one step' }).max(64),
  /** Expected call graphs in the analyzer's format: read into typed items by graph-items.ts. */
  graphs: z.array(z.record(z.string(), z.unknown())).default([]),
});

export type ScenarioInput = z.input<typeof scenarioSchema>;
/** What the schema accepts, before the graph items are read. */
export type ScenarioData = z.output<typeof scenarioSchema>;
/** A validated scenario: its graph items typed once, at load time. */
export type Scenario = Omit<ScenarioData, 'graphs'> & { graphs: GraphItem[] };
export type Step = Scenario['steps'][number];
export type Server = Scenario['servers'][number];
export type Service = Scenario['services'][number];
export type NetNamespace = Scenario['topology']['namespaces'][number];
