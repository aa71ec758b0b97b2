// The ring buffer's lost events, read from per-CPU stats and marked in a real trace the way
// trace_pipe marks them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFunctionGraph } from '../analysis/function-graph-parser.ts';
import { markLostEvents, parseRingBufferStats } from './ring-buffer.ts';

const trace = readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'results', 'seed', 'debian-6.1', 'host-to-vip', 'trace.txt'), 'utf8');

// `grep -H` over per_cpu/cpu*/stats of a 6.1 guest whose 64 KiB buffer wrapped (RING_BUFFER_STATS).
const STATS = [
  'per_cpu/cpu0/stats:overrun: 2770354',
  'per_cpu/cpu0/stats:commit overrun: 0',
  'per_cpu/cpu0/stats:dropped events: 0',
  'per_cpu/cpu1/stats:overrun: 0',
  'per_cpu/cpu1/stats:commit overrun: 0',
  'per_cpu/cpu1/stats:dropped events: 7',
  'grep: per_cpu/cpu9/stats: No such file or directory',
].join('\n');

describe('ring buffer losses', () => {
  it('reads overruns and drops per CPU from the stats files', () => {
    expect(parseRingBufferStats(STATS)).toEqual([{ cpu: 0, overrun: 2770354, dropped: 0 }, { cpu: 1, overrun: 0, dropped: 7 }]);
    expect(parseRingBufferStats('')).toEqual([]);
  });

  it('marks overwritten events before the CPU\'s first surviving line and dropped ones at the end; the analyzer counts them', () => {
    const marked = markLostEvents(trace, parseRingBufferStats(STATS));
    const lines = marked.split('\n');
    expect(lines.slice(0, 5)).toEqual([...trace.split('\n').slice(0, 4), 'CPU:0 [LOST 2770354 EVENTS]']);
    expect(lines.at(-2)).toBe('CPU:1 [LOST 7 EVENTS]');
    expect(lines.at(-1)).toBe('');
    const t = parseFunctionGraph(marked);
    expect(t.lostEvents).toBe(2770361);
    expect(t.lost.map((l) => [l.cpu, l.count])).toEqual([[0, 2770354], [1, 7]]);
    expect(t.roots.length).toBe(parseFunctionGraph(trace).roots.length);
  });

  it('leaves a trace without losses untouched', () => {
    expect(markLostEvents(trace, [{ cpu: 0, overrun: 0, dropped: 0 }])).toBe(trace);
  });
});
