// Core functions selected by their line in available_filter_functions: the listing captured from a
// 6.1 guest (ip_vs and ip_vs_rr loaded) gives the lines, and the plan writes numbers, not names.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from './parse-scenario.ts';
import { parseTraceable } from './guest-state.ts';
import { planTracing } from './trace-plan.ts';

const listing = readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'proc', 'traceable-6.1.txt'), 'utf8');
const seed = (name: string) => parseScenario(readFileSync(join(import.meta.dirname, 'seed', `${name}.yaml`), 'utf8'), `${name}.yaml`);

describe('the traceable listing', () => {
  const t = parseTraceable(listing);

  it('names every function and gives the lines of the core ones only', () => {
    expect(t.names.size).toBe(169);
    expect(t.names.has('ip_vs_in_hook')).toBe(true);
    expect(Object.fromEntries(t.coreLines)).toEqual({
      nf_hook_slow: [31210], ip_output: [31399], __ip_local_out: [31401], __icmp_send: [32066], icmp6_send: [33455],
    });
  });

  it('still reads a listing of bare names (no line numbers)', () => {
    const old = parseTraceable('ip_vs_in_hook\nnf_hook_slow\n');
    expect([...old.names]).toEqual(['ip_vs_in_hook', 'nf_hook_slow']);
    expect(old.coreLines.size).toBe(0);
  });
});

describe('a trace plan with the core lines', () => {
  const t = parseTraceable(listing);

  it('selects the core functions by number in one write and the modules by name', () => {
    const plan = planTracing(seed('pod-to-vip'), t.names, ['ip_vs', 'ip_vs_rr'], { coreLines: t.coreLines });
    expect(plan.filters).toEqual([':mod:ip_vs*']);
    expect(plan.coreByLine).toEqual(['__icmp_send', 'icmp6_send', 'nf_hook_slow', '__ip_local_out', 'ip_output']);
    expect(plan.start.script).toContain("printf '%s\\n' 31210 31399 31401 32066 33455 >> set_ftrace_filter");
    expect(plan.start.script).not.toMatch(/echo '(nf_hook_slow|__icmp_send)'/);
  });

  it('writes a core function by name when its line is not known (icmp_send is not in this kernel\'s list)', () => {
    const plan = planTracing(seed('pod-to-vip'), new Set([...t.names, 'icmp_send']), ['ip_vs'], { coreLines: t.coreLines });
    expect(plan.filters).toEqual([':mod:ip_vs', 'icmp_send']);
  });

  it('without the lines, writes names as before', () => {
    const plan = planTracing(seed('pod-to-vip'), t.names, ['ip_vs']);
    expect(plan.filters).toEqual([':mod:ip_vs', '__icmp_send', 'icmp6_send', 'nf_hook_slow', '__ip_local_out', 'ip_output']);
    expect(plan.start.script).not.toContain('printf');
  });
});

// The start's check that set_graph_function holds exactly the roots, run by dash as in the guest
// against what the file lists (`name [module]` per line; a whole-kernel default when it is empty).
describe("the start's check of set_graph_function", () => {
  const t = parseTraceable(listing);
  const plan = planTracing(seed('pod-to-vip'), t.names, ['ip_vs']);
  const lines = plan.start.script.split('\n');
  const from = lines.findIndex((l) => l.startsWith('set -f; n=0; seen='));
  const check = lines.slice(from, from + 2).join('\n');
  const run = (graph: string): { status: number | null; stderr: string } => {
    const dir = mkdtempSync(join(tmpdir(), 'ipvsh-graph-check-'));
    try {
      writeFileSync(join(dir, 'set_graph_function'), graph);
      const r = spawnSync('dash', ['-ec', `cd ${dir}\n${check}`], { encoding: 'utf8' });
      // busybox's ash runs it in scenario cells: the same answer.
      const ash = spawnSync('busybox', ['sh', '-ec', `cd ${dir}\n${check}`], { encoding: 'utf8' });
      expect([ash.status, ash.stderr]).toEqual([r.status, r.stderr]);
      return { status: r.status, stderr: r.stderr };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('passes on exactly the roots, in any order, with module tags', () => {
    expect(from).toBeGreaterThan(0);
    expect(plan.roots.length).toBeGreaterThan(1);
    expect(run([...plan.roots].reverse().map((r) => `${r} [ip_vs]\n`).join('')).status).toBe(0);
  });

  it('fails naming what it found: one more, one less, none (the kernel then graphs every function)', () => {
    const more = run([...plan.roots, 'ip_vs_in_icmp'].map((r) => `${r} [ip_vs]\n`).join(''));
    expect(more.status).toBe(1);
    expect(more.stderr).toContain('ip_vs_in_icmp; expected: ');
    expect(run(plan.roots.slice(1).map((r) => `${r} [ip_vs]\n`).join('')).status).toBe(1);
    const none = run('#### all functions enabled ####\n');
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('set_graph_function holds: #### all functions enabled ####;');
  });
});
