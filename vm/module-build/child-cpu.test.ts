import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { childCpuMs, childCpuMsOf } from './child-cpu.ts';

describe('child CPU time', () => {
  it('reads cutime + cstime (fields 16 and 17) even when the command name has spaces and parentheses', () => {
    const line = '4242 (node (x) y) S 1 4242 4242 0 -1 4194304 1000 2000 0 0 150 30 372 128 20 0 11 0 100 1000000 5000 18446744073709551615';
    expect(childCpuMsOf(line)).toBe((372 + 128) * 10);
  });

  it('grows when a child burns CPU', async () => {
    const before = childCpuMs()!;
    await execa('sh', ['-c', 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done']);
    expect(childCpuMs()!).toBeGreaterThan(before);
  });
});
