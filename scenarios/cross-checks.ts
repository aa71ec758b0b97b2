// Checks that need more than one field: references between namespaces, servers, steps and services.
import { closest } from '../analysis/expected-graph-validate.ts';
import { STEP_MARKER_PREFIX } from '../analysis/step-markers.ts';
import type { ScenarioIssue } from './errors.ts';
import type { ScenarioData } from './schema.ts';
import { familyOf, MANAGEMENT_NS, NODE, parseEndpoint, STEP_KINDS } from './values.ts';

/** `unknown namespace "pdo" (did you mean "pod"?); known: node, pod` */
function unknownName(kind: string, value: unknown, known: readonly string[]): string {
  const hint = typeof value === 'string' ? closest(value, known) : null;
  return `unknown ${kind} ${JSON.stringify(value)}${hint ? ` (did you mean "${hint}"?)` : ''}; known: ${known.join(', ') || 'none'}`;
}

/** `10.96.0.10:80` or `[fd00::1]:80` as `address:port` for comparing (IPv6 unbracketed, lowercase). */
function endpointKey(value: string): string {
  const ep = parseEndpoint(value);
  return ep ? `${ep.address.toLowerCase()}:${ep.port}` : value;
}

function endpointText(address: string, port: number): string {
  return familyOf(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

export function crossCheck(s: ScenarioData): ScenarioIssue[] {
  const issues: ScenarioIssue[] = [];
  const add = (path: (string | number)[], message: string) => issues.push({ path, message });
  const nsNames = new Set<string>();
  s.topology.namespaces.forEach((ns, i) => {
    if (ns.name === NODE || ns.name === MANAGEMENT_NS) add(['topology', 'namespaces', i, 'name'], `"${ns.name}" is reserved (${ns.name === NODE ? 'the root namespace' : "the guest's management namespace"}); expected another name`);
    if (nsNames.has(ns.name)) add(['topology', 'namespaces', i, 'name'], `duplicate namespace "${ns.name}"; expected unique names`);
    nsNames.add(ns.name);
    // One family per namespace: its address, gateway and VIPs are all IPv4 or all IPv6.
    const fam = familyOf(ns.address);
    if (familyOf(ns.gateway) !== fam) add(['topology', 'namespaces', i, 'gateway'], `gateway ${ns.gateway} is IPv${familyOf(ns.gateway)} but address ${ns.address} is IPv${fam}; expected both of one family`);
    ns.vips.forEach((vip, j) => {
      if (familyOf(vip) !== fam) add(['topology', 'namespaces', i, 'vips', j], `VIP ${vip} is IPv${familyOf(vip)} but the namespace is IPv${fam} (address ${ns.address}); expected the namespace's family`);
    });
  });
  const nsFamily = new Map(s.topology.namespaces.map((ns) => [ns.name, familyOf(ns.address)]));
  const places = [NODE, ...nsNames];
  const knownPlace = (v: string) => v === NODE || nsNames.has(v);
  const unknownPlace = (v: string) => unknownName('namespace', v, places);

  const serverNames = new Set<string>();
  s.servers.forEach((srv, i) => {
    if (serverNames.has(srv.name)) add(['servers', i, 'name'], `duplicate server "${srv.name}"; expected unique names`);
    serverNames.add(srv.name);
    if (!knownPlace(srv.in)) add(['servers', i, 'in'], unknownPlace(srv.in));
    const fam = nsFamily.get(srv.in);
    if (srv.address !== undefined && fam !== undefined && familyOf(srv.address) !== fam) add(['servers', i, 'address'], `${srv.address} is IPv${familyOf(srv.address)} but namespace ${srv.in} is IPv${fam}; expected an address of its family`);
  });

  // The node's own addresses: the node's end of each veth. A NodePort service listens on them (kube-proxy
  // creates a virtual service per node address and binds nothing: the address is the node's already).
  const nodeAddresses = new Set(s.topology.namespaces.map((ns) => ns.gateway));
  s.services.forEach((svc, i) => {
    if (!s.topology.vips.includes(svc.vip) && !nodeAddresses.has(svc.vip) && svc.method === 'nat') {
      add(['services', i, 'vip'], `VIP ${svc.vip} is not bound on kube-ipvs0 nor a node address; expected it under topology.vips (${s.topology.vips.join(', ') || 'none declared'}) or, for a NodePort, a namespace's gateway (${[...nodeAddresses].join(', ') || 'none declared'})`);
    }
    if (svc.method !== 'nat' && familyOf(svc.vip) === 6) {
      add(['services', i, 'method'], `${svc.method.toUpperCase()} with an IPv6 VIP is not supported by the harness yet; expected nat for ${svc.vip}`);
    }
    const seen = new Set<string>();
    svc.realServers.forEach((rs, j) => {
      if (familyOf(rs.address) !== familyOf(svc.vip)) add(['services', i, 'realServers', j, 'address'], `real server ${rs.address} is IPv${familyOf(rs.address)} but VIP ${svc.vip} is IPv${familyOf(svc.vip)}; expected the VIP's family (IPVS does not translate between families)`);
      if (svc.method !== 'nat' && familyOf(svc.vip) === 4) {
        const device = svc.method === 'dr' ? 'lo' : 'tunl0';
        const owner = s.topology.namespaces.find((n) => n.address === rs.address);
        if (rs.port !== svc.port) add(['services', i, 'realServers', j, 'port'], `${svc.method.toUpperCase()} cannot change the port (${rs.port} != ${svc.port}); expected the service port ${svc.port}`);
        if (owner && (!owner.vips.includes(svc.vip) || owner.vipDevice !== device)) {
          const k = s.topology.namespaces.indexOf(owner);
          add(['topology', 'namespaces', k], `real server ${rs.address} of a ${svc.method.toUpperCase()} service must own the VIP; expected vips: [${svc.vip}] and vipDevice: ${device} on namespace ${owner.name}`);
        }
      }
      const key = `${rs.address}:${rs.port}`;
      if (seen.has(key)) add(['services', i, 'realServers', j], `duplicate real server ${key}; expected each once`);
      seen.add(key);
    });
  });
  const serviceKeys = new Set(s.services.map((svc) => `${svc.protocol} ${svc.vip}:${svc.port}`));
  if (serviceKeys.size !== s.services.length) add(['services'], 'two services share protocol, VIP and port; expected each once');

  const stepNames = new Set<string>();
  // Real servers removed by earlier steps, and connections held open that no step finished yet.
  const removed = new Set<string>();
  const open = new Map<string, { from: string; index: number }>();
  const finished = new Set<string>();
  s.steps.forEach((step, i) => {
    const p = ['steps', i];
    if (stepNames.has(step.name)) add([...p, 'name'], `duplicate step "${step.name}"; expected unique names`);
    stepNames.add(step.name);
    if (!knownPlace(step.from)) add([...p, 'from'], unknownPlace(step.from));
    // bpftrace reads the runner's markers from write(2): traffic must not look like one.
    for (const [key, payload] of [['connect', step.connect?.payload], ['send', step.send?.payload]] as const) {
      if (payload !== undefined && payload.startsWith(STEP_MARKER_PREFIX)) add([...p, key, 'payload'], `a payload may not start with "${STEP_MARKER_PREFIX}" (the runner's trace markers start so); expected other text`);
    }
    const kinds = STEP_KINDS.filter((k) => step[k] !== undefined);
    if (kinds.length !== 1) add(p, `a step does exactly one thing; expected one of ${STEP_KINDS.join(', ')} (found ${kinds.join(', ') || 'none'})`);
    const ref = step.setWeight ?? step.removeRealServer;
    if (ref) {
      const key = step.setWeight ? 'setWeight' : 'removeRealServer';
      const svc = s.services.find((x) => x.protocol === ref.protocol && `${x.vip.toLowerCase()}:${x.port}` === endpointKey(ref.service));
      const rs = endpointKey(ref.realServer);
      if (!svc) add([...p, key, 'service'], `no ${ref.protocol} service ${ref.service}; expected one of: ${s.services.map((x) => `${x.protocol} ${endpointText(x.vip, x.port)}`).join(', ') || 'none declared'}`);
      else if (!svc.realServers.some((r) => `${r.address.toLowerCase()}:${r.port}` === rs)) add([...p, key, 'realServer'], `${ref.realServer} is not a real server of ${ref.protocol} ${ref.service}; expected one of: ${svc.realServers.map((r) => endpointText(r.address, r.port)).join(', ')}`);
      else if (removed.has(`${ref.protocol} ${endpointKey(ref.service)} ${rs}`)) add([...p, key, 'realServer'], `${ref.realServer} was removed by an earlier step; expected a real server still in ${ref.protocol} ${ref.service}`);
      if (step.removeRealServer) removed.add(`${ref.protocol} ${endpointKey(ref.service)} ${rs}`);
    }
    if (step.connect?.keepOpen) {
      if (step.connect.exchanges < 2) add([...p, 'connect', 'exchanges'], `a connection kept open sends its first exchange now and the others when a finish step closes it; expected exchanges of at least 2 (is ${step.connect.exchanges})`);
      open.set(step.name, { from: step.from, index: i });
    }
    if (step.finish !== undefined) {
      const held = open.get(step.finish);
      if (held === undefined) {
        add([...p, 'finish'], finished.has(step.finish) ? `connection "${step.finish}" was finished by an earlier step; expected each finished once` : unknownName('held connection (a connect step with keepOpen before this one)', step.finish, [...open.keys()]));
      } else {
        if (held.from !== step.from) add([...p, 'from'], `connection "${step.finish}" runs in ${held.from}; expected from: ${held.from}`);
        open.delete(step.finish);
        finished.add(step.finish);
      }
    }
    const e = step.expect;
    if (e.answeredBy !== undefined && !serverNames.has(e.answeredBy)) add([...p, 'expect', 'answeredBy'], unknownName('server', e.answeredBy, [...serverNames]));
    if ((e.outcome !== undefined || e.answeredBy !== undefined) && !step.connect && step.finish === undefined) add([...p, 'expect'], 'outcome and answeredBy judge a connect or finish step; expected them only with connect or finish');
    if (e.delivered !== undefined && !step.send?.observe) add([...p, 'expect', 'delivered'], 'delivered needs send.observe (the namespace that listens); expected both or neither');
    if (step.send?.observe !== undefined && !knownPlace(step.send.observe)) add([...p, 'send', 'observe'], unknownPlace(step.send.observe));
    if (step.send && parseEndpoint(step.send.from) && step.send.protocol !== 'udp') add([...p, 'send', 'protocol'], 'expected udp');
    // A namespace has one family: it can only reach addresses of that family.
    const fromFamily = nsFamily.get(step.from);
    const target = step.connect ? parseEndpoint(step.connect.to) : step.send ? parseEndpoint(step.send.to) : null;
    if (fromFamily !== undefined && target && familyOf(target.address) !== fromFamily) {
      add([...p, step.connect ? 'connect' : 'send', 'to'], `${target.address} is IPv${familyOf(target.address)} but namespace ${step.from} is IPv${fromFamily}; expected an address of its family`);
    }
    const source = step.send ? parseEndpoint(step.send.from) : null;
    if (source && target && familyOf(source.address) !== familyOf(target.address)) add([...p, 'send', 'from'], `${source.address} and ${target.address} are of different families; expected both IPv4 or both IPv6`);
    (e.counters ?? []).forEach((c, j) => {
      if (!knownPlace(c.in)) add([...p, 'expect', 'counters', j, 'in'], unknownPlace(c.in));
      if (c.delta === undefined && c.min === undefined && c.max === undefined) add([...p, 'expect', 'counters', j], 'expected delta, min or max');
    });
  });

  for (const [name, held] of open) add(['steps', held.index, 'connect', 'keepOpen'], `connection "${name}" is kept open but no later step finishes it; expected a step with finish: ${name}`);

  s.graphs.forEach((g, i) => {
    const step = g['step'];
    if (step !== undefined && (typeof step !== 'string' || !stepNames.has(step))) {
      add(['graphs', i, 'step'], unknownName('step', step, [...stepNames]));
    }
  });
  return issues;
}
