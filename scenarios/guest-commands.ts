// Guest command plans: what the runner sends to the guest, as labelled shell scripts. Pure: a
// scenario in, scripts out. Every value spliced in was validated by the schema (names, addresses,
// ports, integers); free text goes through shellQuote.
import type { NetNamespace, Scenario, Server, Service, Step } from './schema.ts';
import { bracketed, familyOf, hostPrefix, NODE, parseEndpoint, shellQuote } from './values.ts';

export interface GuestCommand {
  label: string;
  script: string;
  timeoutMs: number;
  /** Failure is reported but does not stop the scenario (teardown, diagnostics). */
  allowFailure?: boolean;
  /** Keep the output out of commands.log (it is saved elsewhere, e.g. the trace), log its size only. */
  quietOutput?: boolean;
  /**
   * This command needs dash ('sh') even in a cell whose scripts run in busybox's ash: ash gives up a
   * blocking open of a fifo that a child's exit (SIGCHLD) interrupts ("can't open ...: Interrupted
   * system call"), where dash opens it again.
   */
  shell?: 'sh';
}

export interface GuestTools {
  ip: string;
  ipvsadm: string;
  socat: string;
}

export const DEFAULT_TOOLS: GuestTools = { ip: '/usr/sbin/ip', ipvsadm: 'ipvsadm', socat: 'socat' };

/** Scratch folder in the guest for server scripts, pid files and received datagrams. */
export const RUN_DIR = '/run/ipvsh';
export const DUMMY_IF = 'kube-ipvs0';

/** The node's end of each namespace's veth is `vh-<namespace>`. */
export const VETH_PREFIX = 'vh-';

export function hostVethName(ns: string): string {
  return `${VETH_PREFIX}${ns}`;
}

/**
 * Prefix that runs a command inside a namespace (nothing for the node). busybox's static nsenter, not
 * `ip netns exec`: under TCG each exec of the dynamically linked iproute2 costs ~0.1 s, and counters,
 * drains, servers and clients run this once per namespace per step. Everything run this way reads
 * its namespace through /proc (/proc/net/*, /proc/sys/net/*) or sockets, never /sys, so `ip netns
 * exec`'s private /sys mount is not needed.
 */
export function inNamespace(_tools: GuestTools, ns: string): string {
  return ns === NODE ? '' : `nsenter --net=/run/netns/${ns} `;
}

/** A heredoc of `ip -batch` lines: one exec of iproute2 for many commands (it stops at the first that fails, naming its line). */
function ipBatch(tools: GuestTools, lines: readonly string[], netns?: string): string[] {
  if (lines.length === 0) return [];
  return [`${tools.ip}${netns ? ` -n ${netns}` : ''} -batch - <<'IPVSH_BATCH'`, ...lines, 'IPVSH_BATCH'];
}

export function topologyCommands(s: Scenario, tools: GuestTools = DEFAULT_TOOLS): GuestCommand[] {
  // Two batches' worth of lines: the node's side (dummy interface, namespaces, veths, host routes) in
  // one iproute2 process, then each namespace's own side in one process per namespace.
  const node: string[] = [];
  if (s.topology.vips.length > 0) {
    // kube-proxy's IPVS mode: a dummy interface that only carries the VIPs as /32 or /128 (left down, as
    // kube-proxy does; IPv6 addresses skip duplicate address detection, which would hold them tentative).
    node.push(`link add ${DUMMY_IF} type dummy`);
    for (const vip of s.topology.vips) node.push(`addr add ${vip}/${hostPrefix(vip)} dev ${DUMMY_IF}${nodad(vip)}`);
  }
  const inside: string[] = [];
  const noDad: string[] = [];
  for (const ns of s.topology.namespaces) {
    const l = namespaceLines(ns, tools);
    node.push(...l.node);
    inside.push(...(familyOf(ns.address) === 6 ? [...ipBatch(tools, l.inside, ns.name), ...l.after] : busyboxInNamespace(ns.name, l.inside, l.sysctls)));
    if (familyOf(ns.address) === 6) noDad.push(linkLocalWithoutDad(hostVethName(ns.name)));
  }
  // An anchor in each namespace: a process whose /proc/<pid>/net is that namespace's (procNetTables).
  const anchors = s.topology.namespaces.flatMap((ns) => [
    `${inNamespace(tools, ns.name)}sleep 1000000 </dev/null >/dev/null 2>&1 &`,
    `echo $! > ${anchorPidFile(ns.name)}`,
  ]);
  const lines = [`set -e`, `mkdir -p ${RUN_DIR}`, ...ipBatch(tools, node), ...noDad, ...inside, ...anchors];
  return [{ label: 'topology', script: lines.join('\n'), timeoutMs: 30_000 }];
}

/** The pid file of a namespace's anchor (a `sleep` in it; the reset kills every pid file's process). */
export function anchorPidFile(ns: string): string {
  return `${RUN_DIR}/ns-${ns}.pid`;
}

/**
 * Shell lines printing `files` (names under /proc/net; a file the node lacks is left out everywhere)
 * of the node and of each namespace, each namespace's part after the line `<header> <name>`, in
 * one awk: it reads a namespace's tables as /proc/<anchor>/net/<file>, the anchor being a process
 * the topology left in it, checked to be in that namespace still (`-ef`: the same nsfs inode as
 * /run/netns/<name>). Each `nsenter ... cat` it replaces cost ~10 ms under TCG, and the counters
 * and the drain read every namespace around every step. Without a good anchor for every namespace:
 * the `nsenter ... cat` lines.
 */
export function procNetTables(namespaces: readonly string[], files: readonly string[], header: string, tools: GuestTools = DEFAULT_TOOLS): string {
  const scenario = namespaces.map((ns, i) => ({ ns, i })).filter((x) => x.ns !== NODE);
  const dirs = namespaces.map((ns, i) => `${ns === NODE ? '/proc/net' : `/proc/$a${i}/net`}:${ns}`);
  return [
    `fs=; for f in ${files.join(' ')}; do [ -e /proc/net/$f ] && fs="$fs $f"; done`,
    'ok=1',
    ...scenario.map(({ ns, i }) => `{ read -r a${i} < ${anchorPidFile(ns)} && [ /proc/$a${i}/ns/net -ef /run/netns/${ns} ]; } 2>/dev/null || ok=0`),
    'if [ $ok = 1 ]; then',
    `  set --; h=; for d in ${dirs.join(' ')}; do h="$h \${d%%:*} \${d#*:}"; for f in $fs; do set -- "$@" "\${d%%:*}/$f"; done; done`,
    `  awk -v h="$h" 'BEGIN { n = split(h, a, " "); for (i = 1; i < n; i += 2) name[a[i]] = a[i + 1] } FNR == 1 { d = FILENAME; sub(/\\/[^\\/]*$/, "", d); if (d != last) { print "${header} " name[d]; last = d } } { print }' "$@"`,
    'else',
    '  set --; for f in $fs; do set -- "$@" /proc/net/$f; done',
    ...namespaces.map((ns) => `  echo '${header} ${ns}'; ${inNamespace(tools, ns)}cat "$@"`),
    'fi',
  ].join('\n');
}

/**
 * The node's end of an IPv6 veth gets its link-local address without duplicate address detection.
 * A packet the node forwards (or IPVS rewrites) carries someone else's source address, so the node's
 * neighbour solicitation for the next hop must come from its link-local address, and the kernel does
 * not send one while that address is tentative (ndisc_send_ns): the first forwarded packet of every
 * IPv6 cell waited a second for TCP's retransmission. Written while the other end is still down
 * (DAD starts when the link gets its carrier); a builtin write to /proc, no process.
 */
function linkLocalWithoutDad(device: string): string {
  return `echo 0 > /proc/sys/net/ipv6/conf/${device}/accept_dad`;
}

/** IPv6 addresses are usable at once instead of after duplicate address detection. */
function nodad(address: string): string {
  return familyOf(address) === 6 ? ' nodad' : '';
}

/**
 * An IPv4 namespace's own side in one busybox ash inside it: busybox's `ip` and `sysctl` are applets
 * of the shell (forks, no exec), where `ip -n <ns> -batch` is an exec of the dynamically linked
 * iproute2 (~60 ms under TCG) for every namespace of every cell. busybox's `ip` builds the same
 * netlink requests for these lines (address with peer, link up, default route, VIPs); IPv6
 * namespaces keep iproute2, for `nodad`.
 */
function busyboxInNamespace(ns: string, ipLines: readonly string[], sysctls: readonly string[]): string[] {
  const script = ['set -e', ...ipLines.map((l) => `ip ${l}`), ...sysctls.map((kv) => `sysctl -q -w ${kv}`)].join('\n');
  return [`nsenter --net=/run/netns/${ns} /bin/busybox sh -c ${shellQuote(script)}`];
}

/**
 * A namespace's `ip -batch` lines on the node's side and inside, shell lines to run after, and the
 * sysctls those lines set (the same, as `key=value`).
 */
function namespaceLines(ns: NetNamespace, tools: GuestTools): { node: string[]; inside: string[]; after: string[]; sysctls: string[] } {
  const veth = hostVethName(ns.name);
  if (familyOf(ns.address) === 6) {
    // IPv6 has no route to a `peer` address: both ends get a /128 and a device route to the other.
    // (No -6 in a batch line: iproute2 takes the family from the addresses.)
    return {
      node: [
        `netns add ${ns.name}`,
        `link add ${veth} type veth peer name eth0 netns ${ns.name}`,
        `addr add ${ns.gateway}/128 dev ${veth} nodad`,
        `link set ${veth} up`,
        `route add ${ns.address}/128 dev ${veth}`,
      ],
      inside: [
        `link set lo up`,
        `addr add ${ns.address}/128 dev eth0 nodad`,
        `link set eth0 up`,
        `route add ${ns.gateway}/128 dev eth0`,
        `route add default via ${ns.gateway} dev eth0`,
      ],
      after: [],
      sysctls: [],
    };
  }
  const vips = vipLines(ns, tools);
  return {
    node: [
      `netns add ${ns.name}`,
      `link add ${veth} type veth peer name eth0 netns ${ns.name}`,
      `addr add ${ns.gateway} peer ${ns.address}/32 dev ${veth}`,
      `link set ${veth} up`,
    ],
    inside: [
      `link set lo up`,
      `addr add ${ns.address} peer ${ns.gateway}/32 dev eth0`,
      `link set eth0 up`,
      `route add default via ${ns.gateway} dev eth0`,
      ...vips.inside,
    ],
    after: vips.after,
    sysctls: vips.sysctls,
  };
}

/**
 * DR / TUN real servers own the VIPs too. arp_announce=2 keeps a VIP out of their ARP requests;
 * arp_ignore=1 is not set: with the point-to-point (peer) addressing of our veths it would make the
 * real server ignore ARP for its own address too (the peer, not the local address, is the prefix),
 * and nobody asks a veth for a VIP anyway. TUN: decapsulated packets arrive on tunl0, rp_filter off.
 */
function vipLines(ns: NetNamespace, tools: GuestTools): { inside: string[]; after: string[]; sysctls: string[] } {
  if (ns.vips.length === 0) return { inside: [], after: [], sysctls: [] };
  const device = ns.vipDevice;
  const up = device === 'lo' ? [] : [`link set tunl0 up`];
  const sysctls = device === 'lo'
    ? ['net.ipv4.conf.all.arp_announce=2']
    : ['net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.tunl0.rp_filter=0'];
  const after = sysctls.map((kv) => `${inNamespace(tools, ns.name)}sysctl -q -w ${kv}`);
  return { inside: [...up, ...ns.vips.map((vip) => `addr add ${vip}/32 dev ${device}`)], after, sysctls };
}

export function sysctlCommands(s: Scenario, tools: GuestTools = DEFAULT_TOOLS): GuestCommand[] {
  const v6 = usesIpv6(s) ? { 'net.ipv6.conf.all.forwarding': 1 } : {};
  const entries = Object.entries({ 'net.ipv4.ip_forward': 1, ...v6, ...s.sysctls });
  const lines = entries.map(([k, v]) => `sysctl -q -w ${k}=${v}`);
  if (s.ipvsTimeouts) lines.push(`${tools.ipvsadm} --set ${s.ipvsTimeouts.tcp} ${s.ipvsTimeouts.tcpfin} ${s.ipvsTimeouts.udp}`);
  return [{ label: 'sysctls', script: ['set -e', ...lines].join('\n'), timeoutMs: 15_000 }];
}

/** Whether any address of the scenario is IPv6 (the node then forwards IPv6 too). */
export function usesIpv6(s: Scenario): boolean {
  return s.topology.vips.some((a) => familyOf(a) === 6) || s.topology.namespaces.some((n) => familyOf(n.address) === 6);
}

/**
 * The services and their real servers in one `ipvsadm -R` (one exec of ipvsadm, ~70 ms under TCG, in
 * place of one per line). `-R` goes on past a line it refuses and still exits 0, so anything it
 * says is a failure: the table is then cleared and the lines run one by one, and the first that
 * fails stops the setup with ipvsadm's own message for that line, as without -R.
 */
export function serviceCommands(s: Scenario, tools: GuestTools = DEFAULT_TOOLS): GuestCommand[] {
  if (s.services.length === 0) return [];
  const args = s.services.flatMap((svc) => serviceArgs(svc));
  const lines = [
    'set -e',
    `err=$(printf '%s\\n' ${args.map((a) => `'${a}'`).join(' ')} | ${tools.ipvsadm} -R 2>&1 >/dev/null) || err="ipvsadm -R exited $?"`,
    'if [ -n "$err" ]; then',
    `  ${tools.ipvsadm} -C`,
    ...args.map((a) => `  ${tools.ipvsadm} ${a}`),
    // Every line passed alone: -R's complaint was about something else; say it and stop.
    '  echo "ipvsadm -R: $err" >&2; exit 1',
    'fi',
  ];
  return [{ label: 'ipvs services', script: lines.join('\n'), timeoutMs: 15_000 }];
}

const METHOD_FLAG = { nat: '-m', dr: '-g', tun: '-i' } as const;

/** ipvsadm's arguments for a service and its real servers (validated values: no spaces, no quotes). */
function serviceArgs(svc: Service): string[] {
  const flag = svc.protocol === 'tcp' ? '-t' : '-u';
  const vs = `${bracketed(svc.vip)}:${svc.port}`;
  const persistent = svc.persistence !== undefined ? ` -p ${svc.persistence}` : '';
  return [
    `-A ${flag} ${vs} -s ${svc.scheduler}${persistent}`,
    ...svc.realServers.map((rs) => `-a ${flag} ${vs} -r ${bracketed(rs.address)}:${rs.port} ${METHOD_FLAG[svc.method]} -w ${rs.weight}`),
  ];
}

export function serverAddress(s: Scenario, srv: Server): string {
  if (srv.address) return srv.address;
  if (srv.in === NODE) return '0.0.0.0';
  return s.topology.namespaces.find((n) => n.name === srv.in)?.address ?? '0.0.0.0';
}

/**
 * Servers answer each line with `<reply>: <line>`, after an optional delay; the script is a file so
 * socat needs no quoting. All of a scenario's servers start in one command, then one loop waits
 * until each listens, so the first step never races a server. It reads each server's own socket
 * table (/proc/<socat's pid>/net/tcp: the namespace socat is in; nsenter and setsid exec it, so $! is
 * socat) with one grep per server, every 20 ms: the `nsenter netstat | grep` every 50 ms it
 * replaces cost ~0.1 s a server under TCG.
 */
export function serverCommands(s: Scenario, tools: GuestTools = DEFAULT_TOOLS): GuestCommand[] {
  if (s.servers.length === 0) return [];
  const lines = ['set -e', `mkdir -p ${RUN_DIR}`];
  const listening: string[] = [];
  const notYet: string[] = [];
  s.servers.forEach((srv, i) => {
    const script = `${RUN_DIR}/srv-${srv.name}.sh`;
    // busybox's ash runs it: socat starts it for every connection (or datagram), and the static ash
    // starts in ~4 ms under TCG where dash takes ~30 ms; read and printf are builtins in both.
    const body = [
      '#!/bin/busybox sh',
      srv.delay ? `sleep ${srv.delay}` : '',
      `while IFS= read -r line; do printf '%s: %s\\n' ${shellQuote(srv.reply ?? srv.name)} "$line"; done`,
    ].filter(Boolean).join('\n');
    const addr = serverAddress(s, srv);
    const v = familyOf(addr);
    const listen = srv.protocol === 'tcp'
      ? `TCP${v}-LISTEN:${srv.port},bind=${bracketed(addr)},reuseaddr,fork`
      : `UDP${v}-RECVFROM:${srv.port},bind=${bracketed(addr)},reuseaddr,fork`;
    // UDP children would wait for more datagrams forever; -T ends them once the peer is idle.
    // TCP: after the client's FIN, -t is how long the server side may still answer (late data).
    const idle = srv.protocol === 'udp' ? '-T 1 ' : `-t ${(srv.delay ?? 0) + 10} `;
    lines.push(
      `printf '%s\\n' ${shellQuote(body)} > ${script}`,
      `chmod 700 ${script}`,
      `${inNamespace(tools, srv.in)}setsid ${tools.socat} ${idle}${listen} EXEC:${script} </dev/null >${RUN_DIR}/srv-${srv.name}.log 2>&1 &`,
      `srv${i}=$!; echo $! > ${RUN_DIR}/srv-${srv.name}.pid`,
    );
    // /proc/net/{tcp,udp}{,6}: `sl local_address rem_address st`, the port in hex after the colon; a
    // listening TCP socket is st 0A, a bound UDP socket st 07.
    const table = `${srv.protocol}${v === 6 ? '6' : ''}`;
    const port = srv.port.toString(16).toUpperCase().padStart(4, '0');
    const state = srv.protocol === 'tcp' ? '0A' : '07';
    const listens = `grep -q '^ *[0-9]*: [0-9A-F]*:${port} [0-9A-F]*:0000 ${state} ' /proc/$srv${i}/net/${table} 2>/dev/null`;
    listening.push(listens);
    notYet.push(`${listens} || { echo "server ${srv.name} did not listen on ${addr}:${srv.port}" >&2; cat ${RUN_DIR}/srv-${srv.name}.log >&2; }`);
  });
  lines.push(`i=0; until ${listening.join(' && ')}; do i=$((i+1)); [ $i -lt 250 ] || { ${notYet.join('; ')}; exit 1; }; usleep 20000; done`);
  return [{ label: s.servers.length === 1 ? `server ${s.servers[0]!.name}` : 'servers', script: lines.join('\n'), timeoutMs: 20_000 }];
}

/** How long a connection kept open waits for its finish step before it closes on its own. */
export const HOLD_LIMIT_S = 120;

/** The files of a connection kept open: its client script, output, exit code and the flag that releases it. */
export function heldFiles(stepName: string): { script: string; out: string; err: string; rc: string; go: string; pid: string } {
  const base = `${RUN_DIR}/held-${stepName}`;
  return { script: `${base}.sh`, out: `${base}.out`, err: `${base}.err`, rc: `${base}.rc`, go: `${base}.go`, pid: `${base}.pid` };
}

/** `until <cond>; do ...; sleep 0.05; done`, giving up after `seconds`. */
function pollUntil(condition: string, seconds: number): string {
  return `i=0; until ${condition}; do i=$((i+1)); [ $i -lt ${Math.ceil(seconds * 20)} ] || break; sleep 0.05; done`;
}

type Connect = NonNullable<Step['connect']>;

/**
 * The client: the exchanges' lines fed to socat. `release`, for a connection kept open, is a shell
 * condition the feed waits for after the first line (the finish step makes it true).
 */
function clientPipeline(step: Step, c: Connect, tools: GuestTools, release?: string): string {
  const ns = inNamespace(tools, step.from);
  const ep = parseEndpoint(c.to)!;
  // TCP binds its source port with SO_REUSEADDR, so that a later step can bind it again while the
  // earlier connection sits in TIME_WAIT (connect then needs net.ipv4.tcp_tw_reuse=1 and a second).
  const src = c.sourcePort ? `,sourceport=${c.sourcePort}${c.protocol === 'tcp' ? ',reuseaddr' : ''}` : '';
  const feed: string[] = [];
  for (let i = 0; i < c.exchanges; i++) {
    if (i === 1 && release !== undefined) feed.push(pollUntil(release, HOLD_LIMIT_S));
    if (i > 0) feed.push(`sleep ${c.interval}`);
    feed.push(`printf '%s\\n' ${shellQuote(c.payload)}`);
  }
  // Without half-close, stdin stays open past socat's inactivity timeout (-T), which then ends the client.
  if (!c.halfClose) feed.push(`sleep ${c.timeout + 2}`);
  // TCP: socat waits up to -t after our EOF for the server to finish answering and close.
  // UDP: nothing closes, so -t is the time we give replies (or an ICMP error) to arrive.
  const v = familyOf(ep.address);
  const target = `${bracketed(ep.address)}:${ep.port}`;
  const addr = c.protocol === 'tcp' ? `TCP${v}:${target},connect-timeout=${c.timeout}${src}` : `UDP${v}:${target}${src}`;
  const wait = c.protocol === 'tcp' ? c.timeout : Math.min(c.timeout, 1.5);
  // A held connection is idle until released: its inactivity limit covers the hold.
  const hold = release !== undefined ? HOLD_LIMIT_S : 0;
  const idle = c.timeout + c.interval + hold;
  const client = `${ns}timeout ${Math.ceil(c.timeout + c.exchanges * c.interval + 5 + hold)} ${tools.socat} -t ${wait} -T ${idle} - ${addr}`;
  if (c.protocol === 'udp' && release === undefined) return udpClient(step.name, feed, client, c.exchanges);
  return `{ ${feed.join('; ')}; } | ${client}`;
}

/**
 * A UDP client that ends once every line it sent has its reply. UDP has no end of stream, so socat
 * alone waits out its whole -t after our last line even when the replies came at once (1.5 s of every
 * answered UDP step). socat writes into a fifo; the shell passes the replies on as they come and, at
 * the `exchanges`-th, stops socat and says 0. Fewer replies: socat ends as before (its -t, an ICMP
 * error) and its exit status is the step's. The feed's stderr is /dev/null: a feed still sleeping
 * when socat is stopped must not hold the step's output open.
 */
function udpClient(stepName: string, feed: readonly string[], client: string, exchanges: number): string {
  const fifo = `${RUN_DIR}/udp-${stepName}.$$`;
  return [
    `mkdir -p ${RUN_DIR}; rm -f ${fifo}; mkfifo ${fifo}`,
    `{ ${feed.join('; ')}; } 2>/dev/null | ${client} >${fifo} &`,
    'p=$!; n=0',
    `while [ $n -lt ${exchanges} ] && { IFS= read -r l || [ -n "$l" ]; }; do printf '%s\\n' "$l"; n=$((n+1)); done <${fifo}`,
    `[ $n -lt ${exchanges} ] || kill $p 2>/dev/null`,
    'wait $p; rc=$?',
    `rm -f ${fifo}`,
    `[ $n -lt ${exchanges} ] || exit 0`,
    'exit $rc',
  ].join('\n');
}

/**
 * A connection kept open: the client runs in the background, its first exchange answered before the
 * step ends (the step prints it); the rest waits for the finish step.
 */
function keepOpenCommand(step: Step, c: Connect, tools: GuestTools): GuestCommand {
  const f = heldFiles(step.name);
  const body = [
    '#!/bin/sh',
    `${clientPipeline(step, c, tools, `[ -e ${f.go} ]`)}`,
    `echo $? > ${f.rc}.tmp && mv ${f.rc}.tmp ${f.rc}`,
  ].join('\n');
  const script = [
    `rm -f ${RUN_DIR}/held-${step.name}.*`,
    `mkdir -p ${RUN_DIR}`,
    `printf '%s\\n' ${shellQuote(body)} > ${f.script}`,
    `setsid sh ${f.script} </dev/null >${f.out} 2>${f.err} &`,
    `echo $! > ${f.pid}`,
    pollUntil(`[ -s ${f.out} ] || [ -e ${f.rc} ]`, c.timeout + 2),
    `cat ${f.out}; cat ${f.err} >&2`,
    `[ -e ${f.rc} ] && exit $(cat ${f.rc})`,
    'exit 0',
  ].join('\n');
  return { label: `step ${step.name}`, script, timeoutMs: (c.timeout + 20) * 1000 };
}

/** Release a connection kept open, wait for it to end, and print all it received. */
function finishCommand(s: Scenario, step: Step, held: string): GuestCommand {
  const c = s.steps.find((x) => x.name === held)?.connect;
  const f = heldFiles(held);
  const limit = c ? c.timeout + c.exchanges * c.interval + (c.halfClose ? 0 : c.timeout + 2) + 10 : 30;
  const script = [
    `touch ${f.go}`,
    pollUntil(`[ -e ${f.rc} ]`, limit),
    `cat ${f.out}; cat ${f.err} >&2`,
    `[ -e ${f.rc} ] && exit $(cat ${f.rc})`,
    `echo "connection ${held} did not end within ${limit} s" >&2`,
    'exit 124',
  ].join('\n');
  return { label: `step ${step.name}`, script, timeoutMs: (limit + 20) * 1000 };
}

/** `ipvsadm -e` (weight) or `-d` (remove) on one real server of a declared service. */
function realServerCommand(s: Scenario, step: Step, tools: GuestTools): GuestCommand {
  const ref = (step.setWeight ?? step.removeRealServer)!;
  const svcEp = parseEndpoint(ref.service)!;
  const rsEp = parseEndpoint(ref.realServer)!;
  const flag = ref.protocol === 'tcp' ? '-t' : '-u';
  const vs = `${flag} ${bracketed(svcEp.address)}:${svcEp.port} -r ${bracketed(rsEp.address)}:${rsEp.port}`;
  const svc = s.services.find((x) => x.protocol === ref.protocol && x.vip.toLowerCase() === svcEp.address.toLowerCase() && x.port === svcEp.port);
  // -e without the forwarding method would turn a NAT real server into a DR one: name it again.
  const line = step.setWeight
    ? `${tools.ipvsadm} -e ${vs} ${METHOD_FLAG[svc?.method ?? 'nat']} -w ${step.setWeight.weight}`
    : `${tools.ipvsadm} -d ${vs}`;
  return { label: `step ${step.name}`, script: ['set -e', line].join('\n'), timeoutMs: 10_000 };
}

export function stepCommand(s: Scenario, step: Step, tools: GuestTools = DEFAULT_TOOLS): GuestCommand {
  const ns = inNamespace(tools, step.from);
  if (step.connect) {
    const c = step.connect;
    if (c.keepOpen) return keepOpenCommand(step, c, tools);
    // UDP: the client reads socat's replies from a fifo (udpClient), which dash opens reliably.
    return { label: `step ${step.name}`, script: clientPipeline(step, c, tools), timeoutMs: (c.timeout + c.exchanges * c.interval + 20) * 1000, ...(c.protocol === 'udp' ? { shell: 'sh' as const } : {}) };
  }
  if (step.finish !== undefined) return finishCommand(s, step, step.finish);
  if (step.setWeight || step.removeRealServer) return realServerCommand(s, step, tools);
  if (step.send) {
    const from = parseEndpoint(step.send.from)!;
    const to = parseEndpoint(step.send.to)!;
    const v = familyOf(to.address);
    const script = `printf '%s\\n' ${shellQuote(step.send.payload)} | ${ns}${tools.socat} -u - UDP${v}-SENDTO:${bracketed(to.address)}:${to.port},bind=${bracketed(from.address)}:${from.port}`;
    return { label: `step ${step.name}`, script, timeoutMs: 15_000 };
  }
  if (step.sysctls) {
    // In the step's namespace (`from`): a namespace has its own net.* sysctls (net.ipv4.vs.* too).
    const lines = Object.entries(step.sysctls).map(([k, v]) => `${ns}sysctl -q -w ${k}=${v}`);
    return { label: `step ${step.name}`, script: ['set -e', ...lines].join('\n'), timeoutMs: 10_000 };
  }
  return { label: `step ${step.name}`, script: `sleep ${step.wait ?? 0}`, timeoutMs: ((step.wait ?? 0) + 10) * 1000 };
}

/** Listener for `send.observe`: appends every datagram that arrives at `send.to` to a file. */
export function observerCommands(step: Step, tools: GuestTools = DEFAULT_TOOLS): { start: GuestCommand; collect: GuestCommand } | null {
  if (!step.send?.observe) return null;
  const to = parseEndpoint(step.send.to)!;
  const file = `${RUN_DIR}/recv-${step.name}`;
  const ns = inNamespace(tools, step.send.observe);
  return {
    start: {
      label: `observer ${step.name}`,
      script: [
        `rm -f ${file}; : > ${file}`,
        `${ns}setsid ${tools.socat} -u UDP${familyOf(to.address)}-RECV:${to.port},bind=${bracketed(to.address)},reuseaddr OPEN:${file},append </dev/null >/dev/null 2>&1 &`,
        `echo $! > ${file}.pid`,
        `i=0; until ${ns}netstat -lnu | grep -q ':${to.port} '; do i=$((i+1)); [ $i -lt 100 ] || exit 1; sleep 0.05; done`,
      ].join('\n'),
      timeoutMs: 15_000,
    },
    collect: {
      label: `collect ${step.name}`,
      script: `sleep 0.3; kill $(cat ${file}.pid) 2>/dev/null; cat ${file}`,
      timeoutMs: 10_000,
    },
  };
}
