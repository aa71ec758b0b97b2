// The graph roots as few patterns, on the traceable ip_vs functions captured from real guests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTraceable } from './guest-state.ts';
import { globMatches, rootPatterns } from './root-globs.ts';
import { HOOK_FUNCTIONS } from './trace-plan.ts';

const fixtures = join(import.meta.dirname, '..', 'test', 'fixtures', 'proc');
const names = (file: string) => parseTraceable(readFileSync(join(fixtures, file), 'utf8')).names;

describe('graph roots as patterns', () => {
  it('matches like ftrace: whole names, * and character classes', () => {
    expect(globMatches('ip_vs_*_hook', 'ip_vs_in_hook')).toBe(true);
    expect(globMatches('ip_vs_*_hook', 'ip_vs_in_hook.isra.0')).toBe(false);
    expect(globMatches('ip_vs_reply[46]', 'ip_vs_reply6')).toBe(true);
    expect(globMatches('ip_vs_reply[46]', 'ip_vs_reply5')).toBe(false);
    expect(globMatches('ip_vs.x', 'ip_vsax')).toBe(false);
  });

  for (const file of ['traceable-5.10.txt', 'traceable-6.1.txt']) {
    it(`${file}: the patterns select exactly the roots, with fewer writes`, () => {
      const universe = names(file);
      const roots = HOOK_FUNCTIONS.filter((f) => universe.has(f));
      const patterns = rootPatterns(roots, universe);
      const selected = [...universe].filter((n) => patterns.some((p) => globMatches(p, n))).sort();
      expect(selected).toEqual([...roots].sort());
      expect(patterns.length).toBeLessThan(roots.length);
    });
  }

  it("5.10's ten wrappers in one pattern, by their first and last characters", () => {
    const universe = names('traceable-5.10.txt');
    const roots = HOOK_FUNCTIONS.filter((f) => universe.has(f));
    expect(roots).toHaveLength(10);
    expect(rootPatterns(roots, universe)).toEqual(['ip_vs_[flr]*[46p]']);
  });

  it("6.1's hooks and ICMP forwarder in one pattern: only the roots share its first five characters", () => {
    const universe = names('traceable-6.1.txt');
    const roots = HOOK_FUNCTIONS.filter((f) => universe.has(f));
    expect(rootPatterns(roots, universe)).toEqual(['ip_vs_[fio][nou][_rt][_hw][aho]*']);
    // One character fewer and the pattern catches ip_vs_out_icmp, whose fourth character is also `_`.
    expect(universe.has('ip_vs_out_icmp') || universe.has('ip_vs_in_icmp')).toBe(true);
    expect(globMatches('ip_vs_[fio][nou][_rt][_hw]*', 'ip_vs_out_icmp') || globMatches('ip_vs_[fio][nou][_rt][_hw]*', 'ip_vs_in_icmp')).toBe(true);
  });

  it('keeps a root by name when every pattern would catch another function', () => {
    const universe = new Set(['ip_vs_in_hook', 'ip_vs_out_hook', 'ip_vs_on_hook', 'ip_vs_forward_icmp', 'ip_vs_forward_icmp_x']);
    const patterns = rootPatterns(['ip_vs_in_hook', 'ip_vs_out_hook', 'ip_vs_forward_icmp'], universe);
    expect(patterns).toEqual(['ip_vs_in_hook', 'ip_vs_out_hook', 'ip_vs_forward_icmp']);
  });
});
