// Merging shards of a real run gives back the run: the seed fixture cut into shards and merged.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../../analysis/report/results.ts';
import { shardCells } from './matrix.ts';
import { mergeResults } from './merge-results.ts';
import { summarize } from './run-matrix.ts';

const fixture = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'results', 'seed');
const original = JSON.parse(readFileSync(join(fixture, 'results.json'), 'utf8')) as RunResults;
const work = mkdtempSync(join(tmpdir(), 'ipvsh-merge-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function writeShard(index: number, count: number): string {
  const dir = join(work, `shard-${index}`);
  cpSync(fixture, dir, { recursive: true });
  const cells = shardCells(original.cells, { index, count });
  const keep = new Set(cells.map((c) => `${c.kernel} ${c.scenario}`));
  const mine = original.cells.filter((c) => keep.has(`${c.kernel} ${c.scenario}`));
  const kernels = original.kernels.filter((k) => mine.some((c) => c.kernel === k.spec));
  const results: RunResults = { ...original, shard: { index, count }, kernels, cells: mine, summary: summarize(mine) };
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results));
  return dir;
}

describe('mergeResults', () => {
  it('merging the shards of a run gives the run back, cells in matrix order, artifacts copied', () => {
    const dirs = [1, 2, 3].map((i) => writeShard(i, 3));
    const out = join(work, 'merged');
    const merged = mergeResults(dirs, out);
    expect(merged.cells.map((c) => [c.kernel, c.scenario, c.status, c.graphs.map((g) => g.holds)])).toEqual(
      original.cells.map((c) => [c.kernel, c.scenario, c.status, c.graphs.map((g) => g.holds)]),
    );
    expect(merged.summary).toEqual(original.summary);
    expect(merged.shard).toBeUndefined();
    for (const c of merged.cells) expect(existsSync(join(out, c.artifacts.trace!))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'))).toEqual(merged);
  });

  it('refuses a cell that two folders both hold, naming both', () => {
    expect(() => mergeResults([fixture, fixture], join(work, 'dup'))).toThrow(/debian:5\.10 x established-flow is in both .*seed and .*seed/);
  });

  it('refuses a folder without results.json with the fix', () => {
    expect(() => mergeResults([work], join(work, 'none'))).toThrow(/cannot read results \(no such file\); expected the folder written by `ipvs-harness run --out <dir>`/);
  });
});
