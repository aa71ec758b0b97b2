import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cellKey, expandMatrix, parseShard, planWorkUnits, shardCells, type MatrixCell } from './matrix.ts';

const kernels = ['debian:5.10', 'debian:6.1', 'debian:6.12'];
const scenarios = ['established-flow', 'host-to-vip', 'icmp-from-ip_vs_out', 'local-real-server', 'no-destination', 'pod-to-vip-udp', 'pod-to-vip'];
const all = expandMatrix(kernels, scenarios);

describe('matrix', () => {
  it('expands kernel-major', () => {
    expect(all).toHaveLength(21);
    expect(all[0]).toEqual({ kernel: 'debian:5.10', scenario: 'established-flow' });
    expect(all[7]).toEqual({ kernel: 'debian:6.1', scenario: 'established-flow' });
  });

  it('keeps one guest per kernel when there are no more jobs than kernels', () => {
    expect(planWorkUnits(all, 1).map((u) => u.kernel)).toEqual(kernels);
    expect(planWorkUnits(all, 3).map((u) => u.scenarios.length)).toEqual([7, 7, 7]);
  });

  it('splits a kernel over several guests only when jobs exceed kernels', () => {
    const units = planWorkUnits(expandMatrix(['debian:6.1'], scenarios), 2);
    expect(units.map((u) => u.scenarios.length)).toEqual([3, 4]);
    expect(units.flatMap((u) => u.scenarios)).toEqual(scenarios);
  });

  it('parses --shard', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(parseShard('0/4')).toBeNull();
    expect(parseShard('5/4')).toBeNull();
    expect(parseShard('a/b')).toBeNull();
  });

  it('shards partition the matrix: every cell exactly once, in matrix order', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.integer({ min: 100, max: 60_000 }), { minLength: 21, maxLength: 21 }), (count, ms) => {
      const durations = new Map(all.map((c, i) => [cellKey(c), ms[i]!]));
      const shards = Array.from({ length: count }, (_, i) => shardCells(all, { index: i + 1, count }, durations));
      const union = shards.flat().map(cellKey).sort();
      expect(union).toEqual(all.map(cellKey).sort());
      for (const s of shards) {
        const idx = s.map((c) => all.findIndex((a) => cellKey(a) === cellKey(c)));
        expect(idx).toEqual([...idx].sort((a, b) => a - b));
      }
    }), { numRuns: 200 });
  });

  it('is deterministic and balanced by recorded durations', () => {
    const durations = new Map(all.map((c) => [cellKey(c), c.scenario === 'icmp-from-ip_vs_out' ? 30_000 : 6_000]));
    const a = [1, 2, 3].map((i) => shardCells(all, { index: i, count: 3 }, durations));
    const b = [1, 2, 3].map((i) => shardCells(all, { index: i, count: 3 }, durations));
    expect(a).toEqual(b);
    const load = (cells: MatrixCell[]) => cells.reduce((n, c) => n + durations.get(cellKey(c))!, 0);
    const loads = a.map(load);
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(30_000);
  });
});
