import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineScenario, parseScenario } from './parse-scenario.ts';
import { RUN_DIR, serverCommands, stepCommand, topologyCommands } from './guest-commands.ts';
import { scenarioProblems } from '../test/scenario-problems.ts';

const seedDir = join(import.meta.dirname, 'seed');
const minimal = `version: 1
name: tiny
summary: one request
topology:
  vips: [10.96.0.10]
  namespaces:
    - { name: rs1, address: 10.244.1.2, gateway: 10.244.1.1 }
servers:
  - { name: rs1, in: rs1, protocol: tcp, port: 80 }
services:
  - { protocol: tcp, vip: 10.96.0.10, port: 80, realServers: [{ address: 10.244.1.2, port: 80 }] }
steps:
  - { name: req, from: node, connect: { protocol: tcp, to: "10.96.0.10:80" }, expect: { outcome: ok } }
`;

const problems = (text: string): string[] => scenarioProblems(text);

describe('parseScenario', () => {
  it.each(readdirSync(seedDir).filter((f) => f.endsWith('.yaml')))('accepts the seed scenario %s', (file) => {
    const s = parseScenario(readFileSync(join(seedDir, file), 'utf8'), file);
    expect(`${s.name}.yaml`).toBe(file);
    expect(s.steps.length).toBeGreaterThan(0);
  });

  it('fills defaults', () => {
    const s = parseScenario(minimal, 'tiny.yaml');
    expect(s.services[0]).toMatchObject({ scheduler: 'rr', method: 'nat' });
    expect(s.services[0]!.realServers[0]!.weight).toBe(1);
    expect(s.steps[0]!.connect).toMatchObject({ payload: 'ping', exchanges: 1, timeout: 3 });
  });

  it('reports every problem at once with file, line and dotted path', () => {
    const bad = minimal
      .replace('port: 80, realServers', 'port: 80, scheduler: rrr, realServers')
      .replace('address: 10.244.1.2, gateway', 'address: 10.244.1.256, gateway')
      .replace('to: "10.96.0.10:80"', 'to: "10.96.0.10:80000"');
    expect(problems(bad)).toEqual([
      'x.yaml:7: topology.namespaces[0].address: not an IP address; expected an IPv4 address such as 10.244.1.2 or an IPv6 address such as fd00:244:1::2 (hex groups, no zone)',
      'x.yaml:11: services[0].scheduler: scheduler "rrr" is not known (did you mean "rr"?); expected one of: rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos',
      'x.yaml:13: steps[0].connect.to: expected address:port such as 10.96.0.10:80 or [fd00:96::10]:80',
    ]);
  });

  it('reads the graph items into typed items, and an invalid one fails the parse whoever calls it', () => {
    const graphs = `graphs:
  - { step: req, order: [remote_request, local_request] }
  - { step: req, role: local_request, path: [ip_vs_conn_new] }
`;
    const s = parseScenario(minimal + graphs, 'tiny.yaml');
    expect(s.graphs.map((g) => [g.kind, g.step, g.role])).toEqual([['order', 'req', 'remote_request -> local_request'], ['path', 'req', 'local_request']]);
    const path = s.graphs[1]!;
    expect(path.kind === 'path' && path.graph.expect[0]!.path[0]).toMatchObject({ kind: 'call', names: ['ip_vs_conn_new'] });
    expect(problems(minimal + graphs.replace('role: local_request', 'role: local_requets'))).toEqual([
      expect.stringMatching(/^x\.yaml:16: graphs\[1\]\.role: .*local_requets/),
    ]);
  });

  it('checks references between sections', () => {
    const bad = minimal.replace('from: node', 'from: pod9').replace('in: rs1, protocol', 'in: rs7, protocol');
    expect(problems(bad)).toEqual([
      'x.yaml:9: servers[0].in: unknown namespace "rs7" (did you mean "rs1"?); known: node, rs1',
      'x.yaml:13: steps[0].from: unknown namespace "pod9" (did you mean "node"?); known: node, rs1',
    ]);
  });

  it.each([
    ['namespace name', 'name: rs1, address', 'name: "rs1;reboot", address'],
    ['server name', 'name: rs1, in', 'name: "$(reboot)", in'],
    ['sysctl key', 'steps:', 'sysctls: { "net.ipv4.vs.conntrack;reboot": 1 }\nsteps:'],
    ['sysctl value', 'steps:', 'sysctls: { net.ipv4.vs.conntrack: "1; reboot" }\nsteps:'],
    ['payload newline', 'to: "10.96.0.10:80" }', 'to: "10.96.0.10:80", payload: "a\\nb" }'],
    ['path traversal in a name', 'name: rs1, in', 'name: ../../etc, in'],
    ['absurd size', 'vips: [10.96.0.10]', `vips: [${Array.from({ length: 100 }, () => '10.96.0.10').join(', ')}]`],
  ])('rejects shell injection and absurd values: %s', (_what, from, to) => {
    expect(problems(minimal.replace(from, to)).length).toBeGreaterThan(0);
  });

  it("a payload may not look like the runner's trace markers (bpftrace reads them from write(2))", () => {
    expect(problems(minimal.replace('to: "10.96.0.10:80" }', 'to: "10.96.0.10:80", payload: "ipvs-harness trace end" }'))).toEqual([
      'x.yaml:13: steps[0].connect.payload: a payload may not start with "ipvs-harness " (the runner\'s trace markers start so); expected other text',
    ]);
    expect(problems(minimal.replace('to: "10.96.0.10:80" }', 'to: "10.96.0.10:80", payload: "hello ipvs-harness " }'))).toEqual([]);
  });

  it('DR and TUN real servers must own the VIP on the right device and keep the port', () => {
    const dr = minimal.replace('port: 80, realServers: [{ address: 10.244.1.2, port: 80 }]', 'port: 80, method: dr, realServers: [{ address: 10.244.1.2, port: 8080 }]');
    expect(problems(dr)).toEqual([
      'x.yaml:7: topology.namespaces[0]: real server 10.244.1.2 of a DR service must own the VIP; expected vips: [10.96.0.10] and vipDevice: lo on namespace rs1',
      'x.yaml:11: services[0].realServers[0].port: DR cannot change the port (8080 != 80); expected the service port 80',
    ]);
    const ok = minimal
      .replace('port: 80, realServers', 'port: 80, method: tun, realServers')
      .replace('gateway: 10.244.1.1 }', 'gateway: 10.244.1.1, vips: [10.96.0.10], vipDevice: tunl0 }');
    expect(problems(ok)).toEqual([]);
    expect(topologyCommands(parseScenario(ok, 't.yaml'))[0]!.script).toContain("nsenter --net=/run/netns/rs1 /bin/busybox sh -c 'set -e\nip link set lo up\nip addr add 10.244.1.2 peer 10.244.1.1/32 dev eth0\nip link set eth0 up\nip route add default via 10.244.1.1 dev eth0\nip link set tunl0 up\nip addr add 10.96.0.10/32 dev tunl0\nsysctl -q -w net.ipv4.conf.all.rp_filter=0\nsysctl -q -w net.ipv4.conf.tunl0.rp_filter=0'");
  });

  it('reports YAML syntax errors with their line', () => {
    expect(problems('version: 1\nname: [unclosed\n')[0]).toMatch(/^x\.yaml:\d+: \(top level\): YAML syntax/);
  });

  it('defineScenario validates TypeScript input the same way', () => {
    expect(() => defineScenario({ version: 1, name: 'x', summary: 's', topology: {}, steps: [] } as never)).toThrow(/steps: expected at least one step/);
  });
});

describe('guest command plans', () => {
  const s = parseScenario(minimal, 'tiny.yaml');

  it('builds the kube-proxy style topology in one iproute2 batch on the node and one busybox shell per namespace', () => {
    const script = topologyCommands(s)[0]!.script;
    expect(script).toBe([
      'set -e', 'mkdir -p /run/ipvsh',
      "/usr/sbin/ip -batch - <<'IPVSH_BATCH'",
      'link add kube-ipvs0 type dummy', 'addr add 10.96.0.10/32 dev kube-ipvs0',
      'netns add rs1', 'link add vh-rs1 type veth peer name eth0 netns rs1', 'addr add 10.244.1.1 peer 10.244.1.2/32 dev vh-rs1', 'link set vh-rs1 up',
      'IPVSH_BATCH',
      // Inside: busybox's ip applets in one shell (IPv6 namespaces keep `ip -n <ns> -batch`, for nodad).
      "nsenter --net=/run/netns/rs1 /bin/busybox sh -c 'set -e",
      'ip link set lo up', 'ip addr add 10.244.1.2 peer 10.244.1.1/32 dev eth0', 'ip link set eth0 up', "ip route add default via 10.244.1.1 dev eth0'",
      // The namespace's anchor (procNetTables reads its tables through /proc/<pid>/net).
      'nsenter --net=/run/netns/rs1 sleep 1000000 </dev/null >/dev/null 2>&1 &',
      'echo $! > /run/ipvsh/ns-rs1.pid',
    ].join('\n'));
  });

  it('quotes free text instead of splicing it', () => {
    const evil = parseScenario(minimal.replace('to: "10.96.0.10:80" }', `to: "10.96.0.10:80", payload: "'; reboot; echo '" }`), 't.yaml');
    expect(stepCommand(evil, evil.steps[0]!).script).toContain(`printf '%s\\n' ''\\''; reboot; echo '\\'''`);
  });

  it('starts servers in their namespace and waits until they listen', () => {
    const script = serverCommands(s)[0]!.script;
    expect(script).toContain('nsenter --net=/run/netns/rs1 setsid socat -t 10 TCP4-LISTEN:80,bind=10.244.1.2,reuseaddr,fork');
    expect(script).toContain("/proc/$srv0/net/tcp");
  });

  // The wait, run by dash with stand-ins: nsenter and setsid exec their command as busybox's do, and
  // socat writes its socket table where the script reads /proc/<pid>/net/tcp, as the kernel would.
  const runServers = (socatBody: string): { status: number | null; stderr: string } => {
    const dir = mkdtempSync(join(tmpdir(), 'ipvsh-servers-'));
    try {
      const stub = (name: string, body: string) => {
        writeFileSync(join(dir, name), `#!/bin/dash\n${body}\n`);
        chmodSync(join(dir, name), 0o755);
      };
      stub('nsenter', 'shift; exec "$@"');
      stub('setsid', 'exec "$@"');
      stub('usleep', 'exit 0');
      stub('socat', socatBody.replaceAll('@PROC@', join(dir, 'proc')));
      const script = serverCommands(s)[0]!.script.replaceAll(RUN_DIR, join(dir, 'run')).replaceAll('/proc/$srv', `${join(dir, 'proc')}/$srv`);
      const r = spawnSync('dash', ['-c', script], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, timeout: 20_000 });
      spawnSync('pkill', ['-f', `${dir}/socat`]);
      return { status: r.status, stderr: r.stderr };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('is ready once the server listens on its port (st 0A in its namespace\'s tcp table)', () => {
    const listens = 'mkdir -p @PROC@/$$/net; sleep 0.2; echo "   0: 0201F40A:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1" > @PROC@/$$/net/tcp; exec sleep 30 >/dev/null 2>&1';
    expect(runServers(listens).status).toBe(0);
  });

  it('fails naming the server, with its log, when it never listens (another port, or it exited)', () => {
    const otherPort = 'mkdir -p @PROC@/$$/net; echo "   0: 0201F40A:0051 00000000:0000 0A 00000000:00000000" > @PROC@/$$/net/tcp; echo "socat: bad address" >&2; exec sleep 30 >/dev/null 2>&1';
    const r = runServers(otherPort);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('server rs1 did not listen on 10.244.1.2:80');
    expect(r.stderr).toContain('socat: bad address');
    expect(runServers('echo "E bind: Address in use" >&2; exit 1').stderr).toContain('server rs1 did not listen');
  });
});

describe('a sysctls step', () => {
  it('writes its sysctls in the namespace it runs from (the node: no prefix)', () => {
    const s = parseScenario(readFileSync(join(seedDir, 'icmp-from-ip_vs_out.yaml'), 'utf8'), 'icmp-from-ip_vs_out.yaml');
    const off = s.steps.find((x) => x.name === 'icmp-off')!;
    expect(stepCommand(s, off).script).toBe('set -e\nsysctl -q -w net.ipv4.vs.nat_icmp_send=0');
    expect(stepCommand(s, { ...off, from: 'rs2', sysctls: { 'net.ipv4.tcp_retries2': 3 } }).script)
      .toBe('set -e\nnsenter --net=/run/netns/rs2 sysctl -q -w net.ipv4.tcp_retries2=3');
  });
});
