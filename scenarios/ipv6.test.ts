// IPv6 in scenarios: addresses and endpoints, one family per namespace and service, the guest
// commands for an IPv6 topology, snmp6 counters (a real /proc/net/snmp6 from the 6.1 guest) and
// ICMPv6 errors in the client's outcome.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSnapshot, parseSnmp, snapshotCommand } from './counters.ts';
import { RUN_DIR, serverCommands, serviceCommands, stepCommand, sysctlCommands, topologyCommands } from './guest-commands.ts';
import { classifyClient } from './outcome.ts';
import { parseScenario } from './parse-scenario.ts';
import { bracketed, familyOf, isIpv6, parseEndpoint } from './values.ts';
import { scenarioProblems } from '../test/scenario-problems.ts';

const seed = readFileSync(join(import.meta.dirname, 'seed', 'pod-to-vip-ipv6.yaml'), 'utf8');
const v6 = parseScenario(seed, 'pod-to-vip-ipv6.yaml');

/** 1-based line of the first line containing `needle` (the seed file's text may grow). */
function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`${needle} not in the text`);
  return i + 1;
}

const problems = (text: string): string[] => scenarioProblems(text);

describe('IPv6 values', () => {
  it.each(['fd00:96::10', '::1', '::', 'fe80::1', '2001:db8:0:0:0:0:0:1', 'FD00:244:1::2', '1::'])('accepts %s', (a) => {
    expect(isIpv6(a)).toBe(true);
    expect(familyOf(a)).toBe(6);
  });

  it.each(['fd00::1::2', 'fd00:12345::1', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '::ffff:10.0.0.1', 'fe80::1%eth0', 'fd00::1;reboot', '$(reboot)::1', ':', 'g::1', ''])('rejects %j', (a) => {
    expect(isIpv6(a)).toBe(false);
  });

  it('endpoints put IPv6 addresses in brackets, as socat and ipvsadm take them', () => {
    expect(parseEndpoint('[fd00:96::10]:80')).toEqual({ address: 'fd00:96::10', port: 80 });
    expect(parseEndpoint('10.96.0.10:80')).toEqual({ address: '10.96.0.10', port: 80 });
    for (const bad of ['fd00:96::10:80', '[fd00:96::10]', '[10.96.0.10]:80', '[fd00::1;id]:80', '[fd00::1]:0']) expect(parseEndpoint(bad)).toBeNull();
    expect(bracketed('fd00::1')).toBe('[fd00::1]');
    expect(bracketed('10.0.0.1')).toBe('10.0.0.1');
  });
});

describe('IPv6 scenarios: validation', () => {
  it('the seed scenario is valid', () => {
    expect(v6.services[0]!.vip).toBe('fd00:96::10');
    expect(v6.steps[0]!.connect!.to).toBe('[fd00:96::10]:80');
  });

  it('one family per namespace, per service and per step, each mistake with its line and path', () => {
    const bad = seed
      .replace('gateway: "fd00:244:1::1"', 'gateway: "10.244.1.1"')
      .replace('- { address: "fd00:244:1::2", port: 80 }', '- { address: "10.244.1.2", port: 80 }')
      .replace('to: "[fd00:96::10]:80"', 'to: "10.96.0.10:80"');
    expect(problems(bad)).toEqual([
      `x.yaml:${lineOf(bad, 'gateway: "10.244.1.1"')}: topology.namespaces[0].gateway: gateway 10.244.1.1 is IPv4 but address fd00:244:1::2 is IPv6; expected both of one family`,
      `x.yaml:${lineOf(bad, 'address: "10.244.1.2"')}: services[0].realServers[0].address: real server 10.244.1.2 is IPv4 but VIP fd00:96::10 is IPv6; expected the VIP's family (IPVS does not translate between families)`,
      `x.yaml:${lineOf(bad, 'to: "10.96.0.10:80"')}: steps[0].connect.to: 10.96.0.10 is IPv4 but namespace pod1 is IPv6; expected an address of its family`,
    ]);
  });

  it('DR and TUN with an IPv6 VIP are refused as not supported yet', () => {
    const dr = seed.replace('port: 80\n    realServers', 'port: 80\n    method: dr\n    realServers');
    expect(problems(dr)).toEqual([
      `x.yaml:${lineOf(dr, 'method: dr')}: services[0].method: DR with an IPv6 VIP is not supported by the harness yet; expected nat for fd00:96::10`,
    ]);
  });

  it('names both families in the message for an address that is neither', () => {
    const bad = seed.replace('vips: [fd00:96::10]', 'vips: ["fd00:96::10%eth0"]');
    expect(problems(bad)).toContain(
      `x.yaml:${lineOf(bad, 'vips: ["fd00')}: topology.vips[0]: not an IP address; expected an IPv4 address such as 10.244.1.2 or an IPv6 address such as fd00:244:1::2 (hex groups, no zone)`,
    );
  });
});

describe('IPv6 scenarios: guest commands', () => {
  it('binds the VIP as a /128 without duplicate address detection and routes each veth end to the other', () => {
    const script = topologyCommands(v6)[0]!.script;
    expect(script).toContain('\naddr add fd00:96::10/128 dev kube-ipvs0 nodad\n');
    expect(script).toContain('\naddr add fd00:244:2::1/128 dev vh-pod1 nodad\nlink set vh-pod1 up\nroute add fd00:244:2::2/128 dev vh-pod1\n');
    // The node's veth end skips DAD on its link-local address before the namespace's end comes up.
    expect(script).toContain("\necho 0 > /proc/sys/net/ipv6/conf/vh-pod1/accept_dad\n");
    expect(script.indexOf('vh-pod1/accept_dad')).toBeLessThan(script.indexOf("ip -n pod1 -batch"));
    expect(script).toContain("ip -n pod1 -batch - <<'IPVSH_BATCH'\nlink set lo up\naddr add fd00:244:2::2/128 dev eth0 nodad\nlink set eth0 up\nroute add fd00:244:2::1/128 dev eth0\nroute add default via fd00:244:2::1 dev eth0\nIPVSH_BATCH");
    expect(script).not.toMatch(/ peer fd00/);
  });

  it('forwards IPv6 on the node, brackets addresses for ipvsadm and uses socat TCP6', () => {
    expect(sysctlCommands(v6)[0]!.script).toContain('sysctl -q -w net.ipv6.conf.all.forwarding=1');
    const ipvs = serviceCommands(v6)[0]!.script;
    expect(ipvs).toContain('ipvsadm -A -t [fd00:96::10]:80 -s rr');
    expect(ipvs).toContain('ipvsadm -a -t [fd00:96::10]:80 -r [fd00:244:1::2]:80 -m -w 1');
    expect(serverCommands(v6)[0]!.script).toContain('TCP6-LISTEN:80,bind=[fd00:244:1::2],reuseaddr,fork');
    expect(stepCommand(v6, v6.steps[0]!).script).toContain('socat -t 3 -T 3.3 - TCP6:[fd00:96::10]:80,connect-timeout=3');
  });

  it('IPv4 scenarios are unchanged: no IPv6 forwarding, TCP4', () => {
    const v4 = parseScenario(readFileSync(join(import.meta.dirname, 'seed', 'pod-to-vip.yaml'), 'utf8'), 'pod-to-vip.yaml');
    expect(sysctlCommands(v4)[0]!.script).not.toContain('ipv6');
    expect(stepCommand(v4, v4.steps[0]!).script).toContain('TCP4:10.96.0.10:80');
  });
});

describe('IPv6 counters and outcomes', () => {
  const snmp6 = readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'proc', 'snmp6.txt'), 'utf8');

  it('reads /proc/net/snmp6 (captured from the 6.1 guest) under names like the IPv4 ones', () => {
    const c = parseSnmp(snmp6);
    expect(c['Icmp6.InDestUnreachs']).toBe(0);
    expect(c['Ip6.OutRequests']).toBe(1);
    expect(c['Icmp6.OutMsgs']).toBe(1);
    expect(Object.keys(c).length).toBeGreaterThan(60);
    expect(parseSnapshot(`== pod1\n${snmp6}`)['pod1']?.['Udp6.InDatagrams']).toBeTypeOf('number');
  });

  // The snapshot run by dash against a stand-in /proc: each namespace's tables (told apart by their
  // Icmp6InDestUnreachs) read through its anchor's /proc/<pid>/net when the anchor is in the
  // namespace (the same inode as /run/netns/<name>), else through nsenter.
  const counters = (opts: { anchors: boolean; snmp6: boolean }): { out: string; nsenter: string } => {
    const dir = mkdtempSync(join(tmpdir(), 'ipvsh-counters-'));
    try {
      const proc = join(dir, 'proc');
      const table = (at: string, n: number) => {
        mkdirSync(join(proc, at, 'net'), { recursive: true });
        writeFileSync(join(proc, at, 'net', 'snmp'), `Icmp: InMsgs InDestUnreachs\nIcmp: ${n} ${n}\n`);
        if (opts.snmp6) writeFileSync(join(proc, at, 'net', 'snmp6'), `Icmp6InDestUnreachs              ${n}\n`);
      };
      table('.', 0);
      mkdirSync(join(dir, 'netns'));
      mkdirSync(join(dir, 'run'));
      ['rs1', 'pod1'].forEach((ns, i) => {
        table(`${100 + i}`, i + 1);
        mkdirSync(join(proc, `${100 + i}`, 'ns'));
        writeFileSync(join(proc, `${100 + i}`, 'ns', 'net'), ns);
        if (opts.anchors) linkSync(join(proc, `${100 + i}`, 'ns', 'net'), join(dir, 'netns', ns));
        else writeFileSync(join(dir, 'netns', ns), ns);
        writeFileSync(join(dir, 'run', `ns-${ns}.pid`), `${100 + i}\n`);
      });
      // nsenter's stand-in logs its namespace, then reads that namespace's stand-in tables.
      writeFileSync(join(dir, 'nsenter'), `#!/bin/dash\nns=\${1##*/}; echo $ns >> ${dir}/entered\nshift 2; [ $ns = rs1 ] && p=100 || p=101\nfor f; do cat "\${f%/net/*}/$p/net/\${f##*/}"; done\n`);
      chmodSync(join(dir, 'nsenter'), 0o755);
      const script = snapshotCommand(v6).script
        .replaceAll(RUN_DIR, join(dir, 'run')).replaceAll('/run/netns/', `${dir}/netns/`).replaceAll('/proc/', `${proc}/`);
      const r = spawnSync('dash', ['-ec', script], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
      expect(r.stderr).toBe('');
      // Through the anchors (no nsenter, whose stand-in ash's own applet would shadow): busybox's ash,
      // which runs it in scenario cells, prints the same.
      if (opts.anchors) expect(spawnSync('busybox', ['sh', '-ec', script], { encoding: 'utf8' }).stdout).toBe(r.stdout);
      return { out: r.stdout, nsenter: existsSync(join(dir, 'entered')) ? readFileSync(join(dir, 'entered'), 'utf8') : '' };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('the snapshot reads snmp and snmp6 of every namespace through its anchor, in one process', () => {
    const { out, nsenter } = counters({ anchors: true, snmp6: true });
    expect(nsenter).toBe('');
    const snap = parseSnapshot(out);
    expect(Object.keys(snap)).toEqual(['node', 'rs1', 'pod1']);
    expect([snap.node!['Icmp6.InDestUnreachs'], snap.rs1!['Icmp6.InDestUnreachs'], snap.pod1!['Icmp6.InDestUnreachs']]).toEqual([0, 1, 2]);
    expect(snap.pod1!['Icmp.InDestUnreachs']).toBe(2);
  });

  it('through nsenter when an anchor is not in its namespace, and without snmp6 when the kernel has none', () => {
    const { out, nsenter } = counters({ anchors: false, snmp6: false });
    expect(nsenter).toBe('rs1\npod1\n');
    const snap = parseSnapshot(out);
    expect([snap.node!['Icmp.InDestUnreachs'], snap.rs1!['Icmp.InDestUnreachs'], snap.pod1!['Icmp.InDestUnreachs']]).toEqual([0, 1, 2]);
    expect(snap.rs1!['Icmp6.InDestUnreachs']).toBeUndefined();
  });

  it('an ICMPv6 port unreachable is type 1 code 4', () => {
    const run = { exitCode: 1, stdout: '', stderr: '2026/11/25 15:46:19 socat[148] E read(5, 0x55, 8192): Connection refused', timedOut: false };
    expect(classifyClient(run, 1, 6)).toMatchObject({ outcome: 'icmp-unreachable', icmp: { type: 1, code: 4 } });
    expect(classifyClient(run, 1, 4)).toMatchObject({ outcome: 'icmp-unreachable', icmp: { type: 3, code: 3 } });
    expect(classifyClient(run, 0, 6)).toMatchObject({ outcome: 'refused' });
  });
});
