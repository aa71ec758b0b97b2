// The flow probes in the trace plan: with the kernel's layout (from its BTF) every hook function gets
// a probe carrying skb, netns and the packet bytes; without it only the >= 5.16 hooks get the old
// hook/family probe.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../analysis/btf.ts';
import { flowLayoutOf } from '../analysis/flow-layout.ts';
import { pastFtraceEntry, sectionFunctionOffsets } from '../analysis/elf-symbols.ts';
import { loadScenarioFile, SEED_DIR } from '../harness/scenario-loader.ts';
import { KPROBES_BY_NAME, KPROBES_KEPT, keptProbesCheck, planTracing, resetTracingScript, type ModuleText } from './trace-plan.ts';

const layout = (release: string) => flowLayoutOf(parseBtf(Buffer.from(readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'btf', `${release}.btf.b64`), 'utf8'), 'base64')));
const podToVip = loadScenarioFile(join(SEED_DIR, 'pod-to-vip.yaml')).scenario;
const WRAPPERS_510 = new Set(['ip_vs_reply4', 'ip_vs_remote_request4', 'ip_vs_local_reply4', 'ip_vs_local_request4', 'ip_vs_forward_icmp', 'ip_vs_reply6', 'ip_vs_remote_request6', 'ip_vs_local_reply6', 'ip_vs_local_request6', 'ip_vs_forward_icmp_v6']);

describe('flow probes in the trace plan', () => {
  it('5.10 with its layout: one probe per wrapper, a 32-bit hook number', () => {
    const plan = planTracing(podToVip, WRAPPERS_510, ['ip_vs'], { layout: layout('5.10.0-46-cloud-amd64') });
    expect(plan.flowIdentity).toBe(true);
    expect(plan.kprobes.map((k) => k.event)).toEqual([
      'remote_request4', 'local_request4', 'reply4', 'local_reply4', 'remote_request6', 'local_request6', 'reply6', 'local_reply6', 'fwd_icmp', 'fwd_icmp6',
    ]);
    expect(plan.start.script).toContain("echo 'p:ipvsh/reply4 ip_vs_reply4 hook=+0(%dx):u32 pf=+4(%dx):u8 skb=%si:x64 netns=+144(+32(%dx)):u32 pkt=+0(+200(%si)):u8[64]' >> kprobe_events");
  });

  it('7.3 with its layout: ip_vs_in_hook, ip_vs_out_hook, ip_vs_forward_icmp; net.ns.inum moved to 280', () => {
    const plan = planTracing(podToVip, new Set(['ip_vs_in_hook', 'ip_vs_out_hook', 'ip_vs_forward_icmp']), ['ip_vs'], { layout: layout('7.3.4+deb13-cloud-amd64') });
    expect(plan.kprobes.map((k) => k.fn)).toEqual(['ip_vs_in_hook', 'ip_vs_out_hook', 'ip_vs_forward_icmp']);
    expect(plan.start.script).toContain('netns=+280(+32(%dx)):u32 pkt=+0(+208(%si)):u8[64]');
  });

  it('without a layout: 5.10 gets no probe, >= 5.16 the hook/family probe', () => {
    expect(planTracing(podToVip, WRAPPERS_510, ['ip_vs']).kprobes).toEqual([]);
    const plan = planTracing(podToVip, new Set(['ip_vs_in_hook', 'ip_vs_out_hook']), ['ip_vs']);
    expect(plan.flowIdentity).toBe(false);
    expect(plan.start.script).toContain("echo 'p:ipvsh/in_hook ip_vs_in_hook hook=+0(%dx):u8 pf=+1(%dx):u8' >> kprobe_events");
  });
});

// The probes by address (5.10): the planned shell lines run by dash, as in the guest, with the two
// kernel files they read replaced by a capture of debian:5.10 (its ip_vs .text base and kprobes/list).
describe('flow probes placed by address', () => {
  const FIXTURES = join(import.meta.dirname, '..', 'test', 'fixtures');
  const ko = gunzipSync(Buffer.from(readFileSync(join(FIXTURES, 'elf', '5.10.0-46-cloud-amd64-ip_vs.ko.gz.b64'), 'utf8'), 'base64'));
  const capture = readFileSync(join(FIXTURES, 'kprobes', '5.10-ip_vs-hooks.txt'), 'utf8').split('\n');
  const base = capture.find((l) => l.startsWith('.text '))!.split(' ')[1]!;
  const listed = capture.filter((l) => /^[0-9a-f]{16}\s+k\s/.test(l));
  const moduleText = { module: 'ip_vs', offsets: sectionFunctionOffsets(ko) };

  /** Runs the kprobe lines of the start script in a folder standing for tracefs; returns what kprobe_events got and what was printed. */
  const runProbeLines = (script: string, files: { text: string | null; list: string | null }): { events: string[]; out: string } => {
    const dir = mkdtempSync(join(tmpdir(), 'ipvsh-kprobes-'));
    try {
      const lines = script.split('\n');
      const from = lines.findIndex((l) => l.startsWith('b=$(cat /sys/module/'));
      const to = lines.indexOf('fi', from);
      expect(from).toBeGreaterThan(0);
      if (files.text !== null) writeFileSync(join(dir, 'text'), `${files.text}\n`);
      if (files.list !== null) writeFileSync(join(dir, 'list'), files.list);
      const fragment = lines.slice(from, to + 1).join('\n')
        .replaceAll('/sys/module/ip_vs/sections/.text', join(dir, 'text'))
        .replaceAll('/sys/kernel/debug/kprobes/list', join(dir, 'list'));
      // Both shells the start may run in: dash, and busybox's ash (scenario cells: GuestCell.scriptShell).
      const out = execFileSync('dash', ['-ec', `cd ${dir}\n${fragment}`], { encoding: 'utf8' });
      const events = readFileSync(join(dir, 'kprobe_events'), 'utf8');
      rmSync(join(dir, 'kprobe_events'));
      expect(execFileSync('busybox', ['sh', '-ec', `cd ${dir}\n${fragment}`], { encoding: 'utf8' })).toBe(out);
      expect(readFileSync(join(dir, 'kprobe_events'), 'utf8')).toBe(events);
      return { events: readFileSync(join(dir, 'kprobe_events'), 'utf8').split('\n').filter(Boolean), out };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it("5.10: each probe at ip_vs's .text base + the function's offset: the address the kernel gave it", () => {
    const plan = planTracing(podToVip, WRAPPERS_510, ['ip_vs'], { layout: layout('5.10.0-46-cloud-amd64'), moduleText });
    const { events, out } = runProbeLines(plan.start.script, { text: base, list: listed.join('\n') });
    expect(out).toBe('');
    expect(events).toHaveLength(10);
    const fetchArgs = 'hook=+0(%dx):u32 pf=+4(%dx):u8 skb=%si:x64 netns=+144(+32(%dx)):u32 pkt=+0(+200(%si)):u8[64]';
    const placed = new Map(listed.map((l) => l.split(/\s+/)).map(([addr, , at]) => [at!.replace(/\+0x0$/, ''), addr!]));
    expect(events.sort()).toEqual(plan.kprobes.map((k) => `p:ipvsh/${k.event} 0x${placed.get(k.fn)} ${fetchArgs}`).sort());
  });

  it('5.10: past the ftrace call when the module file shows one (+5): the addresses the kernel gave probes at +5 by name', () => {
    const capture5 = readFileSync(join(FIXTURES, 'kprobes', '5.10-ip_vs-hooks-past-entry.txt'), 'utf8').split('\n');
    const base5 = capture5.find((l) => l.startsWith('.text '))!.split(' ')[1]!;
    const listed5 = capture5.filter((l) => /^[0-9a-f]{16}\s+k\s/.test(l));
    expect(listed5).toHaveLength(10);
    const withPast = { ...moduleText, pastEntry: pastFtraceEntry(ko, moduleText.offsets) };
    const plan = planTracing(podToVip, WRAPPERS_510, ['ip_vs'], { layout: layout('5.10.0-46-cloud-amd64'), moduleText: withPast });
    const { events, out } = runProbeLines(plan.start.script, { text: base5, list: listed5.join('\n') });
    expect(out).toBe('');
    const placed = new Map(listed5.map((l) => l.split(/\s+/)).map(([addr, , at]) => [at!.replace(/\+0x5$/, ''), addr!]));
    expect(placed.size).toBe(10);
    expect(events.map((e) => e.split(' ').slice(0, 2).join(' ')).sort()).toEqual(plan.kprobes.map((k) => `p:ipvsh/${k.event} 0x${placed.get(k.fn)}`).sort());
    // The capture at +0 (probes on the ftrace call) is not where these were asked to land: by name.
    expect(runProbeLines(plan.start.script, { text: base, list: listed.join('\n') }).out).toContain(KPROBES_BY_NAME);
  });

  it('by name, saying why, when the probes did not land on their functions, or the base or kprobes/list is not readable', () => {
    const plan = planTracing(podToVip, WRAPPERS_510, ['ip_vs'], { layout: layout('5.10.0-46-cloud-amd64'), moduleText });
    const missed = runProbeLines(plan.start.script, { text: base, list: listed.slice(1).join('\n') });
    expect(missed.out).toContain(`${KPROBES_BY_NAME} at ip_vs.ko's offsets from the .text base ${base} they did not land on their functions`);
    expect(missed.events).toHaveLength(10);
    expect(missed.events.every((e) => / ip_vs_\w+ hook=/.test(e))).toBe(true);
    const unreadable = runProbeLines(plan.start.script, { text: null, list: listed.join('\n') });
    expect(unreadable.out).toContain(`${KPROBES_BY_NAME} the base of ip_vs's .text is not readable`);
    expect(unreadable.events.every((e) => / ip_vs_\w+ hook=/.test(e))).toBe(true);
    const unchecked = runProbeLines(plan.start.script, { text: base, list: null });
    // (the test's stand-in for /sys/kernel/debug/kprobes/list is named `list`)
    expect(unchecked.out).toMatch(new RegExp(`^${KPROBES_BY_NAME} \\S+/list is not readable, to check where they landed$`, 'm'));
    expect(unchecked.events.every((e) => / ip_vs_\w+ hook=/.test(e))).toBe(true);
  });

  it('by name when an offset is unknown (a function the module file does not define in .text)', () => {
    const partial = { module: 'ip_vs', offsets: new Map([...moduleText.offsets].filter(([n]) => n !== 'ip_vs_reply6')) };
    const plan = planTracing(podToVip, WRAPPERS_510, ['ip_vs'], { layout: layout('5.10.0-46-cloud-amd64'), moduleText: partial });
    expect(plan.start.script).not.toContain('/sys/module/ip_vs/sections/.text');
    expect(plan.start.script).toContain("echo 'p:ipvsh/reply6 ip_vs_reply6 ");
  });
});

// Probes named `ip_vs:<hook>+<offset>` (>= 6.1): created once per guest and kept from cell to cell.
// The planned lines run by dash and busybox's ash in a folder standing for tracefs.
describe('flow probes kept between cells', () => {
  const HOOKS_73 = new Set(['ip_vs_in_hook', 'ip_vs_out_hook', 'ip_vs_forward_icmp']);
  // 7.3's ip_vs.ko: each hook begins endbr64 + the ftrace call (analysis/elf-symbols.ts pastFtraceEntry).
  const text = (placement: 'symbol' | 'address'): ModuleText => ({
    module: 'ip_vs', placement,
    offsets: new Map([['ip_vs_in_hook', 28000], ['ip_vs_out_hook', 37136], ['ip_vs_forward_icmp', 27280]]),
    pastEntry: new Map([['ip_vs_in_hook', 9], ['ip_vs_out_hook', 9], ['ip_vs_forward_icmp', 9]]),
  });
  const plan73 = (opts: { placement?: 'symbol' | 'address'; withLayout?: boolean } = {}) =>
    planTracing(podToVip, HOOKS_73, ['ip_vs'], { ...(opts.withLayout === false ? {} : { layout: layout('7.3.4+deb13-cloud-amd64') }), moduleText: text(opts.placement ?? 'symbol') });

  /** Runs the probe lines (from the first line after the graph options to the enable) in `dir`, by both shells; returns what each printed. */
  const runProbeLines = (script: string, dir: string, opts: { errexit?: boolean } = {}): string => {
    const lines = script.split('\n');
    const from = lines.findIndex((l) => l.startsWith('echo 0 > options/funcgraph-irqs')) + 1;
    const to = lines.findIndex((l) => l.startsWith('echo 1 > events/ipvsh/enable'));
    expect(from).toBeGreaterThan(0);
    expect(to).toBeGreaterThan(from);
    const fragment = lines.slice(from, to + 1).join('\n').replaceAll(KPROBES_KEPT, join(dir, 'kept'));
    const outs = ['dash', 'busybox'].map((shell) => {
      const state = readState(dir);
      const out = execFileSync(shell, [...(shell === 'busybox' ? ['sh'] : []), opts.errexit === false ? '-c' : '-ec', `cd ${dir}\n${fragment}`], { encoding: 'utf8' });
      const after = readState(dir);
      writeState(dir, state);
      return { out, after };
    });
    expect(outs[1]).toEqual(outs[0]);
    writeState(dir, outs[0]!.after);
    return outs[0]!.out;
  };
  const readState = (dir: string): Record<string, string | null> => Object.fromEntries(['kprobe_events', 'kept', 'events/ipvsh/enable'].map((f) => [f, existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : null]));
  const writeState = (dir: string, state: Record<string, string | null>): void => {
    for (const [f, text] of Object.entries(state)) {
      if (text === null) rmSync(join(dir, f), { force: true });
      else writeFileSync(join(dir, f), text);
    }
  };
  /** The reset's tracing lines about the probes, by busybox's ash (as the harness runs the reset), then the same again by dash. */
  const runReset = (dir: string): void => {
    const lines = resetTracingScript().replaceAll(KPROBES_KEPT, join(dir, 'kept')).split('\n').filter((l) => /kprobe|ipvsh/.test(l)).join('\n');
    const state = readState(dir);
    execFileSync('busybox', ['sh', '-c', `cd ${dir}\n${lines}`]);
    const after = readState(dir);
    writeState(dir, state);
    execFileSync('dash', ['-c', `cd ${dir}\n${lines}`]);
    expect(readState(dir)).toEqual(after);
  };
  /** Runs `fn` in a folder standing for tracefs, with the events folder the kernel makes for the group; removes it after. */
  const inTracefs = (fn: (dir: string) => void): void => {
    const dir = mkdtempSync(join(tmpdir(), 'ipvsh-kept-'));
    try {
      mkdirSync(join(dir, 'events', 'ipvsh'), { recursive: true });
      fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('the first cell defines them as ip_vs:<hook>+9 and says so; the next cell with the same definitions only enables them', () => {
    inTracefs((dir) => {
      const plan = plan73();
      expect(runProbeLines(plan.start.script, dir)).toBe('');
      const defined = readFileSync(join(dir, 'kprobe_events'), 'utf8').split('\n').filter(Boolean);
      expect(defined.map((d) => d.split(' ').slice(0, 2).join(' '))).toEqual([
        'p:ipvsh/in_hook ip_vs:ip_vs_in_hook+9', 'p:ipvsh/out_hook ip_vs:ip_vs_out_hook+9', 'p:ipvsh/fwd_icmp ip_vs:ip_vs_forward_icmp+9',
      ]);
      expect(defined[0]).toContain(' netns=+280(+32(%dx)):u32 pkt=+0(+208(%si)):u8[64]');
      expect(readFileSync(join(dir, 'kept'), 'utf8')).toMatch(/^kept [0-9a-f]{16}\n$/);
      expect(readFileSync(join(dir, 'events/ipvsh/enable'), 'utf8')).toBe('1\n');
      // The reset disables them and keeps the definitions.
      runReset(dir);
      expect(readFileSync(join(dir, 'events/ipvsh/enable'), 'utf8')).toBe('0\n');
      expect(readFileSync(join(dir, 'kprobe_events'), 'utf8').split('\n').filter(Boolean)).toEqual(defined);
      // Next cell: nothing written to kprobe_events (a marker written in its place stays).
      writeFileSync(join(dir, 'kprobe_events'), 'as the kernel keeps them\n');
      expect(runProbeLines(plan73().start.script, dir)).toBe('');
      expect(readFileSync(join(dir, 'kprobe_events'), 'utf8')).toBe('as the kernel keeps them\n');
      expect(readFileSync(join(dir, 'events/ipvsh/enable'), 'utf8')).toBe('1\n');
    });
  });

  it('other definitions, or no events folder (the kernel lost them), are made again', () => {
    inTracefs((dir) => {
      runProbeLines(plan73().start.script, dir);
      const key = readFileSync(join(dir, 'kept'), 'utf8');
      writeFileSync(join(dir, 'kprobe_events'), 'stale\n');
      runProbeLines(plan73({ withLayout: false }).start.script, dir);
      expect(readFileSync(join(dir, 'kprobe_events'), 'utf8')).toContain('p:ipvsh/in_hook ip_vs:ip_vs_in_hook+9 hook=+0(%dx):u8 pf=+1(%dx):u8\n');
      expect(readFileSync(join(dir, 'kept'), 'utf8')).not.toBe(key);
      // Same definitions, but the group's events folder is gone: made again (the lines up to the enable).
      writeFileSync(join(dir, 'kprobe_events'), 'stale\n');
      rmSync(join(dir, 'events', 'ipvsh'), { recursive: true });
      const lines = plan73({ withLayout: false }).start.script.split('\n');
      const from = lines.findIndex((l) => l.startsWith('read -r kept '));
      const to = lines.findIndex((l, i) => i > from && l === 'fi');
      execFileSync('dash', ['-ec', `cd ${dir}\n${lines.slice(from, to + 1).join('\n').replaceAll(KPROBES_KEPT, join(dir, 'kept'))}`]);
      expect(readFileSync(join(dir, 'kprobe_events'), 'utf8')).toContain('p:ipvsh/in_hook ip_vs:ip_vs_in_hook+9 ');
      expect(readFileSync(join(dir, 'kprobe_events'), 'utf8')).not.toContain('stale');
    });
  });

  it('the reset forgets the key when a kept probe did not come back with ip_vs ([GONE] in kprobes/list)', () => {
    inTracefs((dir) => {
      const check = keptProbesCheck().replaceAll(KPROBES_KEPT, join(dir, 'kept')).replaceAll('/sys/kernel/debug/kprobes/list', join(dir, 'list'));
      const lines = readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'kprobes', '5.10-ip_vs-hooks-past-entry.txt'), 'utf8').split('\n').filter((l) => /^[0-9a-f]{16}\s+k\s/.test(l));
      for (const shell of [['dash'], ['busybox', 'sh']]) {
        writeFileSync(join(dir, 'kept'), 'kept 0123456789abcdef\n');
        writeFileSync(join(dir, 'list'), `${lines.join('\n')}\n`);
        execFileSync(shell[0]!, [...shell.slice(1), '-ec', check]);
        expect(existsSync(join(dir, 'kept'))).toBe(true);
        writeFileSync(join(dir, 'list'), `${[...lines.slice(1), `${lines[0]!.split(/\s+/)[0]}  k  0x${lines[0]!.split(/\s+/)[0]} [GONE]`].join('\n')}\n`);
        execFileSync(shell[0]!, [...shell.slice(1), '-ec', check]);
        expect(existsSync(join(dir, 'kept'))).toBe(false);
      }
      // No key: nothing to check, and no error.
      execFileSync('dash', ['-ec', check]);
    });
  });

  it('the start switches nop -> function_graph with tracing off, which clears the buffer: no `: > trace` after it', () => {
    const lines = plan73().start.script.split('\n');
    const at = (l: string): number => lines.indexOf(l);
    expect(at('echo 0 > tracing_on')).toBeGreaterThan(-1);
    expect(at('echo 0 > tracing_on')).toBeLessThan(at('echo nop > current_tracer'));
    expect(at('echo nop > current_tracer')).toBeLessThan(at('echo function_graph > current_tracer'));
    expect(at('echo function_graph > current_tracer') + 1).toBe(at('echo 1 > tracing_on'));
    expect(lines).not.toContain(': > trace');
  });

  it('definitions the kernel refuses: by name, saying so, and nothing kept', () => {
    inTracefs((dir) => {
      symlinkSync('/dev/full', join(dir, 'kprobe_events'));
      const plan = plan73();
      const lines = plan.start.script.split('\n');
      const from = lines.findIndex((l) => l.startsWith('read -r kept '));
      const to = lines.findIndex((l, i) => i > from && l === 'fi');
      const fragment = lines.slice(from, to + 1).join('\n').replaceAll(KPROBES_KEPT, join(dir, 'kept'));
      // /dev/full refuses every write: the fallback by name fails as well, and the shell goes on (no -e here).
      for (const shell of [['dash'], ['busybox', 'sh']]) {
        const out = execFileSync(shell[0]!, [...shell.slice(1), '-c', `cd ${dir}\n${fragment}\ntrue`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
        expect(out).toContain(`${KPROBES_BY_NAME} the kernel refused them past the ftrace call (ip_vs_in_hook+9, ip_vs_out_hook+9, ip_vs_forward_icmp+9)`);
      }
      expect(existsSync(join(dir, 'kept'))).toBe(false);
      expect(fragment).toContain("    echo 'p:ipvsh/in_hook ip_vs_in_hook ");
    });
  });

  it('a start that places its probes otherwise first drops kept ones; the reset drops probes that are not kept', () => {
    inTracefs((dir) => {
      runProbeLines(plan73().start.script, dir);
      expect(existsSync(join(dir, 'kept'))).toBe(true);
      // By address (a kernel before 6.1 never follows a kept cell in one guest, but the lines must not care),
      // by name for want of the entry bytes, and by name for want of the module file: each drops the kept ones.
      const noPast: ModuleText = { ...text('symbol'), pastEntry: new Map() };
      const others = [
        plan73({ placement: 'address' }),
        planTracing(podToVip, HOOKS_73, ['ip_vs'], { layout: layout('7.3.4+deb13-cloud-amd64'), moduleText: noPast }),
        planTracing(podToVip, HOOKS_73, ['ip_vs'], { layout: layout('7.3.4+deb13-cloud-amd64') }),
      ];
      for (const other of others) {
        runProbeLines(plan73().start.script, dir);
        expect(existsSync(join(dir, 'kept'))).toBe(true);
        const lines = other.start.script.split('\n');
        const from = lines.findIndex((l) => l.startsWith('if [ -e '));
        expect(lines[from]).toContain(join('/run', 'ipvsh-kprobes'));
        // The drop, and the definitions by name (the address path's fallback, run here as the kernel would after a refusal).
        const named = lines.filter((l) => /^ *echo 'p:ipvsh\/\w+ ip_vs_\w+ /.test(l)).map((l) => l.trim());
        execFileSync('dash', ['-ec', `cd ${dir}\n${[lines[from]!, ...named].join('\n').replaceAll(KPROBES_KEPT, join(dir, 'kept'))}`]);
        expect(existsSync(join(dir, 'kept'))).toBe(false);
        expect(readFileSync(join(dir, 'kprobe_events'), 'utf8').split('\n').filter(Boolean).map((d) => d.split(' ')[1])).toEqual(['ip_vs_in_hook', 'ip_vs_out_hook', 'ip_vs_forward_icmp']);
      }
      // A plan without probes (5.10's wrappers, no layout) drops them too.
      const none = planTracing(podToVip, new Set(['ip_vs_remote_request4']), ['ip_vs']);
      expect(none.kprobes).toEqual([]);
      expect(none.start.script).toContain(`if [ -e ${KPROBES_KEPT} ]; then`);
      runReset(dir);
      expect(readFileSync(join(dir, 'kprobe_events'), 'utf8')).toBe('');
    });
  });
});
