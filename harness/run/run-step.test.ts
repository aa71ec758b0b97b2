// The batch between two steps reads the counters and the connection table once: the previous step's
// after-read stands for the next step's before-read.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { batchCommand, splitBatch } from '../../scenarios/batch.ts';
import { parseScenario } from '../../scenarios/parse-scenario.ts';
import { aliasShared, planStep, shareReads } from './run-step.ts';

// A real seed: connect steps back to back, an ipvsadm change, a wait between two UDP clients.
const scenario = parseScenario(readFileSync(new URL('../../scenarios/seed/session-affinity.yaml', import.meta.url), 'utf8'), 'session-affinity.yaml');
const plans = new Map(scenario.steps.map((st) => [st.name, planStep(scenario, st, 'ftrace')]));
const plan = (name: string) => plans.get(name)!;

describe('shareReads', () => {
  it('drops the before-reads an after-read already makes, and keeps the rest in order', () => {
    const { parts, shared } = shareReads(plan('first').after, plan('second').before);
    expect(parts.map((p) => p.name)).toEqual([...plan('first').after.map((p) => p.name), 'b-marker']);
    expect([...shared]).toEqual([['b-counters', 'a-counters'], ['b-conns', 'a-conns']]);
    expect(plan('first').before.map((p) => p.name)).toEqual(['b-counters', 'b-conns', 'b-marker']);
  });

  it('keeps a before-read with no twin: a wait reads no counters, so the step after it reads its own', () => {
    expect(plan('template-expires').after.map((p) => p.name)).not.toContain('a-counters');
    const { parts, shared } = shareReads(plan('template-expires').after, plan('udp-after').before);
    expect(parts.map((p) => p.name)).toContain('b-counters');
    expect(parts.map((p) => p.name)).not.toContain('b-conns');
    expect([...shared.keys()]).toEqual(['b-conns']);
  });

  it('gives the dropped parts the output and exit status of their twins', () => {
    const { parts, shared } = shareReads(plan('first').after, plan('second').before);
    // Read back the way the runner does: a batch's stdout split into parts, here made by hand.
    const stdout = [...parts.map((p) => `=== ipvsh part ${p.name} 1.00\n${p.name} says hello${p.name === 'a-conns' ? '\n=== ipvsh exit a-conns 0' : ''}`), '=== ipvsh done 1.01'].join('\n');
    expect(batchCommand('between', parts).script).not.toContain('b-counters');
    const out = aliasShared(splitBatch(stdout), shared);
    expect(out.get('b-counters')).toBe('a-counters says hello');
    expect(out.get('b-conns')).toBe('a-conns says hello');
    expect(out.exitCodes.get('b-conns')).toBe(0);
  });
});
